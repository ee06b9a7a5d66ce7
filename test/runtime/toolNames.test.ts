import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ExportedFunction } from '../../src/runtime/types.ts';
import { normalizeInterfaceName, toolName } from '../../src/runtime/wit/toolNames.ts';

const fn = (name: string, iface?: string): ExportedFunction => ({
  name,
  params: [],
  ...(iface === undefined ? {} : { interface: iface }),
});

describe('toolName', () => {
  it('keeps world-level names as they are', () => {
    expect(toolName(fn('fetch'))).toBe('fetch');
    expect(toolName(fn('get-current-time'))).toBe('get-current-time');
  });
  it('prefixes interface functions with the normalized interface name', () => {
    expect(toolName(fn('get-current-time', 'local:time-server/time'))).toBe(
      'local_time-server_time_get-current-time',
    );
    expect(toolName(fn('run', 'wasi:cli/run@0.2.0'))).toBe('wasi_cli_run_0_2_0_run');
    expect(normalizeInterfaceName('My:Pkg/Iface@1.0.0-rc.1')).toBe('my_pkg_iface_1_0_0-rc_1');
  });
  it('names resource functions after the resource', () => {
    expect(toolName(fn('[constructor]acc'))).toBe('acc_new');
    expect(toolName(fn('[method]acc.add'))).toBe('acc_add');
    expect(toolName(fn('[static]acc.make'))).toBe('acc_make');
    expect(toolName(fn('[method]accumulator.total', 'local:kitchen/types'))).toBe(
      'local_kitchen_types_accumulator_total',
    );
  });
  it('keeps names of up to 128 characters', () => {
    const name = 'a'.repeat(128);
    expect(toolName(fn(name))).toBe(name);
  });
  it('cuts longer names to 128 characters ending in _ and 8 hex digits of the sha256 of the full name', () => {
    const iface = `local:${'x'.repeat(110)}/types`;
    const full = `local_${'x'.repeat(110)}_types_echo-string`;
    const name = toolName(fn('echo-string', iface));
    const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
    expect(name).toHaveLength(128);
    expect(name).toBe(`${full.slice(0, 119)}_${hash}`);
  });
  it('keeps long names that share a prefix apart', () => {
    const iface = `local:${'x'.repeat(130)}/types`;
    expect(toolName(fn('echo-a', iface))).not.toBe(toolName(fn('echo-b', iface)));
  });
});
