import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PluginEntry } from '../../src/config/types.js';
import { ConfigError, PluginError } from '../../src/errors.js';
import { definePlugin } from '../../src/plugin-api/define.js';
import { PluginHost } from '../../src/plugin-host/host.js';
import { checkPlugin, isPathSpecifier, packageNameOf, resolvePlugin } from '../../src/plugin-host/resolve.js';
import { fakeBroker, memoryLogger } from './helpers.js';

let root: string;
let cfgDir: string;
let cliDir: string;

/** A plugin module that brands itself through the registered symbol, as a plugin built against another copy of core does. */
const pluginSource = (name: string, apiVersion = 1): string =>
  `export default { [Symbol.for('midge.plugin')]: true, name: ${JSON.stringify(name)}, apiVersion: ${apiVersion}, setup() { return {}; } };\n`;

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function pkg(dir: string, name: string, files: Record<string, string>, manifest: Record<string, unknown> = {}): void {
  const base = path.join(dir, 'node_modules', name);
  write(path.join(base, 'package.json'), JSON.stringify({ name, version: '1.0.0', type: 'module', ...manifest }));
  for (const [f, text] of Object.entries(files)) write(path.join(base, f), text);
}

const entry = (specifier: string, key = specifier): PluginEntry => ({ key, specifier, config: {} });

