/**
 * The inspector page in a real browser: Debian's chromium (never downloaded; `npm test`'s pretest step
 * installs it when it may) driven by playwright-core, or the executable WASMACTOR_CHROMIUM names.
 * Never skipped: without a Chromium the test fails with one line saying what to install.
 * With WASMACTOR_SCREENSHOT=1 it also rewrites the README screenshot, docs/inspector.png.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumExecutable } from '../../scripts/ensure-deps.mjs';
import {
  createInspector,
  type RunningInspector,
  startInspector,
  TEXT_LIMIT,
} from '../../src/inspector/index.ts';
import { ComponentHost } from '../../src/machines/index.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { fixturePath } from '../helpers/fixtures.ts';

const chromiumFound = chromiumExecutable({ env: process.env, exists: existsSync });
/** The probe component's secret: in its environment (as `wasmactor secret set` puts it), never on the page. */
const SECRET = 'sk-live-7f3a9c2e51d84b60';
const docsDir = join(import.meta.dirname, '..', '..', 'docs');

describe('inspector page in chromium', () => {
  const inspector = createInspector();
  const host = new ComponentHost({
    runtime: createRuntime({ cacheDir: join(tmpdir(), 'wasmactor-test-cache') }),
    inspect: inspector.inspect,
  });
  let web: RunningInspector;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (chromiumFound.problem) throw new Error(chromiumFound.problem);
    web = await startInspector({ host, inspector, port: 0 });
    await host.load({ id: 'counter', source: { path: fixturePath('counter') }, stateful: true });
    await host.load({ id: 'scratch', source: { path: fixturePath('counter') }, stateful: false });
    // Secrets reach a component as environment values of its sandbox (PolicyBook.sandboxFor).
    await host.load({
      id: 'probe',
      source: { path: fixturePath('wasi-probe') },
      stateful: false,
      sandbox: { env: { API_TOKEN: SECRET, MODE: 'dev' } },
    });
    browser = await chromium.launch({
      executablePath: chromiumFound.path,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1500, height: 1100 } });
  });
  afterAll(async () => {
    await browser?.close();
    await web?.close();
    await host.stop();
  });

  it('shows busy with a queue, then idle, and the chart highlights the same state', async () => {
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(web.url)) external.push(r.url());
    });
    await page.goto(web.url);
    const row = page.locator('#components tr[data-id="counter"]');
    await expect.poll(() => row.locator('td.state').textContent()).toBe('idle');
    await row.click();
    await expect
      .poll(() => page.locator('#chart-wrap g.state.active').getAttribute('data-id'))
      .toBe('component.idle');

    await host.call('get', {}, {}); // something in the log for the other filters
    const calls = Array.from({ length: 4 }, () => host.call('increment-slowly', { ms: 800 }));
    await expect.poll(() => row.locator('td.state').textContent(), { timeout: 5_000 }).toBe('busy');
    await expect
      .poll(async () => Number(await row.locator('td.queue').textContent()), { timeout: 5_000 })
      .toBeGreaterThan(0);
    expect(await row.locator('td.inflight').textContent()).toMatch(/increment-slowly for \d+ ms/);
    expect(await page.locator('#chart-wrap g.state.active').getAttribute('data-id')).toBe('component.busy');
    expect(await page.locator('#chart-wrap g[data-id="component.idle"]').getAttribute('class')).not.toMatch(
      /active/,
    );
    // the other component stays idle, and the log shows the calls
    expect(await page.locator('#components tr[data-id="scratch"] td.state').textContent()).toBe('idle');
    await expect.poll(() => page.locator('#log').textContent()).toMatch(/increment-slowly started/);

    await Promise.all(calls);
    await expect.poll(() => row.locator('td.state').textContent(), { timeout: 5_000 }).toBe('idle');
    expect(await row.locator('td.queue').textContent()).toBe('0');
    expect(await row.locator('td.inflight').textContent()).toBe('\u2014');
    await expect
      .poll(() => page.locator('#chart-wrap g.state.active').getAttribute('data-id'))
      .toBe('component.idle');

    // the log filter narrows to one component and one kind
    await page.selectOption('#log-component', 'counter');
    await page.uncheck('.logbar input[value="event"]');
    await page.uncheck('.logbar input[value="transition"]');
    const lines = await page.locator('#log > div').allTextContents();
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => / counter call /.test(l))).toBe(true);
    expect(lines.some((l) => /returned in \d/.test(l))).toBe(true);
    expect(external).toEqual([]);
  });

  it('is readable 800 px wide: nothing is cut off, wide parts scroll in their own box', async () => {
    await page.setViewportSize({ width: 800, height: 900 });
    await page.goto(web.url);
    await expect
      .poll(() => page.locator('#components tr[data-id="counter"] td.state').textContent())
      .toBe('idle');
    // the page itself never scrolls sideways: what is wider than the window scrolls inside its box
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(800);
    const boxes = await page.evaluate(() =>
      ['header', '#components', '#chart-wrap svg', '.logbar'].map((selector) => {
        const element = document.querySelector(selector) as Element;
        const box = element.getBoundingClientRect();
        // the nearest ancestor that scrolls sideways, if any
        let scroller: Element | null = element.parentElement;
        while (scroller && !/auto|scroll/.test(getComputedStyle(scroller).overflowX))
          scroller = scroller.parentElement;
        return {
          selector,
          right: box.right,
          scrolls: scroller !== null && scroller !== document.documentElement,
        };
      }),
    );
    for (const { selector, right, scrolls } of boxes) {
      expect(right <= 800 || scrolls, `${selector} ends at ${right} px with nothing to scroll it`).toBe(true);
    }
    await page.setViewportSize({ width: 1500, height: 1100 });
  });

  it('shows each call: arguments, result or error, guest output, long values cut and expandable', async () => {
    await page.setViewportSize({ width: 1500, height: 1100 });
    await page.goto(web.url);
    await expect.poll(() => page.locator('#conn').textContent()).toBe('live');
    const long = `start-${'A'.repeat(5_000)}-end`;
    await host.call('print', { out: long, err: 'warning: disk almost full' });
    await host.call('add', { n: 41 });
    await host.call('read-file', { path: '/nowhere/x.txt' }); // a WIT err
    await expect(host.call('trap', {})).rejects.toMatchObject({ code: 'state-lost' }); // a fault
    const entry = (pattern: RegExp) => page.locator('#log > div', { hasText: pattern });

    // a short call: arguments and result shown whole
    const add = entry(/call c\d+ add returned in/);
    await expect.poll(() => add.count()).toBe(1);
    expect(await add.locator('.field.args').textContent()).toBe('args {"n":41}');
    expect(await add.locator('.field.result').textContent()).toMatch(/^result \d+$/);

    // guest output: stdout long (cut, expandable), stderr short
    const print = entry(/call c\d+ print returned in/);
    await expect.poll(() => print.count()).toBe(1);
    expect(await print.locator('.field.stderr').textContent()).toBe('stderr warning: disk almost full');
    const stdout = print.locator('details.field.stdout');
    const preview = (await stdout.locator('summary .preview').textContent()) ?? '';
    expect(preview.startsWith('start-AAAA')).toBe(true);
    expect(preview.length).toBeLessThanOrEqual(101);
    expect(await stdout.locator('pre').isVisible()).toBe(false);
    await stdout.locator('summary').click();
    expect(await stdout.locator('pre').isVisible()).toBe(true);
    const shown = (await stdout.locator('pre').textContent()) ?? '';
    expect(shown).toBe(long.slice(0, TEXT_LIMIT));
    expect(await stdout.locator('.omitted').textContent()).toBe(
      `${long.length - TEXT_LIMIT} more characters not kept`,
    );
    // the arguments as sent, cut the same way
    const args = print.locator('details.field.args');
    await args.locator('summary').click();
    expect(await args.locator('pre').textContent()).toBe(
      JSON.stringify({ out: long, err: 'warning: disk almost full' }).slice(0, TEXT_LIMIT),
    );
    // stays open while the page updates (an earlier test's `get` may be in the history the page was sent)
    const gets = entry(/call c\d+ get returned in/);
    const getsBefore = await gets.count();
    await host.call('get', {});
    await expect.poll(() => gets.count()).toBe(getsBefore + 1);
    expect(await stdout.locator('pre').isVisible()).toBe(true);

    // a WIT err and a fault each show their error
    const err = entry(/call c\d+ read-file returned err in/);
    await expect.poll(() => err.count()).toBe(1);
    expect(await err.locator('.field.error').textContent()).toMatch(
      /^error \{"err":"no preopen for \/nowhere\/x\.txt"\}$/,
    );
    expect(await err.locator('.field.result').count()).toBe(0);
    const trap = entry(/call c\d+ trap failed after/);
    await expect.poll(() => trap.count()).toBe(1);
    expect(await trap.locator('.field.error').textContent()).toMatch(/trapped in trap: wasm trap/);
  });

  it('lists the calls waiting behind the busy one in order, and the last error with its time and call', async () => {
    const row = page.locator('#components tr[data-id="counter"]');
    const earlier = await row.locator('td.error .what').textContent(); // the trap of the test before
    const failedAt = Date.now();
    await expect(host.call('trap', {})).rejects.toMatchObject({ code: 'state-lost' });
    await expect
      .poll(async () => {
        const what = await row.locator('td.error .what').textContent();
        return what !== earlier && /^call c\d+ trap: $/.test(what ?? '');
      })
      .toBe(true);
    const when = (await row.locator('td.error .when').textContent()) ?? '';
    const clock = /^(\d\d):(\d\d):(\d\d)\.(\d{3}) \(\d+ ms ago\) $/.exec(when);
    expect(clock, when).not.toBeNull();
    const shownAt = new Date(failedAt);
    shownAt.setUTCHours(Number(clock?.[1]), Number(clock?.[2]), Number(clock?.[3]), Number(clock?.[4]));
    expect(Math.abs(shownAt.getTime() - failedAt)).toBeLessThan(2_000);
    expect(await row.locator('td.error').textContent()).toMatch(/the component trapped in trap/);

    const calls = [300, 301, 302, 303].map((ms) => host.call('increment-slowly', { ms: ms * 4 }));
    const queue = page.locator('#queues .queue[data-id="counter"]');
    await expect.poll(() => queue.locator('li.queued').count(), { timeout: 5_000 }).toBe(3);
    const running = (await queue.locator('.running').textContent()) ?? '';
    const [first] = /call c\d+/.exec(running) ?? [];
    const waiting = await queue.locator('li.queued').allTextContents();
    const ids = [...waiting.join(' ').matchAll(/call c(\d+)/g)].map((m) => Number(m[1]));
    expect(Number(first?.slice(6))).toBeLessThan(ids[0] ?? 0);
    expect(ids).toEqual([...ids].sort((a, b) => a - b)); // in the order they will run
    expect(waiting[0]).toMatch(/^call c\d+ increment-slowly \{"ms":1204\} waiting \d+ ms$/);
    expect(waiting[2]).toMatch(/\{"ms":1212\}/);
    expect(running).toMatch(/^running: call c\d+ increment-slowly for \d+ ms$/);

    // a per-agent instance has its own queue, listed under its component by its shortened handle
    const handle = 'r1.Qm4tB8zLx2Pc7Vn0Ws5Yk9Jd3Hf6Rg1A';
    await host.openInstance('counter', handle);
    const own = [700, 701, 702].map((ms) => host.call('increment-slowly', { ms }, { instance: handle }));
    const instance = queue.locator('.queue.instance');
    await expect.poll(() => instance.locator('li.queued').count(), { timeout: 5_000 }).toBe(2);
    expect(await instance.locator('b').textContent()).toBe('instance r1.Qm4tB8\u2026');
    expect(await instance.locator('.running').textContent()).toMatch(/^running: call c\d+ increment-slowly$/);
    const ownWaiting = await instance.locator('li.queued').allTextContents();
    expect(ownWaiting[0]).toMatch(/\{"ms":701\}/);
    expect(ownWaiting[1]).toMatch(/\{"ms":702\}/);
    expect(await page.content()).not.toContain(handle);

    // README screenshot: a queue, the last error with its time, calls with their arguments and results
    if (process.env.WASMACTOR_SCREENSHOT === '1') {
      await page.waitForTimeout(500); // let the running-for counters tick for the picture
      await page.locator('#log').evaluate((log) => log.scrollTo(0, 0));
      mkdirSync(docsDir, { recursive: true });
      await page.screenshot({ path: join(docsDir, 'inspector.png'), fullPage: true });
    }
    await Promise.all([...calls, ...own]);
    await host.closeInstance(handle);
    await expect.poll(() => queue.count()).toBe(0);
    expect(await page.locator('#no-queues').isVisible()).toBe(true);
    // seconds and many updates later the last error still shows when it happened, not when it was drawn
    const later = (await row.locator('td.error .when').textContent()) ?? '';
    expect(later.slice(0, 12)).toBe(when.slice(0, 12));
    const ago = /\((\d+(?:\.\d)?) (ms|s) ago\)/.exec(later);
    expect(Number(ago?.[1]) * (ago?.[2] === 's' ? 1000 : 1)).toBeGreaterThanOrEqual(3_000);
  });

  it('names calls, components and tools, never internal actor ids', async () => {
    await page.selectOption('#log-component', '*');
    for (const kind of ['event', 'transition', 'call']) await page.check(`.logbar input[value="${kind}"]`);
    const log = (await page.locator('#log').textContent()) ?? '';
    expect(log).toMatch(/counter transition idle -> busy \(CALL: call c\d+ increment-slowly\)/);
    expect(log).toMatch(/counter transition busy -> idle \(call c\d+ increment-slowly ended\)/);
    expect(log).toMatch(/counter event {6}done: disposeInstance/);
    expect(log).not.toMatch(/call\.c\d|x:\d|xstate\./);
  });

  it('never shows a secret: not in arguments, results, output, errors or anywhere in the page', async () => {
    await host.call('get-env', { key: 'API_TOKEN' }); // the guest returns the secret
    await host.call('print', { out: `token=${SECRET}\n`, err: '' }); // a client sends it, the guest prints it
    await host.call('list-env', {});
    const getEnv = page.locator('#log > div', { hasText: /call c\d+ get-env returned/ });
    await expect.poll(() => getEnv.count()).toBe(1);
    expect(await getEnv.locator('.field.result').textContent()).toBe('result "[env API_TOKEN]"');
    const printed = page.locator('#log > div', { hasText: /call c\d+ print returned/ }).first();
    await expect
      .poll(() => printed.locator('.field.stdout').textContent())
      .toBe('stdout token=[env API_TOKEN]');
    // short values (`dev`) stay: hiding them would hide ordinary words
    const listEnv = page.locator('#log > div', { hasText: /call c\d+ list-env returned/ });
    await expect.poll(() => listEnv.count()).toBe(1);
    expect(await listEnv.locator('.field.result').textContent()).toContain('["MODE","dev"]');
    for (const d of await page.locator('#log details').all())
      await d.evaluate((e) => e.setAttribute('open', ''));
    const html = await page.content();
    expect(html).toContain('[env API_TOKEN]');
    expect(html).not.toContain(SECRET);
    for (const path of ['api/snapshot', 'api/log'])
      expect(await (await fetch(web.url + path)).text()).not.toContain(SECRET);
  });

  it('stays readable 800 px wide with call details open and calls waiting', async () => {
    await page.setViewportSize({ width: 800, height: 900 });
    const calls = [1, 2, 3].map(() => host.call('increment-slowly', { ms: 400 }));
    await expect.poll(() => page.locator('#queues li.queued').count(), { timeout: 5_000 }).toBe(2);
    for (const d of await page.locator('#log details').all())
      await d.evaluate((e) => e.setAttribute('open', ''));
    const widths = await page.evaluate(() => {
      const log = document.querySelector('#log') as Element;
      const queues = [...document.querySelectorAll('#queues li, #queues .running')];
      return {
        page: document.documentElement.scrollWidth,
        logScroll: log.scrollWidth - log.clientWidth,
        queueRight: Math.max(...queues.map((e) => e.getBoundingClientRect().right)),
        opened: document.querySelectorAll('#log details[open] pre').length,
      };
    });
    expect(widths.opened).toBeGreaterThan(0);
    expect(widths.page).toBeLessThanOrEqual(800);
    expect(widths.logScroll, 'the log scrolls sideways: a long value is cut off').toBe(0);
    expect(widths.queueRight).toBeLessThanOrEqual(800);
    await Promise.all(calls);
    await page.setViewportSize({ width: 1500, height: 1100 });
  });
});
