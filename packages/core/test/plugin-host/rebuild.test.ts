/**
 * PluginHost.rebuild (a config reload): unchanged plugins keep running, changed ones are closed then set up
 * with their new options (and their dependents with them), added ones set up, removed ones closed; a
 * failed setup brings the previous plugins back.
 */
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import type { PluginEntry } from '../../src/config/types.js';
import { definePlugin } from '../../src/plugin-api/define.js';
import type { MidgePlugin } from '../../src/plugin-api/types.js';
import { PluginHost, type PluginHostOptions } from '../../src/plugin-host/host.js';
import { fakeBroker, memoryLogger } from './helpers.js';

/** A plugin taking `{ n }` that records setup, close, reload and pre-start, and can be told to fail its setup. */
function recording(name: string, log: string[], dependencies: string[] = []): MidgePlugin {
  return definePlugin({
    name,
    apiVersion: 1,
    dependencies,
    configSchema: v.strictObject({ n: v.optional(v.number(), 0), fail: v.optional(v.boolean(), false) }),
    setup: (_ctx, config) => {
      if (config.fail) throw new Error(`${name} cannot start`);
      log.push(`setup ${name} ${config.n}`);
      return {
        close: () => void log.push(`close ${name} ${config.n}`),
        reload: () => void log.push(`reload ${name}`),
        events: { 'broker:pre-start': () => void log.push(`pre-start ${name}`) },
      };
    },
  });
}

function setupWith(plugins: MidgePlugin[]): {
  options: PluginHostOptions;
  entries: (config: Record<string, Record<string, unknown>>) => PluginEntry[];
} {
  const resolved = new Map(plugins.map((p) => [p.name, p]));
  const options: PluginHostOptions = {
    searchDirs: ['/nonexistent'],
    configDir: '/cfg',
    logger: memoryLogger(),
    decisionTimeoutMs: 200,
    setupTimeoutMs: 200,
    resolved,
    broker: fakeBroker,
  };
  const entries = (config: Record<string, Record<string, unknown>>): PluginEntry[] =>
    Object.entries(config).map(([key, c]) => ({ key, specifier: key, config: c }));
  return { options, entries };
}

describe('PluginHost.rebuild', () => {
  it('keeps unchanged plugins, sets changed ones up again after closing them, adds and removes', async () => {
    const log: string[] = [];
    const { options, entries } = setupWith([
      recording('a', log),
      recording('b', log),
      recording('c', log),
      recording('d', log),
    ]);
    const first = await PluginHost.start(entries({ a: { n: 1 }, b: { n: 1 }, c: { n: 1 } }), options);
    log.length = 0;

    const rebuilt = await PluginHost.rebuild(first, entries({ a: { n: 1 }, b: { n: 2 }, d: {} }), options);
    expect(log).toEqual(['close c 1', 'close b 1', 'setup b 2', 'setup d 0']);
    expect(rebuilt.changes).toEqual([
      { key: 'c', kind: 'removed' },
      { key: 'b', kind: 'options changed' },
      { key: 'd', kind: 'added' },
    ]);
    expect([...rebuilt.kept]).toEqual(['a']);
    expect(rebuilt.host.plugins.map((p) => p.key)).toEqual(['a', 'b', 'd']);

    // Only the plugins set up by the rebuild hear the start events; only the kept ones re-read their files.
    log.length = 0;
    rebuilt.host.emitToNewPlugins('broker:pre-start', {});
    await rebuilt.host.reload(rebuilt.kept);
    expect(log).toEqual(['pre-start b', 'pre-start d', 'reload a']);

    log.length = 0;
    await rebuilt.host.close();
    expect(log).toEqual(['close d 0', 'close b 2', 'close a 1']);
  });

  it('sets a plugin up again when a plugin it depends on is, dependents closed first', async () => {
    const log: string[] = [];
    const { options, entries } = setupWith([recording('base', log), recording('user', log, ['base'])]);
    const first = await PluginHost.start(entries({ base: { n: 1 }, user: {} }), options);
    log.length = 0;
    const rebuilt = await PluginHost.rebuild(first, entries({ base: { n: 2 }, user: {} }), options);
    expect(log).toEqual(['close user 0', 'close base 1', 'setup base 2', 'setup user 0']);
    expect(rebuilt.changes.map((c) => c.kind)).toEqual(['options changed', 'dependency set up again']);
  });

  it('changes nothing for options its schema refuses (ConfigError before any close)', async () => {
    const log: string[] = [];
    const { options, entries } = setupWith([recording('a', log)]);
    const first = await PluginHost.start(entries({ a: { n: 1 } }), options);
    log.length = 0;
    await expect(PluginHost.rebuild(first, entries({ a: { n: 'many' } }), options)).rejects.toThrow(/plugins\.a\.n/);
    expect(log).toEqual([]);
  });

  it('brings the previous plugins back when a setup fails', async () => {
    const log: string[] = [];
    const { options, entries } = setupWith([recording('a', log), recording('b', log), recording('c', log)]);
    const first = await PluginHost.start(entries({ a: { n: 1 }, b: { n: 1 } }), options);
    log.length = 0;
    const rebuilt = await PluginHost.rebuild(first, entries({ a: { n: 2 }, b: { n: 1 }, c: { fail: true } }), options);
    // a was set up with its new options, then closed again when c failed, and set up with its old ones.
    expect(log).toEqual(['close a 1', 'setup a 2', 'close a 2', 'setup a 1']);
    expect(String(rebuilt.failure)).toMatch(/c cannot start/);
    expect(rebuilt.changes).toEqual([]);
    expect(rebuilt.lost).toEqual([]);
    expect(rebuilt.host.plugins.map((p) => p.key)).toEqual(['a', 'b']);
  });

  it('sets every plugin up when none ran before', async () => {
    const log: string[] = [];
    const { options, entries } = setupWith([recording('a', log)]);
    const rebuilt = await PluginHost.rebuild(undefined, entries({ a: {} }), options);
    expect(log).toEqual(['setup a 0']);
    expect(rebuilt.changes).toEqual([{ key: 'a', kind: 'added' }]);
  });
});
