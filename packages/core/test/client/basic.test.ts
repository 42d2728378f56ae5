import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientError, connect, MqttClient, SubscribeRefusedError } from '../../src/client/index.js';
import { allow, deny } from '../../src/plugin-api/decision.js';
import { definePlugin } from '../../src/plugin-api/define.js';
import { createTestBroker, type TestBroker } from '../../src/testing/index.js';
import { collect, nextEvent } from './helpers.js';
import { until } from '../broker/helpers.js';

/**
 * UNSUBSCRIBE round trips (of a filter nobody subscribed): the broker answers in order, so once the
 * second UNSUBACK is back, it has read whatever `c` sent after handling the packets that came before
 * the first one.
 */
async function roundTrips(c: MqttClient): Promise<void> {
  await c.unsubscribe('never/subscribed');
  await c.unsubscribe('never/subscribed');
}

let tb: TestBroker;
const clients: MqttClient[] = [];
const track = (c: MqttClient) => (clients.push(c), c);

beforeEach(async () => {
  tb = await createTestBroker();
});
afterEach(async () => {
  for (const c of clients.splice(0)) await c.end(true);
  await tb.close();
});

describe('publish / subscribe round trips against a Midge broker', () => {
  for (const qos of [0, 1, 2] as const) {
    it(`QoS ${qos}: publish settles on its acknowledgment and the subscriber gets the message once`, async () => {
      const sub = track(await connect(tb.url, { clientId: 'sub' }));
      const granted = await sub.subscribe('a/+', { qos: 2 });
      expect(granted).toEqual([{ topic: 'a/+', qos: 2 }]);
      const pub = track(await connect({ url: tb.url, client_id: 'pub' }));
      const got = collect(sub, 1);
      await pub.publish('a/b', `hello ${qos}`, { qos });
      const [m] = await got;
      expect(m).toMatchObject({ topic: 'a/b', qos, retain: false });
      expect(m?.payload.toString()).toBe(`hello ${qos}`);
      // Exactly once: a second copy would arrive before a later message of the same publisher.
      const next = collect(sub, 1);
      await pub.publish('a/b', 'after', { qos });
      expect((await next)[0]?.payload.toString()).toBe('after');
    });
  }

  it('retained messages reach later subscribers with retain=1', async () => {
    const pub = track(await connect(tb.url));
    await pub.publish('r/1', 'kept', { qos: 1, retain: true });
    const sub = track(await connect(tb.url));
    const got = collect(sub, 1);
    await sub.subscribe('r/#');
    const [m] = await got;
    expect(m).toMatchObject({ topic: 'r/1', retain: true });
    expect(m?.payload.toString()).toBe('kept');
  });

  it('unsubscribe stops delivery', async () => {
    const c = track(await connect(tb.url));
    await c.subscribe(['x', 'y']);
    await c.unsubscribe('x');
    const got = collect(c, 1);
    await c.publish('x', 'no', { qos: 1 });
    await c.publish('y', 'yes', { qos: 1 });
    expect((await got)[0]?.topic).toBe('y');
  });

  it('the will is published on an abrupt close, not after disconnect()', async () => {
    const watcher = track(await connect(tb.url));
    await watcher.subscribe('wills/#', { qos: 1 });
    const got = collect(watcher, 1);
    const polite = new MqttClient({ url: tb.url, will: { topic: 'wills/polite', message: 'x' } });
    await polite.connect();
    await polite.disconnect();
    const rude = new MqttClient({ url: tb.url, will: { topic: 'wills/rude', message: 'gone', qos: 1 } });
    await rude.connect();
    await rude.end(true);
    const [m] = await got;
    expect(m?.topic).toBe('wills/rude');
    expect(m?.payload.toString()).toBe('gone');
  });

  it('messages() yields messages as an async iterator and ends when the client ends', async () => {
    const c = track(await connect(tb.url));
    await c.subscribe('it/#', { qos: 1 });
    const seen: string[] = [];
    const loop = (async () => {
      for await (const m of c.messages()) {
        seen.push(m.payload.toString());
        if (seen.length === 3) break;
      }
    })();
    for (const p of ['1', '2', '3']) await c.publish('it/x', p, { qos: 1 });
    await loop;
    expect(seen).toEqual(['1', '2', '3']);
    const after = c.messages();
    await c.disconnect();
    expect(await after.next()).toEqual({ value: undefined, done: true });
  });

  it('a full iterator buffer drops QoS 0 (counted) and holds QoS 1 acks until consumed', async () => {
    const c = track(await connect(tb.url));
    await c.subscribe('bp/#', { qos: 1 });
    const it = c.messages({ bufferSize: 2 });
    const pub = track(await connect(tb.url));
    for (let i = 0; i < 4; i++) await pub.publish('bp/0', `q0-${i}`, { qos: 0 });
    await until(() => c.droppedMessages === 2, 2000, 'two QoS 0 messages dropped');
    // The buffer is full: this QoS 1 message is kept but its PUBACK waits, so the broker keeps it inflight.
    await pub.publish('bp/1', 'q1', { qos: 1 });
    await roundTrips(c); // c has had the message, and would have acknowledged it before these
    expect(tb.broker.stats().inflightOut).toBe(1);
    const values: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await it.next();
      if (r.done !== true) values.push(r.value.payload.toString());
    }
    expect(values).toEqual(['q0-0', 'q0-1', 'q1']);
    await roundTrips(c); // the PUBACK, sent as q1 was taken, is read before them
    expect(tb.broker.stats().inflightOut).toBe(0);
  });

  it('operations before connect() or after end reject with codes', async () => {
    const c = new MqttClient(tb.url);
    await expect(c.publish('t', 'x')).rejects.toMatchObject({ code: 'CLIENT_NOT_CONNECTED' });
    await c.connect();
    await expect(c.publish('a/#', 'x')).rejects.toMatchObject({ code: 'CLIENT_INVALID_ARGUMENT' });
    await c.end();
    await expect(c.subscribe('t')).rejects.toMatchObject({ code: 'CLIENT_CLOSED' });
  });

  it('connect() to a closed port rejects with CLIENT_NETWORK', async () => {
    const port = tb.port;
    await tb.close();
    tb = await createTestBroker();
    await expect(connect(`mqtt://127.0.0.1:${port}`, { connectTimeout: 2 })).rejects.toMatchObject({
      code: 'CLIENT_NETWORK',
    });
  });
});

