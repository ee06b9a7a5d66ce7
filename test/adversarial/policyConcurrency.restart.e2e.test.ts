/**
 * Acknowledged permission changes are on disk when they are acknowledged (issue 16, item 10): a real
 * server process (`wasmactor serve --component-dir`) gets a batch of concurrent grants, revokes, resets
 * and reloads of the `wasi-probe` fixture over stdio and is killed with SIGKILL the moment the answer to
 * the k-th change arrives (some later changes still in flight). Started again on the same component
 * directory, its policy must be the model's after the first j changes for some j >= k — every
 * acknowledged change kept, in the order sent, nothing half-made — and the guest must read exactly the
 * directories that policy grants.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resultJson, resultText, type SpawnedServer, spawnServer } from '../mcp/helpers.ts';
import {
  type Change,
  changeArbitrary,
  DIRS,
  PermissionModel,
  type Permissions,
  permissionsOf,
  toolCall,
} from './policyConcurrency.model.ts';
import { policyWorld } from './policyConcurrency.world.ts';

/** Kill-and-restart rounds (fast-check runs); each sends 15 to 30 changes at once. */
const ROUNDS = 10;

let storeDir: string;
const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
let component: { id: string; wasmPath: string; policyPath: string };
let filePermissions: Permissions;
let server: SpawnedServer | undefined;

beforeAll(async () => {
  const world = await policyWorld('wasmactor-pc-restart-', (d) => ({
    storage: { allow: [{ uri: `fs://${d[1]}`, access: ['read', 'write'] }] },
    environment: { allow: [{ key: 'KEY_B' }] },
  }));
  cleanups.push(world.cleanup);
  ({ storeDir, component, filePermissions } = world);
  dirs.push(...world.dirs);
  server = await spawnServer(storeDir);
  const loaded = await server.client.callTool({
    name: 'load-component',
    arguments: { path: component.wasmPath },
  });
  expect(loaded.isError, resultText(loaded)).toBeFalsy();
}, 180_000);

afterAll(async () => {
  await server?.close().catch(() => undefined);
  for (const cleanup of cleanups) await cleanup();
});

/** Resolves once the server process is gone (the client's own close handler still runs: it fails the requests left). */
function kill(s: SpawnedServer): Promise<void> {
  return new Promise((done) => {
    const onclose = s.transport.onclose;
    s.transport.onclose = () => {
      onclose?.call(s.transport);
      done();
    };
    process.kill(s.pid, 'SIGKILL');
  });
}

/** The model's permissions after each prefix of `changes` (index j: after the first j changes). */
function prefixStates(changes: Change[]): Permissions[] {
  const model = new PermissionModel(dirs, filePermissions);
  const states = [model.permissions()];
  for (const change of changes) {
    model.apply(change);
    states.push(model.permissions());
  }
  return states;
}

describe('permission changes and SIGKILL', () => {
  it(`every acknowledged change survives a kill -9 right after its answer, in order (${ROUNDS} rounds)`, async () => {
    const figures: {
      sent: number;
      answeredBeforeKill: number;
      killedAfter: number;
      restoredPrefix: number;
    }[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc
          .array(changeArbitrary(true), { minLength: 15, maxLength: 30 })
          .chain((changes) =>
            fc.tuple(fc.constant(changes), fc.noBias(fc.integer({ min: 1, max: changes.length }))),
          ),
        async ([changes, k]) => {
          // A run that failed after its kill left no server: start one.
          server ??= await spawnServer(storeDir);
          const running = server;
          const reset = await running.client.callTool({
            name: 'reset-permission',
            arguments: { component_id: 'wasi-probe' },
          });
          expect(reset.isError, resultText(reset)).toBeFalsy();
          const states = prefixStates(changes);
          const model = new PermissionModel(dirs, filePermissions);
          let answered = 0;
          let killed: Promise<void> | undefined;
          const answers = changes.map((change, i) =>
            running.client.callTool(toolCall(change, model, component)).then(
              (answer) => {
                answered += 1;
                // Killed the moment the k-th answer arrives: the changes after it may still be running.
                if (i === k - 1) {
                  server = undefined;
                  killed = kill(running);
                }
                return answer;
              },
              () => undefined,
            ),
          );
          await Promise.all(answers.slice(0, k));
          await killed;
          await Promise.all(answers);
          const received = await Promise.all(answers.slice(0, k));
          received.forEach((answer, i) => {
            expect(answer?.isError, `${changes[i]?.kind}: ${answer && resultText(answer)}`).toBeFalsy();
            const change = changes[i] as Change;
            if (answer && change.kind !== 'reload' && change.kind !== 'reload-with-policy') {
              expect((resultJson(answer) as { permissions: unknown }).permissions, `answer ${i}`).toEqual(
                states[i + 1],
              );
            }
          });

          const onDisk = permissionsOf(await readFile(join(storeDir, 'wasi-probe', 'policy.yaml'), 'utf8'));
          server = await spawnServer(storeDir);
          const shown = await server.client.callTool({
            name: 'get-policy',
            arguments: { component_id: 'wasi-probe' },
          });
          expect(shown.isError, resultText(shown)).toBeFalsy();
          const restored = permissionsOf((resultJson(shown) as { policy: string }).policy);
          expect(restored).toEqual(onDisk);
          // The state after some prefix of at least the k acknowledged changes.
          const prefixes = states.map((_, j) => j).filter((j) => j >= k && equal(states[j], restored));
          expect(
            prefixes.length,
            `restored ${JSON.stringify(restored)}; kill after ${k} of ${changes.length}`,
          ).toBeGreaterThan(0);
          figures.push({
            sent: changes.length,
            answeredBeforeKill: answered,
            killedAfter: k,
            restoredPrefix: prefixes[0] as number,
          });
          const granted = new Set((restored.storage?.allow ?? []).map((s) => s.uri));
          for (let i = 0; i < DIRS; i++) {
            const read = await server.client.callTool({
              name: 'read-file',
              arguments: { path: join(dirs[i] as string, 'f.txt') },
            });
            expect(read.structuredContent, `guest reads d${i}`).toEqual(
              granted.has(`fs://${dirs[i]}`)
                ? { result: { ok: `file ${i}` } }
                : { result: { err: expect.any(String) } },
            );
          }
        },
      ),
      // No shrinking: each try costs a server process; the first failing batch is reported as it was.
      { numRuns: ROUNDS, endOnFailure: true },
    );
    expect(figures).toHaveLength(ROUNDS);
    process.stderr.write(`policy kill -9 rounds: ${JSON.stringify(figures)}\n`);
  }, 150_000);
});

function equal(a: unknown, b: unknown): boolean {
  try {
    expect(a).toEqual(b);
    return true;
  } catch {
    return false;
  }
}
