/**
 * aMQTT's two default broker configs (today's, with class names, and the previous one, with the deprecated
 * auth / topic-check / sys_interval sections) run unchanged as real brokers. Only `bind` differs: tests
 * listen on 127.0.0.1 with a free port. Core cannot depend on plugin packages, so they are resolved from
 * the CLI's folder (which depends on all of them), as the CLI does for its users.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBroker, NO_AUTH_WARNING, type Broker } from '../../src/broker/broker.js';
import { RawClient } from '../../src/testing/index.js';
import { AMQTT_DEFAULT_YAML, AMQTT_LEGACY_DEFAULT_YAML } from '../config/fixtures.js';
import { memoryLogger } from '../plugin-host/helpers.js';

const CLI_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../apps/broker-cli');

// The verbatim fixtures, with the one difference this test allows: its own bind.
const onLoopback = (yaml: string): string => yaml.replace('bind: 0.0.0.0:1883', 'bind: 127.0.0.1:0');
const AMQTT_DEFAULT = onLoopback(AMQTT_DEFAULT_YAML);
const AMQTT_LEGACY_DEFAULT = onLoopback(AMQTT_LEGACY_DEFAULT_YAML);

const EXPECTED_PLUGINS = [
  '@midge/plugin-logging/event-logger',
  '@midge/plugin-logging/packet-logger',
  '@midge/plugin-auth-anonymous',
  '@midge/plugin-sys',
];

let dir = '';
const opened: { brokers: Broker[]; clients: RawClient[] } = { brokers: [], clients: [] };
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'midge-amqtt-'));
});
afterEach(async () => {
  for (const c of opened.clients.splice(0)) c.destroy();
  for (const b of opened.brokers.splice(0)) await b.close();
  rmSync(dir, { recursive: true, force: true });
});

async function startFrom(yaml: string, logger = memoryLogger()): Promise<Broker> {
  const file = join(dir, 'broker.yaml');
  writeFileSync(file, yaml);
  const broker = await createBroker(file, { logger, searchDirs: [dir, CLI_DIR] });
  opened.brokers.push(broker);
  await broker.start();
  return broker;
}

async function client(broker: Broker): Promise<RawClient> {
  const c = await RawClient.connect(broker.listeners()[0]!.port);
  opened.clients.push(c);
  return c;
}

describe("aMQTT's default broker configs run unchanged", () => {
  for (const [name, yaml, deprecated] of [
    [
      'current default (class names)',
      AMQTT_DEFAULT,
      ['amqtt.plugins.logging_amqtt.EventLoggerPlugin', 'amqtt.plugins.sys.broker.BrokerSysPlugin'],
    ],
    [
      'previous default (auth, topic-check, sys_interval)',
      AMQTT_LEGACY_DEFAULT,
      ['auth', 'topic-check', 'sys_interval'],
    ],
  ] as const) {
    it(name, async () => {
      const log = memoryLogger();
      const broker = await startFrom(yaml, log);
      expect(broker.plugins?.plugins.map((p) => p.key)).toEqual(EXPECTED_PLUGINS);
      // Each old spelling was logged as a deprecation naming the new one.
      const warned = log.records.filter((r) => r.level === 'warn');
      for (const path of deprecated) {
        const rec = warned.find((r) => typeof r.obj.path === 'string' && r.obj.path.includes(path));
        expect(rec?.msg, `${path} in ${JSON.stringify(warned)}`).toMatch(
          /(deprecated|class name).*(@midge\/|remove it)/,
        );
      }
      // An authentication plugin is configured, so no "every client is allowed" warning.
      expect(warned.map((r) => r.msg)).not.toContain(NO_AUTH_WARNING);
      // Anonymous clients get in, and $SYS runs: its retained version topic is there.
      const c = await client(broker);
      expect(await c.connect({ clientId: 'anon' })).toMatchObject({ reasonCode: 0 });
      c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: '$SYS/broker/version', qos: 0 }] });
      await c.expectPacket('suback');
      const version = await c.expectPacket('publish');
      expect(version).toMatchObject({ topic: '$SYS/broker/version', retain: true });
      expect(version.payload.toString()).toMatch(/^Midge /);
      // Publish and receive through the full plugin chain (loggers see every packet).
      c.send({ type: 'publish', topic: 'a/b', payload: Buffer.from('hi'), qos: 0, retain: false, dup: false });
      c.send({ type: 'subscribe', packetId: 2, subscriptions: [{ topic: 'x/#', qos: 1 }] });
      await c.expectPacket('suback');
      c.send({
        type: 'publish',
        topic: 'x/1',
        payload: Buffer.from('ok'),
        qos: 1,
        retain: false,
        dup: false,
        packetId: 3,
      });
      const [first, second] = [await c.next(), await c.next()];
      expect([first.type, second.type].sort()).toEqual(['puback', 'publish']);
    });
  }

  it("allow_anonymous: false refuses clients without a username, and (unlike aMQTT's 'Danger') a username alone is not enough", async () => {
    const broker = await startFrom(AMQTT_LEGACY_DEFAULT.replace('allow-anonymous: true', 'allow-anonymous: false'));
    const anonymous = await client(broker);
    expect(await anonymous.connect({ clientId: 'a' })).toMatchObject({ reasonCode: 5 });
    const named = await client(broker);
    // aMQTT admits this client (its AnonymousAuthPlugin allows any username); with no other auth plugin
    // saying allow, Midge refuses it.
    expect(await named.connect({ clientId: 'b', username: 'mallory' })).toMatchObject({ reasonCode: 5 });
  });
});
