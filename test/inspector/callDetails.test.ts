import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { clip, hiddenValues, MIN_HIDDEN_LENGTH, TEXT_LIMIT } from '../../src/inspector/callDetails.ts';
import { createInspector } from '../../src/inspector/index.ts';
import { type CallWatchEvent, ComponentHost } from '../../src/machines/index.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { fixturePath } from '../helpers/fixtures.ts';

const runtime = createRuntime({ cacheDir: join(tmpdir(), 'wasmactor-test-cache') });

describe('call texts', () => {
  it('hides environment values before cutting, so no start of a secret survives the cut', () => {
    const secret = 'S'.repeat(40);
    const hidden = hiddenValues({ TOKEN: secret });
    const text = `${'x'.repeat(TEXT_LIMIT - 10)}${secret}`;
    const clipped = clip(text, hidden);
    expect(clipped.text).not.toContain('SSSS');
    expect(clipped.text.length).toBe(TEXT_LIMIT);
    expect(clipped.omitted).toBe(TEXT_LIMIT - 10 + '[env TOKEN]'.length - TEXT_LIMIT);
    expect(clip('short', hidden)).toEqual({ text: 'short' });
  });

  it('hides the longest value first and leaves values shorter than the minimum', () => {
    const hidden = hiddenValues({
      A: 'secret-1234',
      B: 'secret-1234-and-more',
      PORT: '8080',
      MODE: 'x'.repeat(MIN_HIDDEN_LENGTH - 1),
    });
    expect(clip('secret-1234-and-more / secret-1234 / 8080', hidden).text).toBe('[env B] / [env A] / 8080');
  });
});

describe('the call watch and the inspector memory of calls', () => {
  it('reports each call as sent and how it ended, until unsubscribed', async () => {
    const host = new ComponentHost({ runtime });
    try {
      await host.load({ id: 'counter', source: { path: fixturePath('counter') }, stateful: true });
      const seen: CallWatchEvent[] = [];
      const stop = host.watchCalls((e) => seen.push(e));
      await host.call('add', { n: 2 });
      await expect(host.call('trap', {})).rejects.toMatchObject({ code: 'state-lost' });
      await expect(host.call('nope', {})).rejects.toMatchObject({ code: 'unknown-tool' });
      stop();
      await host.call('get', {});
      expect(seen.map((e) => `${e.type} ${e.callId}`)).toEqual([
        'sent c1',
        'settled c1',
        'sent c2',
        'failed c2',
        'sent c3',
        'failed c3',
      ]);
      expect(seen[0]).toEqual({ type: 'sent', callId: 'c1', tool: 'add', args: { n: 2 } });
      expect(seen[1]).toMatchObject({ outcome: { ok: true, value: 2 } });
      // a watcher that throws changes nothing for the caller
      const stopThrowing = host.watchCalls(() => {
        throw new Error('watcher bug');
      });
      const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        await expect(host.call('add', { n: 1 })).resolves.toMatchObject({ ok: true, value: 1 });
        await new Promise((r) => setTimeout(r, 10));
        expect(stderr.mock.calls.map(([line]) => String(line)).join('')).toMatch(
          /a call watcher failed.*watcher bug/,
        );
      } finally {
        stderr.mockRestore();
        stopThrowing();
      }
    } finally {
      await host.stop();
    }
  });

  it('keeps the details of the last callLimit calls only', async () => {
    const inspector = createInspector({ callLimit: 3 });
    const host = new ComponentHost({ runtime, inspect: inspector.inspect });
    const stop = inspector.watch(host);
    try {
      await host.load({ id: 'counter', source: { path: fixturePath('counter') }, stateful: true });
      for (let n = 1; n <= 6; n++) await host.call('add', { n });
      const calls = inspector.log({ component: 'counter' }).filter((e) => e.kind === 'call');
      expect(calls.map((e) => `${e.text.replace(/ in .*/, '')} ${e.details ? 'details' : '-'}`)).toEqual(
        [1, 2, 3, 4, 5, 6].flatMap((n) => {
          const kept = n > 3 ? 'details' : '-';
          return [`call c${n} add started ${kept}`, `call c${n} add returned ${kept}`];
        }),
      );
      expect(calls.at(-1)?.details).toEqual({ args: { text: '{"n":6}' }, result: { text: '21' } });
    } finally {
      stop();
      await host.stop();
    }
  });

  it('logs a per-agent instance call with the instance redacted, never the whole handle', async () => {
    const inspector = createInspector();
    const host = new ComponentHost({ runtime, inspect: inspector.inspect });
    const stop = inspector.watch(host);
    try {
      await host.load({ id: 'counter', source: { path: fixturePath('counter') }, stateful: true });
      const handle = 'r1.Zx81kQp0aVbN3mR7tY2uW5eL9sD4fG6h';
      await host.openInstance('counter', handle);
      await host.call('add', { n: 5 }, { instance: handle });
      const log = inspector.log({ component: 'counter' });
      const ended = log.find((e) => e.kind === 'call' && e.outcome === 'ok');
      expect(ended?.text).toMatch(/^call c1 add on instance r1\.Zx81kQ… returned in /);
      expect(ended?.details).toEqual({ args: { text: '{"n":5}' }, result: { text: '5' } });
      expect(log.some((e) => e.text === 'CALL: call c1 add on instance r1.Zx81kQ…')).toBe(true);
      await host.closeInstance(handle);
      const texts = inspector.log({ component: 'counter' }).map((e) => e.text);
      expect(texts).toContain('OPEN_INSTANCE: instance r1.Zx81kQ…');
      expect(texts).toContain('CLOSE_INSTANCE: instance r1.Zx81kQ…');
      expect(texts).toContain('instance r1.Zx81kQ… ended');
      expect(JSON.stringify(inspector.log())).not.toContain(handle);
    } finally {
      stop();
      await host.stop();
    }
  });
});