describe('credentials and refusals', () => {
  const auth = definePlugin({
    name: 'test-auth',
    apiVersion: 1,
    setup: () => ({
      authenticate: ({ client, password }) =>
        client.username === 'alice' && password?.toString() === 's3cret:/@' ? allow : deny('bad credentials'),
      authorizeTopic: ({ topic, action }) => (action === 'subscribe' && topic.startsWith('secret') ? deny() : allow),
    }),
  });

  beforeEach(async () => {
    await tb.close();
    tb = await createTestBroker({}, { plugins: [auth] });
  });

  it('accepts user:pass from the URI (percent-decoded)', async () => {
    const c = track(await connect(`mqtt://alice:${encodeURIComponent('s3cret:/@')}@127.0.0.1:${tb.port}`));
    expect(c.connected).toBe(true);
  });

  it('a refusal rejects with CLIENT_CONNECT_REFUSED, the CONNACK code and a readable message', async () => {
    const err = (await connect(tb.url, { username: 'alice', password: 'wrong' }).catch(
      (e: unknown) => e,
    )) as ClientError;
    expect(err).toBeInstanceOf(ClientError);
    expect(err.code).toBe('CLIENT_CONNECT_REFUSED');
    expect(err.reasonCode).toBe(5);
    expect(err.message).toBe('Connection refused: not authorised.');
  });

  it('v5 refusals carry the v5 reason code', async () => {
    const err = (await connect(tb.url, { protocolVersion: 5 }).catch((e: unknown) => e)) as ClientError;
    expect(err.code).toBe('CLIENT_CONNECT_REFUSED');
    expect(err.reasonCode).toBeGreaterThanOrEqual(0x80);
    expect(err.message).toMatch(/^Connection refused: /);
  });

  it('a refused filter rejects subscribe with the granted and refused lists', async () => {
    const c = track(await connect(tb.url, { username: 'alice', password: 's3cret:/@' }));
    const err = (await c.subscribe(['ok/#', 'secret/x'], { qos: 1 }).catch((e: unknown) => e)) as SubscribeRefusedError;
    expect(err).toBeInstanceOf(SubscribeRefusedError);
    expect(err.code).toBe('CLIENT_SUBSCRIBE_REFUSED');
    expect(err.granted).toEqual([{ topic: 'ok/#', qos: 1 }]);
    expect(err.refused).toEqual([{ topic: 'secret/x', reasonCode: 0x80 }]);
    expect(err.message).toContain("'secret/x'");
  });
});

describe('MQTT 5', () => {
  it('passes publish properties through and reports connack properties', async () => {
    const sub = track(await connect(tb.url, { protocolVersion: 5 }));
    expect(sub.connack?.reasonCode).toBe(0);
    await sub.subscribe('v5/#', { qos: 1 });
    const got = collect(sub, 1);
    const pub = track(await connect(tb.url, { protocolVersion: 5 }));
    await pub.publish('v5/a', 'x', { qos: 1, properties: { contentType: 'text/plain', userProperties: [['k', 'v']] } });
    const [m] = await got;
    expect(m?.properties).toMatchObject({ contentType: 'text/plain', userProperties: [['k', 'v']] });
    await pub.publish('v5/b', 'y', { qos: 2 });
  });

  it('emits connect and end events', async () => {
    const c = track(new MqttClient(tb.url));
    const connected = nextEvent(c, 'connect');
    await c.connect();
    expect((await connected)[0].sessionPresent).toBe(false);
    const ended = nextEvent(c, 'end');
    await c.disconnect();
    await ended;
  });
});
