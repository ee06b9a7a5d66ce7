/**
 * Concurrent permission changes lose nothing (issue 16, item 10), against the real server: a real
 * `Client` over an in-memory transport, a real ComponentStore in a temporary folder, the real runtime
 * and the `wasi-probe` fixture. Random batches of grants, revokes, resets and reloads of one component
 * are sent all at once; each answer must show the permissions that the same changes made one after the
 * other (in the order they were sent) give, and afterwards get-policy, the policy.yaml on disk and what
 * the guest can read must all agree with that model.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComponentHost } from '../src/machines/index.ts';
import { ComponentStore, WasmactorServer } from '../src/mcp/index.ts';
import { createRuntime } from '../src/runtime/index.ts';
import {
  changeArbitrary,
  DIRS,
  PermissionModel,
  type Permissions,
  permissionsOf,
  toolCall,
} from '../test/adversarial/policyConcurrency.model.ts';
import { policyWorld } from '../test/adversarial/policyConcurrency.world.ts';
import { resultJson, resultText } from '../test/mcp/helpers.ts';

/** fast-check runs; each sends 1 to 12 changes at once (about one in ten a reload). */
const RUNS = 40;

let server: WasmactorServer;
let client: Client;
let storeDir: string;
const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
let component: { id: string; wasmPath: string; policyPath: string };
let filePermissions: Permissions;

beforeAll(async () => {
  const world = await policyWorld('wasmactor-pc-', (d) => ({
    storage: { allow: [{ uri: `fs://${d[0]}`, access: ['read'] }] },
    network: { allow: [{ host: 'file.example.com' }] },
  }));
  cleanups.push(world.cleanup);
  ({ storeDir, component, filePermissions } = world);
  dirs.push(...world.dirs);
  server = new WasmactorServer({
    host: new ComponentHost({ runtime: createRuntime() }),
    store: await ComponentStore.open(storeDir),
  });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.createMcpServer().connect(serverSide);
  client = new Client({ name: 'policy-concurrency', version: '0.0.0' });
  await client.connect(clientSide);
  const loaded = await client.callTool({ name: 'load-component', arguments: { path: component.wasmPath } });
  expect(loaded.isError, resultText(loaded)).toBeFalsy();
}, 180_000);

afterAll(async () => {
  await client?.close();
  await server?.close();
  for (const cleanup of cleanups) await cleanup();
});

describe('concurrent permission changes of one component', () => {
  it(`equal the same changes made one by one in arrival order: answers, get-policy, disk, guest (${RUNS} runs)`, async () => {
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(changeArbitrary(true), { minLength: 1, maxLength: 12 }), async (changes) => {
        const reset = await client.callTool({
          name: 'reset-permission',
          arguments: { component_id: 'wasi-probe' },
        });
        expect(reset.isError, resultText(reset)).toBeFalsy();
        const model = new PermissionModel(dirs, filePermissions);
        const answers = await Promise.all(changes.map((c) => client.callTool(toolCall(c, model, component))));
        sent += changes.length;
        changes.forEach((change, i) => {
          model.apply(change);
          const answer = answers[i] as { isError?: boolean; content?: unknown };
          expect(answer.isError, `${change.kind}: ${resultText(answer)}`).toBeFalsy();
          if (change.kind !== 'reload' && change.kind !== 'reload-with-policy') {
            expect((resultJson(answer) as { permissions: unknown }).permissions, `answer ${i}`).toEqual(
              model.permissions(),
            );
          }
        });
        const shown = await client.callTool({
          name: 'get-policy',
          arguments: { component_id: 'wasi-probe' },
        });
        const shownPolicy = (resultJson(shown) as { policy: string }).policy;
        expect(permissionsOf(shownPolicy), 'get-policy').toEqual(model.permissions());
        const onDisk = await readFile(join(storeDir, 'wasi-probe', 'policy.yaml'), 'utf8');
        expect(permissionsOf(onDisk), 'policy.yaml').toEqual(model.permissions());
        for (let i = 0; i < DIRS; i++) {
          const read = await client.callTool({
            name: 'read-file',
            arguments: { path: join(dirs[i] as string, 'f.txt') },
          });
          const readable = model.storage.has(model.uri(i));
          expect(read.structuredContent, `guest reads d${i}`).toEqual(
            readable ? { result: { ok: `file ${i}` } } : { result: { err: expect.any(String) } },
          );
        }
        expect(server.changesInFlight).toBe(0);
      }),
      { numRuns: RUNS },
    );
    expect(sent).toBeGreaterThanOrEqual(RUNS);
  }, 240_000);
});
