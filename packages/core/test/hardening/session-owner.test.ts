/**
 * Issue 11, finding 2: a session (live or persistent) belongs to the identity that created it. Another
 * username, or an anonymous client, may not read its queue, inherit its subscriptions or kick its owner off
 * by reusing the client id (`session_owner`, default 'strict').
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryPersistence } from '../../src/persistence/memory.js';
import { allow, authenticated, challenge, definePlugin, deny } from '../../src/plugin-api/index.js';
import type { ClientInfo } from '../../src/plugin-api/types.js';
import { createTestBroker, RawClient, type TestBroker } from '../../src/testing/index.js';
import { barrier, Harness, publish, subscribe, subscribeV5, until } from '../broker/helpers.js';

const h = new Harness();
afterEach(() => h.stop());

/** Everyone is authenticated (with or without a username); each user may only use topics under its name. */
const usersOwnTopics = definePlugin({
  name: 'own-topics',
  apiVersion: 1,
  setup: () => ({
    authenticate: () => allow,
    authorizeTopic: (r) =>
      r.client.username === 'pub' || r.topic.startsWith(`${r.client.username ?? 'anonymous'}/`) ? allow : deny(),
  }),
});

const LONG_SESSION = { sessionExpiryInterval: 3600 };

/** bob's persistent v5 session with a subscription to bob/# and one QoS 1 message queued while he is away. */
async function bobWithQueuedMessage(): Promise<void> {
  const bob = await h.v5('bob-phone', { username: 'bob', clean: false, properties: LONG_SESSION });
  expect(await subscribeV5(bob, { topic: 'bob/#', qos: 1 })).toEqual([1]);
  await bob.disconnect(5);
  const pub = await h.connected('publisher', { username: 'pub' });
  publish(pub, 'bob/secret', 'for bob only', 1);
  await pub.expectPacket('puback');
  await until(() => h.tb.broker.stats().messagesStored === 1);
}

async function connectAs(
  clientId: string,
  username: string | undefined,
  extra: { protocolVersion?: 4 | 5; clean?: boolean } = {},
) {
  const c = await h.client();
  const connack = await c.connect({
    clientId,
    clean: extra.clean ?? false,
    protocolVersion: extra.protocolVersion ?? 5,
    ...(username !== undefined ? { username } : {}),
    ...(extra.protocolVersion === 4 ? {} : { properties: LONG_SESSION }),
  });
  return { c, connack };
}

describe("session_owner: 'strict' (default)", () => {
  it("[MQTT-3.2.2-1] v5: another user resuming bob's session gets CONNACK 0x87 and none of his messages", async () => {
    await h.start({}, { plugins: [usersOwnTopics] });
    await bobWithQueuedMessage();
    const { c, connack } = await connectAs('bob-phone', 'alice');
    expect(connack).toMatchObject({ reasonCode: 0x87, sessionPresent: false });
    await c.closed();
    // bob's session is untouched: he resumes it and gets what was queued.
    const { c: bob, connack: ack } = await connectAs('bob-phone', 'bob');
    expect(ack).toMatchObject({ reasonCode: 0, sessionPresent: true });
    expect((await bob.expectPacket('publish')).payload.toString()).toBe('for bob only');
  });

  it('v3.1.1: another user gets CONNACK 0x05, and so does an anonymous client', async () => {
    await h.start({}, { plugins: [usersOwnTopics] });
    await bobWithQueuedMessage();
    const alice = await connectAs('bob-phone', 'alice', { protocolVersion: 4 });
    expect(alice.connack).toMatchObject({ reasonCode: 0x05, sessionPresent: false });
    await alice.c.closed();
    const anon = await connectAs('bob-phone', undefined, { protocolVersion: 4 });
    expect(anon.connack).toMatchObject({ reasonCode: 0x05, sessionPresent: false });
    await anon.c.closed();
    expect(h.tb.broker.stats().messagesStored).toBe(1);
  });

  it('a session created anonymously is not resumable by a user either', async () => {
    await h.start({}, { plugins: [usersOwnTopics] });
    await h.connected('shared-id', { clean: false });
    const bob = await connectAs('shared-id', 'bob', { protocolVersion: 4 });
    expect(bob.connack.reasonCode).toBe(0x05);
  });

  it('clean start does not let another user kick the owner off: bob stays connected', async () => {
    await h.start({}, { plugins: [usersOwnTopics] });
    const bob = await h.v5('bob-phone', { username: 'bob' });
    await subscribeV5(bob, { topic: 'bob/#' });
    const alice = await connectAs('bob-phone', 'alice', { clean: true });
    expect(alice.connack.reasonCode).toBe(0x87);
    await alice.c.closed();
    const pub = await h.connected('publisher', { username: 'pub' });
    publish(pub, 'bob/still-here', 'x');
    expect((await bob.expectPacket('publish')).topic).toBe('bob/still-here');
    expect(h.tb.broker.stats().limitsHit['session_owner']).toBe(1);
  });

  it('[MQTT-3.1.4-2] the owner may still take over his own session', async () => {
    await h.start({}, { plugins: [usersOwnTopics] });
    const first = await h.v5('bob-phone', { username: 'bob' });
    const second = await connectAs('bob-phone', 'bob', { clean: true });
    expect(second.connack.reasonCode).toBe(0);
    expect(await first.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x8e });
  });
});

describe("session_owner: 'fresh'", () => {
  it("another user gets a new empty session; bob's is discarded", async () => {
    await h.start({ session_owner: 'fresh' }, { plugins: [usersOwnTopics] });
    await bobWithQueuedMessage();
    const { c, connack } = await connectAs('bob-phone', 'alice');
    expect(connack).toMatchObject({ reasonCode: 0, sessionPresent: false });
    await barrier(c);
    expect(h.tb.broker.stats().messagesStored).toBe(0);
    expect(h.tb.broker.stats().subscriptionCount).toBe(0);
  });
});

