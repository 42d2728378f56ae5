/**
 * The plugin inside a real broker, loaded by package name the way a user's config names it. The package
 * resolves itself (Node's package self-reference through `exports`), so searchDirs is this folder.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, type ConnectPacket } from '@midge/mqtt-core';
import { createTestBroker, RawClient, type TestBroker } from '@midge/mqtt-core/testing';
import plugin, { configSchema, createPrefixAuthorizer } from '../src/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const NAME = '@acme/midge-plugin-topic-prefix';
let tb: TestBroker | undefined;
const clients: RawClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await tb?.close();
  tb = undefined;
});

async function start(options: Record<string, unknown> = {}): Promise<TestBroker> {
  tb = await createTestBroker({ plugins: { [NAME]: options } }, { searchDirs: [packageDir] });
  return tb;
}

async function client(options: Partial<Omit<ConnectPacket, 'type'>> = {}): Promise<RawClient> {
  const c = await RawClient.connect(tb!.port);
  clients.push(c);
  expect(await c.connect(options)).toMatchObject({ reasonCode: 0 });
  return c;
}

function publish(c: RawClient, topic: string, packetId: number): void {
  c.send({ type: 'publish', topic, payload: Buffer.from(topic), qos: 1, retain: false, dup: false, packetId });
}

describe('topic prefix plugin in a broker', () => {
  it('is a Midge plugin', () => {
    expect(plugin.name).toBe('acme-topic-prefix');
    expect(plugin.apiVersion).toBe(1);
  });

  it('lets a user publish under users/<name>/ only; subscribing stays open', async () => {
    await start();
    const watcher = await client({ clientId: 'watcher', username: 'watcher' });
    watcher.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: '#', qos: 1 }] });
    await watcher.expectPacket('suback');
    const alice = await client({ clientId: 'alice', username: 'alice' });
    publish(alice, 'users/bob/inbox', 1);
    await alice.expectPacket('puback'); // MQTT 3.1.1 has no negative PUBACK: acknowledged, then dropped
    publish(alice, 'users/alice/status', 2);
    await alice.expectPacket('puback');
    expect((await watcher.expectPacket('publish')).topic).toBe('users/alice/status');
    await watcher.expectNothingBeforePingresp();
    expect(tb!.broker.stats().dropped.denied).toBe(1);
  });

  it('tells MQTT 5 clients why, with PUBACK 0x87', async () => {
    await start();
    const c = await RawClient.connect(tb!.port, '127.0.0.1', 5);
    clients.push(c);
    expect(await c.connect({ protocolVersion: 5, clientId: 'v5', username: 'carol' })).toMatchObject({ reasonCode: 0 });
    c.send(
      {
        type: 'publish',
        topic: 'elsewhere',
        payload: Buffer.from('x'),
        qos: 1,
        retain: false,
        dup: false,
        packetId: 7,
      },
      5,
    );
    expect(await c.expectPacket('puback')).toMatchObject({ packetId: 7, reasonCode: 0x87 });
  });

  it('honours prefix, exempt_users and disconnect', async () => {
    await start({ prefix: 'tenants/%u/', exempt_users: ['admin'], disconnect: true });
    const admin = await client({ clientId: 'admin', username: 'admin' });
    publish(admin, 'anywhere', 1);
    await admin.expectPacket('puback');
    const dave = await client({ clientId: 'dave', username: 'dave' });
    publish(dave, 'tenants/dave/ok', 2);
    await dave.expectPacket('puback');
    publish(dave, 'users/dave/old-prefix', 3);
    await dave.expectPacket('puback');
    await dave.closed();
  });

  it('refuses publishing from clients without a username', async () => {
    await start();
    const anon = await client({ clientId: 'anon' });
    publish(anon, 'users//x', 1);
    await anon.expectPacket('puback');
    expect(tb!.broker.stats().dropped.denied).toBe(1);
  });

  it('reports bad options at once, strictly, under plugins.<name>', async () => {
    const err = await start({ prefix: 'users/#', colour: 'blue' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toContain(`plugins.'${NAME}'.prefix`);
    expect(message).toContain(`plugins.'${NAME}'.colour: unknown option 'colour'`);
  });
});

describe('createPrefixAuthorizer', () => {
  it('can be tested without a broker', async () => {
    const result = await configSchema['~standard'].validate({});
    if (result.issues) throw new Error('default config must be valid');
    const decide = createPrefixAuthorizer(result.value);
    const client = {
      clientId: 'c',
      username: 'eve',
      protocolVersion: 4,
      listener: 'x',
      remoteAddress: '',
      remotePort: 0,
      secure: false,
    } as const;
    expect(decide({ client, action: 'publish', topic: 'users/eve/a', qos: 0 }).verdict).toBe('allow');
    expect(decide({ client, action: 'publish', topic: 'users/eve', qos: 0 }).verdict).toBe('deny');
    expect(decide({ client, action: 'subscribe', topic: '#', qos: 0 }).verdict).toBe('allow');
    expect(decide({ client, action: 'receive', topic: 'other', qos: 0 }).verdict).toBe('allow');
  });
});
