/**
 * A broker started from a YAML file that names plugins the way users do: by package name (installed in the
 * config folder's node_modules), by relative path, and wrongly (missing package, not a plugin, wrong API).
 * The packages are plain JavaScript written by the test, as a third party would publish them.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBroker, type Broker } from '../../src/broker/broker.js';
import { ConfigError, PluginError } from '../../src/errors.js';
import { nullLogger } from '../../src/log.js';
import { RawClient } from '../../src/testing/index.js';

let dir = '';
const opened: { brokers: Broker[]; clients: RawClient[] } = { brokers: [], clients: [] };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'midge-yaml-plugins-'));
});
afterEach(async () => {
  for (const c of opened.clients.splice(0)) c.destroy();
  for (const b of opened.brokers.splice(0)) await b.close();
  rmSync(dir, { recursive: true, force: true });
});

function write(rel: string, text: string): string {
  const file = join(dir, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** A package in <dir>/node_modules/<name> whose index.js is `body`. */
function installPackage(name: string, body: string): void {
  write(
    `node_modules/${name}/package.json`,
    JSON.stringify({ name, version: '1.0.0', type: 'module', exports: './index.js' }),
  );
  write(`node_modules/${name}/index.js`, body);
}

/**
 * The plugin of @acme/midge-plugin-x: denies publishing under `deny_prefix`. No core import: the brand is
 * the registered symbol definePlugin sets, and the config schema a hand-written Standard Schema V1.
 */
const ACME_PLUGIN = `
const configSchema = {
  '~standard': {
    version: 1,
    vendor: 'acme',
    validate(value) {
      const issues = [];
      if (typeof value !== 'object' || value === null) return { issues: [{ message: 'expected a mapping' }] };
      for (const key of Object.keys(value)) {
        if (key !== 'deny_prefix') issues.push({ message: 'unknown option', path: [key] });
      }
      if (typeof value.deny_prefix !== 'string') issues.push({ message: 'must be a string', path: ['deny_prefix'] });
      return issues.length > 0 ? { issues } : { value };
    },
  },
};
const allow = Object.freeze({ verdict: 'allow' });
export default {
  [Symbol.for('midge.plugin')]: true,
  name: 'acme-x',
  apiVersion: 1,
  configSchema,
  setup(ctx, config) {
    return {
      authorizeTopic({ action, topic }) {
        return action === 'publish' && topic.startsWith(config.deny_prefix)
          ? Object.freeze({ verdict: 'deny', reason: 'acme says no' })
          : allow;
      },
    };
  },
};
`;

const LISTENER = 'listeners:\n  default:\n    type: tcp\n    bind: 127.0.0.1:0\n';

async function startFrom(yaml: string): Promise<Broker> {
  const file = write('broker.yaml', yaml);
  const broker = await createBroker(file, { logger: nullLogger });
  opened.brokers.push(broker);
  await broker.start();
  return broker;
}

async function client(broker: Broker, clientId: string): Promise<RawClient> {
  const c = await RawClient.connect(broker.listeners()[0]!.port);
  opened.clients.push(c);
  expect(await c.connect({ clientId })).toMatchObject({ reasonCode: 0 });
  return c;
}