describe('the owner is persisted with the session', () => {
  let first: TestBroker | undefined;
  let second: TestBroker | undefined;
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await first?.close();
    await second?.close();
    first = second = undefined;
  });

  it('a restored session keeps its username: only bob resumes it, and his queued messages pass the ACL as bob', async () => {
    const persistence = new MemoryPersistence();
    first = await createTestBroker({}, { plugins: [usersOwnTopics], persistence });
    const bob = await RawClient.connect(first.port);
    clients.push(bob);
    expect((await bob.connect({ clientId: 'bob-phone', username: 'bob', clean: false })).reasonCode).toBe(0);
    await subscribe(bob, 'bob/#', 1);
    await bob.disconnect();
    await first.close();
    expect((await persistence.listSessions())[0]?.username).toBe('bob');

    second = await createTestBroker({}, { plugins: [usersOwnTopics], persistence });
    // Queued while bob is offline: 'receive' is authorized for the restored session's identity (bob).
    await second.broker.publish({ topic: 'bob/after-restart', payload: 'kept', qos: 1 }, { trusted: true });
    expect(second.broker.stats().messagesStored).toBe(1);
    const alice = await RawClient.connect(second.port);
    clients.push(alice);
    expect((await alice.connect({ clientId: 'bob-phone', username: 'alice', clean: false })).reasonCode).toBe(0x05);
    const bobAgain = await RawClient.connect(second.port);
    clients.push(bobAgain);
    expect(await bobAgain.connect({ clientId: 'bob-phone', username: 'bob', clean: false })).toMatchObject({
      reasonCode: 0,
      sessionPresent: true,
    });
    expect((await bobAgain.expectPacket('publish')).payload.toString()).toBe('kept');
  });
});

describe('sessions stored before owners were', () => {
  it('are claimed by the first identity that resumes them, then bound to it', async () => {
    const persistence = new MemoryPersistence();
    await persistence.saveSession({
      clientId: 'old',
      subscriptions: [{ topic: 'alice/#', qos: 1 }],
      queue: [],
      inflight: [],
      inboundQos2: [],
    });
    await h.start({}, { plugins: [usersOwnTopics], persistence });
    const connect = async (username: string) => (await h.client()).connect({ clientId: 'old', username, clean: false });
    expect(await connect('alice')).toMatchObject({ reasonCode: 0, sessionPresent: true });
    expect(await connect('bob')).toMatchObject({ reasonCode: 0x05 });
    await h.tb.close();
    expect((await persistence.getSession('old'))?.username).toBe('alice');
  });
});

describe('enhanced authentication sets the identity', () => {
  /** Accepts the token "token-for-bob" as bob, whatever username the CONNECT carries. */
  const tokenAuth = definePlugin({
    name: 'token-auth',
    apiVersion: 1,
    setup: () => ({
      enhancedAuth: {
        methods: ['TOKEN'],
        step: (r) => {
          if (r.step === 0) return challenge(Buffer.from('send token'));
          return r.data?.toString() === 'token-for-bob' ? authenticated(undefined, { username: 'bob' }) : deny();
        },
      },
    }),
  });

  it('a proof for bob that comes with username admin makes a client named bob', async () => {
    const seen: ClientInfo[] = [];
    const rules = definePlugin({
      name: 'admin-may-all',
      apiVersion: 1,
      setup: () => ({
        authorizeTopic: (r) =>
          r.client.username === 'admin' || r.topic.startsWith(`${r.client.username}/`) ? allow : deny(),
        events: { 'client:connected': (e) => void seen.push(e.client) },
      }),
    });
    await h.start({}, { plugins: [tokenAuth, rules] });
    const c = await h.client();
    c.setProtocolVersion(5);
    c.send(
      {
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 5,
        clean: true,
        keepalive: 0,
        clientId: 'c1',
        username: 'admin',
        properties: { authenticationMethod: 'TOKEN' },
      },
      5,
    );
    expect((await c.expectPacket('auth')).reasonCode).toBe(0x18);
    c.send(
      {
        type: 'auth',
        reasonCode: 0x18,
        properties: { authenticationMethod: 'TOKEN', authenticationData: Buffer.from('token-for-bob') },
      },
      5,
    );
    expect((await c.expectPacket('connack')).reasonCode).toBe(0);
    await until(() => seen.length === 1);
    expect(seen[0]?.username).toBe('bob');
    expect(await subscribeV5(c, { topic: '#' })).toEqual([0x87]);
    expect(await subscribeV5(c, { topic: 'bob/#' })).toEqual([0]);
  });

  it('a re-authentication that proves another username is refused with DISCONNECT 0x87', async () => {
    const switching = definePlugin({
      name: 'switching-auth',
      apiVersion: 1,
      setup: () => ({
        enhancedAuth: {
          methods: ['WHO'],
          step: (r) => authenticated(undefined, { username: r.data?.toString() ?? 'nobody' }),
        },
      }),
    });
    await h.start({}, { plugins: [switching] });
    const c = await h.v5('c2', { properties: { authenticationMethod: 'WHO', authenticationData: Buffer.from('bob') } });
    c.send(
      {
        type: 'auth',
        reasonCode: 0x19,
        properties: { authenticationMethod: 'WHO', authenticationData: Buffer.from('bob') },
      },
      5,
    );
    expect((await c.expectPacket('auth')).reasonCode).toBe(0);
    c.send(
      {
        type: 'auth',
        reasonCode: 0x19,
        properties: { authenticationMethod: 'WHO', authenticationData: Buffer.from('admin') },
      },
      5,
    );
    expect(await c.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x87 });
    await c.closed();
  });
});
