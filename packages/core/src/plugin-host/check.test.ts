import { describe, expect, it } from 'vitest';
import type { PluginEntry } from '../config/types.js';
import { definePlugin } from '../plugin-api/define.js';
import type { MidgePlugin, PluginCheckContext, PluginCheckProblem } from '../plugin-api/types.js';
import { runPluginChecks } from './check.js';

function entry(key: string): PluginEntry {
  return { key, specifier: key, config: {} };
}

function plugin(name: string, check?: MidgePlugin['check']): MidgePlugin {
  return definePlugin({ name, apiVersion: 1, setup: () => ({}), ...(check !== undefined ? { check } : {}) });
}

const options = { configDir: '/etc/midge', timeoutMs: 1000 };

describe('runPluginChecks', () => {
  it('turns problems into config issues at the option, warnings apart, and passes the context and config', async () => {
    const seen: { ctx: PluginCheckContext; config: unknown }[] = [];
    const files = plugin('files', (ctx, config) => {
      seen.push({ ctx, config });
      return [
        { option: 'password_file', message: '/etc/midge/passwd: no such file' },
        { option: ['acl', 'alice', 0], message: 'never applies', severity: 'warning' },
        { message: 'about the whole plugin' },
      ] satisfies PluginCheckProblem[];
    });
    const result = await runPluginChecks([entry('@acme/files')], [files], [{ password_file: 'passwd' }], options);
    expect(result.issues).toEqual([
      { path: "plugins.'@acme/files'.password_file", message: '/etc/midge/passwd: no such file' },
      { path: "plugins.'@acme/files'", message: 'about the whole plugin' },
    ]);
    expect(result.warnings).toEqual([{ path: "plugins.'@acme/files'.acl.alice[0]", message: 'never applies' }]);
    expect(seen).toEqual([
      { ctx: { name: 'files', key: '@acme/files', configDir: '/etc/midge' }, config: { password_file: 'passwd' } },
    ]);
  });

  it('skips plugins without a check, unresolved ones and those whose options are invalid', async () => {
    let calls = 0;
    const counted = plugin('counted', () => {
      calls++;
      return [];
    });
    const result = await runPluginChecks(
      [entry('a'), entry('b'), entry('c')],
      [plugin('none'), undefined, counted],
      [{}, undefined, undefined],
      options,
    );
    expect(result).toEqual({ issues: [], warnings: [] });
    expect(calls).toBe(0);
  });

  it('reports a check that throws, times out or returns something else as a problem of its plugin', async () => {
    const throws = plugin('throws', () => {
      throw new Error('boom');
    });
    const hangs = plugin('hangs', () => new Promise<never>(() => undefined));
    const odd = plugin('odd', () => 'fine' as unknown as PluginCheckProblem[]);
    const result = await runPluginChecks([entry('t'), entry('h'), entry('o')], [throws, hangs, odd], [{}, {}, {}], {
      ...options,
      timeoutMs: 50,
    });
    expect(result.issues).toEqual([
      { path: 'plugins.t', message: "the plugin's check failed: boom" },
      { path: 'plugins.h', message: "the plugin's check did not finish within 50 ms" },
      { path: 'plugins.o', message: "the plugin's check must return a list of problems (empty when there are none)" },
    ]);
  });
});