describe('plugins named in a YAML file', () => {
  it('loads a plugin by package name from node_modules next to the config file, and it takes effect', async () => {
    installPackage('@acme/midge-plugin-x', ACME_PLUGIN);
    const broker = await startFrom(`${LISTENER}plugins:\n  '@acme/midge-plugin-x':\n    deny_prefix: secret/\n`);
    // Its package's version comes along (BrokerApi.plugins(), the admin API's plugin list).
    expect(broker.plugins?.plugins).toEqual([{ name: 'acme-x', key: '@acme/midge-plugin-x', version: '1.0.0' }]);
    const sub = await client(broker, 'sub');
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: '#', qos: 1 }] });
    await sub.expectPacket('suback');
    const pub = await client(broker, 'pub');
    pub.send({
      type: 'publish',
      topic: 'secret/plans',
      payload: Buffer.from('no'),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 1,
    });
    await pub.expectPacket('puback'); // 3.1.1 has no negative PUBACK: acknowledged, then dropped
    pub.send({
      type: 'publish',
      topic: 'public/news',
      payload: Buffer.from('yes'),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 2,
    });
    await pub.expectPacket('puback');
    const got = await sub.expectPacket('publish');
    expect(got.topic).toBe('public/news');
    await sub.expectNothingBeforePingresp();
    expect(broker.stats().dropped.denied).toBe(1);
  });

  it('loads a plugin by path relative to the config file', async () => {
    write('plugins/acme.js', ACME_PLUGIN);
    const broker = await startFrom(`${LISTENER}plugins:\n  ./plugins/acme.js:\n    deny_prefix: x/\n`);
    expect(broker.plugins?.plugins.map((p) => p.name)).toEqual(['acme-x']);
  });

  it("validates the plugin's options strictly, reporting `file: path: message`", async () => {
    installPackage('@acme/midge-plugin-x', ACME_PLUGIN);
    const file = write('broker.yaml', `${LISTENER}plugins:\n  '@acme/midge-plugin-x':\n    deny_prefx: secret/\n`);
    const broker = await createBroker(file, { logger: nullLogger });
    const err = await broker.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as ConfigError).message;
    // A Standard Schema that is not valibot: its messages are kept as the plugin wrote them.
    expect(message).toContain(`${file}:7:5: plugins.'@acme/midge-plugin-x'.deny_prefx: unknown option`);
    expect(message).toContain(`${file}:6:3: plugins.'@acme/midge-plugin-x'.deny_prefix: must be a string`);
  });

  it('unknown packages fail together, each with its line, a misspelt one with the name it was closest to', async () => {
    installPackage('@acme/midge-plugin-x', ACME_PLUGIN);
    const file = write(
      'broker.yaml',
      `${LISTENER}plugins:\n  '@acme/not-installed':\n  '@acme/midge-plugin-y':\n    deny_prefix: a/\n`,
    );
    const broker = await createBroker(file, { logger: nullLogger });
    const err = await broker.start().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).cause).toBeInstanceOf(PluginError);
    expect((err as ConfigError).issues.map((i) => i.code)).toEqual(['PLUGIN_NOT_FOUND', 'PLUGIN_NOT_FOUND']);
    const [first, second] = (err as Error).message.split('\n');
    expect(first).toMatch(
      /:6:3: plugins\.'@acme\/not-installed': plugin package '@acme\/not-installed' is not installed \(looked from .*\), and no Midge plugin has a name close to it/,
    );
    expect(second).toMatch(/:7:3: plugins\.'@acme\/midge-plugin-y': .*did you mean '@acme\/midge-plugin-x'\?$/);
    // Never an invitation to install a name nobody checked.
    expect((err as Error).message).not.toContain('npm install');
    // Nothing was left listening.
    expect(broker.running).toBe(false);
  });

  it('a module that is not a plugin, or is built for another apiVersion, is refused by name', async () => {
    installPackage('not-a-plugin', 'export default { hello: "world" };\n');
    installPackage(
      'future-plugin',
      `export default { [Symbol.for('midge.plugin')]: true, name: 'future', apiVersion: 2, setup() {} };\n`,
    );
    for (const [pkg, code, text] of [
      ['not-a-plugin', 'PLUGIN_INVALID', /does not export a Midge plugin/],
      ['future-plugin', 'PLUGIN_API_VERSION', /built for plugin API v2, this broker supports v1/],
    ] as const) {
      const file = write('broker.yaml', `${LISTENER}plugins:\n  ${pkg}:\n`);
      const broker = await createBroker(file, { logger: nullLogger });
      const err = await broker.start().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).issues).toMatchObject([{ code, path: `plugins.${pkg}`, line: 6, column: 3 }]);
      expect((err as ConfigError).cause).toMatchObject({ code, plugin: pkg });
      expect((err as Error).message).toMatch(text);
      expect((err as Error).message).toContain(pkg);
    }
  });
});
