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
import { createInspector, type RunningInspector, startInspector } from '../../src/inspector/index.ts';
import { ComponentHost } from '../../src/machines/index.ts';
import { createRuntime } from '../../src/runtime/index.ts';
import { fixturePath } from '../helpers/fixtures.ts';

const chromiumFound = chromiumExecutable({ env: process.env, exists: existsSync });
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

    // README screenshot while the counter is busy with a queue
    if (process.env.WASMACTOR_SCREENSHOT === '1') {
      await page.waitForTimeout(900); // let the running-for counters tick for the picture
      mkdirSync(docsDir, { recursive: true });
      await page.screenshot({ path: join(docsDir, 'inspector.png'), fullPage: true });
    }

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
    const lines = await page.locator('#log div').allTextContents();
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
});
