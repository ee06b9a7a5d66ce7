/**
 * `npm test` on a fresh machine: the pretest step's decision about Chromium and the other Debian packages
 * the tests drive (docker-registry, nginx), from injected facts (the real machine's packages are never
 * uninstalled to test this), and the one line a test fails with when its package is missing.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  chromiumExecutable,
  chromiumPlan,
  dependenciesCurrent,
  testPackagesPlan,
} from '../../scripts/ensure-deps.mjs';

const exists = (paths: string[]) => (path: string) => paths.includes(path);

describe('chromiumPlan', () => {
  it('does nothing when /usr/bin/chromium is there', () => {
    expect(
      chromiumPlan({ env: {}, exists: exists(['/usr/bin/chromium']), isRoot: true, hasAptGet: true }),
    ).toEqual({ action: 'none' });
  });

  it("installs Debian's chromium, apt-get update first, when it is missing and root has apt-get", () => {
    expect(chromiumPlan({ env: {}, exists: exists([]), isRoot: true, hasAptGet: true })).toEqual({
      action: 'install',
      commands: [
        ['apt-get', 'update'],
        ['apt-get', 'install', '-y', '--no-install-recommends', 'chromium'],
      ],
    });
  });

  it('installs nothing for a user who is not root, and says what to install and which variable to set', () => {
    const plan = chromiumPlan({ env: {}, exists: exists([]), isRoot: false, hasAptGet: true });
    expect(plan.action).toBe('explain');
    const message = (plan as { message: string }).message;
    expect(message).toMatch(/apt-get install chromium/);
    expect(message).toMatch(/WASMACTOR_CHROMIUM/);
    expect(message).not.toMatch(/\n/);
  });

  it('installs nothing without apt-get', () => {
    expect(chromiumPlan({ env: {}, exists: exists([]), isRoot: true, hasAptGet: false }).action).toBe(
      'explain',
    );
  });

  it('uses the Chromium WASMACTOR_CHROMIUM names, and names it when it is missing instead of installing', () => {
    const env = { WASMACTOR_CHROMIUM: '/opt/chrome/chrome' };
    expect(
      chromiumPlan({ env, exists: exists(['/opt/chrome/chrome']), isRoot: true, hasAptGet: true }),
    ).toEqual({ action: 'none' });
    expect(chromiumExecutable({ env, exists: exists(['/opt/chrome/chrome']) })).toEqual({
      path: '/opt/chrome/chrome',
    });
    const plan = chromiumPlan({ env, exists: exists(['/usr/bin/chromium']), isRoot: true, hasAptGet: true });
    expect(plan).toMatchObject({
      action: 'explain',
      message: expect.stringMatching(/\/opt\/chrome\/chrome/),
    });
  });
});

describe('testPackagesPlan', () => {
  const all = ['/usr/bin/chromium', '/usr/bin/docker-registry', '/usr/sbin/nginx'];

  it('does nothing when every package is there', () => {
    expect(testPackagesPlan({ env: {}, exists: exists(all), isRoot: true, hasAptGet: true })).toEqual({
      install: [],
      commands: [],
      messages: [],
    });
  });

  it('installs everything missing with one apt-get update and one apt-get install, as root with apt-get', () => {
    expect(testPackagesPlan({ env: {}, exists: exists([]), isRoot: true, hasAptGet: true })).toEqual({
      install: ['chromium', 'docker-registry', 'nginx'],
      commands: [
        ['apt-get', 'update'],
        ['apt-get', 'install', '-y', '--no-install-recommends', 'chromium', 'docker-registry', 'nginx'],
      ],
      messages: [],
    });
    const one = testPackagesPlan({ env: {}, exists: exists(all.slice(0, 2)), isRoot: true, hasAptGet: true });
    expect(one.commands).toEqual([
      ['apt-get', 'update'],
      ['apt-get', 'install', '-y', '--no-install-recommends', 'nginx'],
    ]);
  });

  it('installs nothing for a user who is not root, naming each missing package and the tests that need it', () => {
    const plan = testPackagesPlan({
      env: {},
      exists: exists(['/usr/bin/chromium']),
      isRoot: false,
      hasAptGet: true,
    });
    expect(plan.commands).toEqual([]);
    expect(plan.messages).toEqual([
      'the OCI registry tests need docker-registry at /usr/bin/docker-registry: install it (Debian/Ubuntu: sudo apt-get install docker-registry)',
      'the scale-out test behind nginx need nginx at /usr/sbin/nginx: install it (Debian/Ubuntu: sudo apt-get install nginx)',
    ]);
    const noApt = testPackagesPlan({ env: {}, exists: exists([]), isRoot: true, hasAptGet: false });
    expect(noApt.commands).toEqual([]);
    expect(noApt.messages).toHaveLength(3);
  });

  it('never installs Debian chromium over a WASMACTOR_CHROMIUM that is missing, but installs the rest', () => {
    const plan = testPackagesPlan({
      env: { WASMACTOR_CHROMIUM: '/opt/none/chrome' },
      exists: exists(['/usr/bin/docker-registry']),
      isRoot: true,
      hasAptGet: true,
    });
    expect(plan.install).toEqual(['nginx']);
    expect(plan.messages).toEqual([
      expect.stringMatching(/WASMACTOR_CHROMIUM=\/opt\/none\/chrome does not exist/),
    ]);
  });
});

describe('scripts/ensure-deps.mjs --test-packages', () => {
  it.each(['--test-packages', '--browser'])(
    '%s says on stderr what is missing, and writes nothing to stdout',
    async (flag) => {
      const script = new URL('../../scripts/ensure-deps.mjs', import.meta.url).pathname;
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [script, flag], {
        env: { ...process.env, WASMACTOR_CHROMIUM: '/nonexistent/chromium' },
      });
      expect(stdout).toBe('');
      expect(stderr).toMatch(/WASMACTOR_CHROMIUM=\/nonexistent\/chromium does not exist/);
    },
  );
});

describe('scripts/ensure-deps.mjs --browser', () => {
  it('says on stderr what to install when the chosen Chromium is missing, and writes nothing to stdout', async () => {
    const script = new URL('../../scripts/ensure-deps.mjs', import.meta.url).pathname;
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [script, '--browser'], {
      env: { ...process.env, WASMACTOR_CHROMIUM: '/nonexistent/chromium' },
    });
    expect(stdout).toBe('');
    expect(stderr).toMatch(/WASMACTOR_CHROMIUM=\/nonexistent\/chromium does not exist/);
  });
});

describe('dependenciesCurrent', () => {
  const wanted = {
    '': { version: '0.1.0' },
    'node_modules/xstate': { version: '5.33.3' },
    'node_modules/@esbuild/darwin-x64': { version: '0.28.2', optional: true },
  };
  it('is true when every package is installed at its version (an optional one for another OS aside)', () => {
    expect(dependenciesCurrent(wanted, { 'node_modules/xstate': { version: '5.33.3' } })).toBe(true);
  });
  it('is false when a package is missing, at another version, or nothing is installed', () => {
    expect(dependenciesCurrent(wanted, {})).toBe(false);
    expect(dependenciesCurrent(wanted, { 'node_modules/xstate': { version: '5.30.0' } })).toBe(false);
    expect(dependenciesCurrent(wanted, undefined)).toBe(false);
  });
});