async function errorOf(p: Promise<unknown>): Promise<PluginError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(PluginError);
    return err as PluginError;
  }
  throw new Error('expected a PluginError');
}

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'midge-resolve-'));
  cfgDir = path.join(root, 'etc');
  cliDir = path.join(root, 'cli');
  pkg(
    cfgDir,
    '@acme/midge-plugin-x',
    { 'index.js': pluginSource('acme-x'), 'sub.js': pluginSource('acme-x-sub') },
    { exports: { '.': './index.js', './sub': './sub.js' } },
  );
  pkg(cfgDir, 'shadowed', { 'index.js': pluginSource('from-config-dir') }, { exports: './index.js' });
  pkg(
    cfgDir,
    'not-a-plugin',
    { 'index.js': 'export default { name: "x", apiVersion: 1, setup() {} };\n' },
    { exports: './index.js' },
  );
  pkg(cfgDir, 'future-plugin', { 'index.js': pluginSource('future', 2) }, { exports: './index.js' });
  pkg(cfgDir, 'throws-plugin', { 'index.js': 'throw new Error("cannot start");\n' }, { exports: './index.js' });
  pkg(cfgDir, 'unbuilt-plugin', {}, { exports: './dist/index.js' });
  pkg(cfgDir, 'named-only', { 'index.js': 'export const plugin = 1;\n' }, { exports: './index.js' });
  pkg(cliDir, '@midge/plugin-fallback', { 'index.js': pluginSource('fallback') }, { exports: './index.js' });
  pkg(cliDir, 'shadowed', { 'index.js': pluginSource('from-cli-dir') }, { exports: './index.js' });
  write(path.join(cfgDir, 'plugins', 'mine.js'), pluginSource('mine'));
  write(path.join(root, 'abs.mjs'), pluginSource('absolute'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('resolvePlugin', () => {
  it('resolves a package name from the config folder', async () => {
    const { plugin, url } = await resolvePlugin(entry('@acme/midge-plugin-x'), [cfgDir, cliDir]);
    expect(plugin.name).toBe('acme-x');
    expect(fileURLToPath(url)).toBe(path.join(cfgDir, 'node_modules/@acme/midge-plugin-x/index.js'));
  });

  it('resolves a package subpath through the package exports', async () => {
    const { plugin } = await resolvePlugin(entry('@acme/midge-plugin-x/sub'), [cfgDir, cliDir]);
    expect(plugin.name).toBe('acme-x-sub');
  });

  it('resolves a relative path against the config folder', async () => {
    const { plugin, url } = await resolvePlugin(entry('./plugins/mine.js'), [cfgDir, cliDir]);
    expect(plugin.name).toBe('mine');
    expect(fileURLToPath(url)).toBe(path.join(cfgDir, 'plugins/mine.js'));
    expect((await resolvePlugin(entry('../abs.mjs'), [cfgDir])).plugin.name).toBe('absolute');
  });

  it('resolves an absolute path', async () => {
    const { plugin } = await resolvePlugin(entry(path.join(root, 'abs.mjs')), [cfgDir]);
    expect(plugin.name).toBe('absolute');
  });

  it('falls back to the second search dir, and prefers the first', async () => {
    expect((await resolvePlugin(entry('@midge/plugin-fallback'), [cfgDir, cliDir])).plugin.name).toBe('fallback');
    expect((await resolvePlugin(entry('shadowed'), [cfgDir, cliDir])).plugin.name).toBe('from-config-dir');
  });

  it('names a missing package and where it looked, but never tells to install an unknown name', async () => {
    const err = await errorOf(resolvePlugin(entry('@acme/midge-plugin-missing', 'missing-key'), [cfgDir, cliDir]));
    expect(err.code).toBe('PLUGIN_NOT_FOUND');
    expect(err.plugin).toBe('missing-key');
    expect(err.message).toContain('missing-key');
    expect(err.message).toContain("plugin package '@acme/midge-plugin-missing' is not installed");
    expect(err.message).toContain(cfgDir);
    expect(err.message).toContain(cliDir);
    expect(err.message).toContain('no Midge plugin has a name close to it: check the spelling');
    expect(err.message).not.toContain('npm install');
  });

  it('suggests the installed package a misspelt name is closest to', async () => {
    const err = await errorOf(resolvePlugin(entry('@acme/midge-plugin-y'), [cfgDir, cliDir]));
    expect(err.code).toBe('PLUGIN_NOT_FOUND');
    expect(err.message).toMatch(/is not installed \(looked from .*\): did you mean '@acme\/midge-plugin-x'\?$/);
    expect(err.message).not.toContain('npm install');
  });

  it('suggests our plugin a misspelt name is closest to, with the install command of ours only', async () => {
    const err = await errorOf(resolvePlugin(entry('@midge/plugin-topic-tabo'), [cfgDir]));
    expect(err.message).toContain(
      "did you mean '@midge/plugin-topic-taboo'?; install it next to the config file: npm install @midge/plugin-topic-taboo",
    );
    expect(err.message).not.toMatch(/npm install @midge\/plugin-topic-tabo(\s|$)/);
    const amqtt = await errorOf(resolvePlugin(entry('amqtt.plugins.sys.broker.BrokerSysPlugn'), [cfgDir]));
    expect(amqtt.message).toContain(
      "did you mean '@midge/plugin-sys' (Midge's name for aMQTT's 'amqtt.plugins.sys.broker.BrokerSysPlugin')?",
    );
  });

  it('names the install command of our own package when it is missing', async () => {
    const err = await errorOf(resolvePlugin(entry('@midge/plugin-cluster-nats'), [cfgDir]));
    expect(err.message).toContain(
      "plugin package '@midge/plugin-cluster-nats' is not installed (looked from " +
        cfgDir +
        '): install it next to the config file: npm install @midge/plugin-cluster-nats',
    );
  });

  it('says what replaces a retired plugin of ours instead of telling to install it', async () => {
    const err = await errorOf(resolvePlugin(entry('@midge/plugin-bus-redis'), [cfgDir]));
    expect(err.message).toContain(
      "plugin package '@midge/plugin-bus-redis' is not installed (looked from " +
        cfgDir +
        "): it is retired: it sent every message to every broker through Redis pub/sub, which broke MQTT's guarantees across brokers",
    );
    expect(err.message).toContain('use @midge/plugin-cluster-nats instead (docs/cluster.md tells how to move)');
    expect(err.message).not.toContain('npm install');
  });

  it('names only the package part of a missing subpath', async () => {
    const err = await errorOf(resolvePlugin(entry('@midge/plugin-logging/event-logger'), [cfgDir]));
    expect(err.code).toBe('PLUGIN_NOT_FOUND');
    expect(err.message).toContain('npm install @midge/plugin-logging');
    expect(err.message).not.toContain('npm install @midge/plugin-logging/');
  });

  it('names the absolute path tried for a missing file', async () => {
    const err = await errorOf(resolvePlugin(entry('./plugins/nope.js'), [cfgDir, cliDir]));
    expect(err.code).toBe('PLUGIN_NOT_FOUND');
    expect(err.message).toContain(path.join(cfgDir, 'plugins/nope.js'));
    expect(err.message).not.toContain('npm install');
  });

  it('reports a subpath the package does not export', async () => {
    const err = await errorOf(resolvePlugin(entry('@acme/midge-plugin-x/other'), [cfgDir, cliDir]));
    expect(err.code).toBe('PLUGIN_NOT_FOUND');
    expect(err.message).toContain('does not export @acme/midge-plugin-x/other');
  });

  it('rejects a module that does not export a plugin', async () => {
    const err = await errorOf(resolvePlugin(entry('not-a-plugin'), [cfgDir]));
    expect(err.code).toBe('PLUGIN_INVALID');
    expect(err.message).toContain('does not export a Midge plugin (definePlugin)');
    const named = await errorOf(resolvePlugin(entry('named-only'), [cfgDir]));
    expect(named.code).toBe('PLUGIN_INVALID');
  });

  it('rejects a plugin built for another API version', async () => {
    const err = await errorOf(resolvePlugin(entry('future-plugin'), [cfgDir]));
    expect(err.code).toBe('PLUGIN_API_VERSION');
    expect(err.message).toContain('built for plugin API v2, this broker supports v1');
  });

  it('wraps a module that throws while importing', async () => {
    const err = await errorOf(resolvePlugin(entry('throws-plugin'), [cfgDir]));
    expect(err.code).toBe('PLUGIN_LOAD_FAILED');
    expect((err.cause as Error).message).toBe('cannot start');
    expect(err.message).toContain('cannot start');
  });

  it('reports an installed package whose entry file is missing', async () => {
    const err = await errorOf(resolvePlugin(entry('unbuilt-plugin'), [cfgDir, cliDir]));
    expect(err.code).toBe('PLUGIN_LOAD_FAILED');
    expect(err.message).toContain('entry file is missing');
  });

  it('honours export conditions', async () => {
    pkg(
      cfgDir,
      'conditional',
      { 'src.js': pluginSource('from-source'), 'dist.js': pluginSource('from-dist') },
      { exports: { 'midge-source': './src.js', default: './dist.js' } },
    );
    // Explicit conditions: the default set includes this process's --conditions, and vitest passes
    // --conditions=midge-source to its workers.
    expect((await resolvePlugin(entry('conditional'), [cfgDir], { conditions: ['node', 'import'] })).plugin.name).toBe(
      'from-dist',
    );
    const withSource = await resolvePlugin(entry('conditional'), [cfgDir], {
      conditions: ['midge-source', 'node', 'import'],
    });
    expect(withSource.plugin.name).toBe('from-source');
  });
});

describe('helpers', () => {
  it('tells paths from package names and finds the package part', () => {
    expect(isPathSpecifier('./a.js')).toBe(true);
    expect(isPathSpecifier('../a.js')).toBe(true);
    expect(isPathSpecifier('/abs/a.js')).toBe(true);
    expect(isPathSpecifier('file:///abs/a.js')).toBe(true);
    expect(isPathSpecifier('@midge/plugin-logging')).toBe(false);
    expect(isPathSpecifier('pkg/sub')).toBe(false);
    expect(packageNameOf('@midge/plugin-logging/event-logger')).toBe('@midge/plugin-logging');
    expect(packageNameOf('pkg/sub/deep')).toBe('pkg');
    expect(packageNameOf('pkg')).toBe('pkg');
  });

  it('checkPlugin accepts in-memory plugins and rejects plain objects', () => {
    const p = definePlugin({ name: 'mem', apiVersion: 1, setup: () => ({}) });
    expect(checkPlugin(p, 'mem')).toBe(p);
    expect(() => checkPlugin({ name: 'x' }, 'k')).toThrow(/does not export a Midge plugin/);
    expect(() => checkPlugin({ [Symbol.for('midge.plugin')]: true, name: 'x', apiVersion: 1 }, 'k')).toThrow(/`setup`/);
  });
});

describe('PluginHost with resolution', () => {
  it('resolves entries it was not given in memory, in config order', async () => {
    const mem = definePlugin({ name: 'mem', apiVersion: 1, setup: () => ({}) });
    const host = await PluginHost.start(
      [entry('@acme/midge-plugin-x'), entry('./plugins/mine.js'), entry('in-memory')],
      {
        searchDirs: [cfgDir, cliDir],
        configDir: cfgDir,
        logger: memoryLogger(),
        broker: fakeBroker,
        decisionTimeoutMs: 100,
        setupTimeoutMs: 100,
        resolved: new Map([['in-memory', mem]]),
      },
    );
    expect(host.plugins).toEqual([
      { name: 'acme-x', key: '@acme/midge-plugin-x', version: '1.0.0' },
      { name: 'mine', key: './plugins/mine.js', version: null },
      { name: 'mem', key: 'in-memory', version: null },
    ]);
    await host.close();
  });

  it('fails with every resolution error as a problem of the config, codes kept', async () => {
    const err = await PluginHost.start([entry('nowhere-plugin'), entry('not-a-plugin'), entry('elsewhere-plugin')], {
      searchDirs: [cfgDir],
      configDir: cfgDir,
      logger: memoryLogger(),
      broker: fakeBroker,
      decisionTimeoutMs: 100,
      setupTimeoutMs: 100,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    const { issues, cause } = err as ConfigError;
    expect(issues.map((i) => [i.path, i.code])).toEqual([
      ['plugins.nowhere-plugin', 'PLUGIN_NOT_FOUND'],
      ['plugins.not-a-plugin', 'PLUGIN_INVALID'],
      ['plugins.elsewhere-plugin', 'PLUGIN_NOT_FOUND'],
    ]);
    expect(cause).toBeInstanceOf(PluginError);
    expect((cause as PluginError).plugin).toBe('nowhere-plugin');
  });
});
