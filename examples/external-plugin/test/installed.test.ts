/**
 * The plugin as a user gets it from npm: its built `dist` and package.json copied into
 * `<tmp>/node_modules/@acme/midge-plugin-topic-prefix`, next to a broker.yaml naming it by package name.
 * Its peer (@midge/mqtt-core) and dependency (valibot) are linked beside it, as a package manager would.
 * Needs `dist`: the workspace build (`pnpm run build`, run by CI before the tests) makes it; if it is
 * missing the test builds it with tsc.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, createBroker, nullLogger, type Broker } from '@midge/mqtt-core';
import { RawClient } from '@midge/mqtt-core/testing';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const NAME = '@acme/midge-plugin-topic-prefix';

/** The folder of an installed package, looked up from this package's node_modules upwards as Node does. */
function installedDir(pkg: string): string {
  for (let at = packageDir; ; at = dirname(at)) {
    const candidate = join(at, 'node_modules', pkg);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(at) === at) throw new Error(`${pkg} is not installed: run pnpm install`);
  }
}

/** `exports` without the workspace-only `midge-source` condition, as a user's Node sees a package. */
function withoutSourceCondition(exports: unknown): unknown {
  if (typeof exports !== 'object' || exports === null) return exports;
  return Object.fromEntries(
    Object.entries(exports)
      .filter(([k]) => k !== 'midge-source')
      .map(([k, v]) => [k, withoutSourceCondition(v)]),
  );
}

let dir = '';
beforeAll(() => {
  const coreDir = installedDir('@midge/mqtt-core');
  if (!existsSync(join(packageDir, 'dist', 'index.js')) || !existsSync(join(coreDir, 'dist', 'index.js'))) {
    // -b builds the referenced core project too.
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-b', join(packageDir, 'tsconfig.build.json')], { stdio: 'inherit' });
  }
  dir = mkdtempSync(join(tmpdir(), 'midge-installed-plugin-'));
  const modules = join(dir, 'node_modules');
  // The plugin: its package.json and built files, copied as npm would unpack them.
  const target = join(modules, ...NAME.split('/'));
  mkdirSync(target, { recursive: true });
  cpSync(join(packageDir, 'dist'), join(target, 'dist'), { recursive: true });
  cpSync(join(packageDir, 'package.json'), join(target, 'package.json'));
  // Its peer, core, as published: the plugin's dist is imported by Node itself, and this test process runs
  // with `--conditions=midge-source` (vitest), which would pick core's TypeScript sources.
  const core = join(modules, '@midge', 'mqtt-core');
  mkdirSync(core, { recursive: true });
  const corePkg = JSON.parse(readFileSync(join(coreDir, 'package.json'), 'utf8')) as { exports: unknown };
  writeFileSync(
    join(core, 'package.json'),
    JSON.stringify({ ...corePkg, exports: withoutSourceCondition(corePkg.exports) }),
  );
  symlinkSync(join(coreDir, 'dist'), join(core, 'dist'), 'dir');
  // Its dependency.
  symlinkSync(installedDir('valibot'), join(modules, 'valibot'), 'dir');
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

async function startFrom(yaml: string): Promise<Broker> {
  const file = join(dir, 'broker.yaml');
  writeFileSync(file, yaml);
  // searchDirs defaults to the config file's folder: nothing else is needed to find the plugin. The
  // conditions are a user's plain Node ones: vitest adds `midge-source`, which would pick src/ (not shipped).
  const broker = await createBroker(file, { logger: nullLogger, conditions: ['node', 'import'] });
  await broker.start();
  return broker;
}

const YAML = `listeners:
  default:
    type: tcp
    bind: 127.0.0.1:0
plugins:
  '${NAME}':
    prefix: 'devices/%u/'
`;

describe('installed from node_modules', () => {
  it('a broker whose YAML names the package loads it from the config folder, and it takes effect', async () => {
    const broker = await startFrom(YAML);
    try {
      // With its package's version, as the admin API's plugin list shows it.
      const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
        version: string;
      };
      expect(broker.plugins?.plugins).toEqual([{ name: 'acme-topic-prefix', key: NAME, version }]);
      const c = await RawClient.connect(broker.listeners()[0]!.port);
      expect(await c.connect({ clientId: 'd1', username: 'd1' })).toMatchObject({ reasonCode: 0 });
      c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: '#', qos: 0 }] });
      await c.expectPacket('suback');
      c.send({ type: 'publish', topic: 'devices/d2/x', payload: Buffer.from('no'), qos: 0, retain: false, dup: false });
      c.send({
        type: 'publish',
        topic: 'devices/d1/x',
        payload: Buffer.from('yes'),
        qos: 0,
        retain: false,
        dup: false,
      });
      expect((await c.expectPacket('publish')).payload.toString()).toBe('yes');
      c.destroy();
    } finally {
      await broker.close();
    }
  });

  it('a misspelt package name fails with the installed name it is closest to, never an install command', async () => {
    const err = await startFrom(YAML.replace(NAME, '@acme/midge-plugin-topic-prefx')).then(
      (b) => b.close().then(() => undefined),
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]?.code).toBe('PLUGIN_NOT_FOUND');
    expect((err as Error).message).toContain(`did you mean '${NAME}'?`);
    expect((err as Error).message).not.toContain('npm install');
  });
});
