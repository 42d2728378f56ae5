import { afterEach, describe, expect, it } from 'vitest';
import type { Packet } from '../../src/codec/packets.js';
import { connect, type MqttClient, SubscribeRefusedError } from '../../src/client/index.js';
import { collect, nextEvent, startFakeServer, type FakeServer } from './helpers.js';

let fake: FakeServer | undefined;
let client: MqttClient | undefined;
afterEach(async () => {
  await client?.end(true);
  await fake?.close();
  fake = client = undefined;
});

describe('MQTT 5 reason codes and properties (scripted broker)', () => {
  it('sends CONNECT properties, adopts an assigned client id and server keepalive', async () => {
    fake = await startFakeServer((p, reply) => {
      if (p.type === 'connect') {
        reply({
          type: 'connack',
          sessionPresent: false,
          reasonCode: 0,
          properties: { assignedClientIdentifier: 'given', serverKeepAlive: 7 },
        });
      }
    });
    client = await connect(fake.url, {
      protocolVersion: 5,
      clientId: '',
      properties: { sessionExpiryInterval: 60, userProperties: [['a', 'b']] },
    });
    expect(fake.received[0]?.packet).toMatchObject({
      type: 'connect',
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 60, userProperties: [['a', 'b']] },
    });
    expect(client.clientId).toBe('given');
    expect(client.connack?.properties?.serverKeepAlive).toBe(7);
  });

  it('rejects a publish the broker refuses with CLIENT_PUBLISH_REFUSED and its reason', async () => {
    fake = await startFakeServer((p, reply) => {
      if (p.type === 'connect') reply({ type: 'connack', sessionPresent: false, reasonCode: 0 });
      if (p.type === 'publish' && p.qos === 1)
        reply({ type: 'puback', packetId: p.packetId as number, reasonCode: 0x87 });
      if (p.type === 'publish' && p.qos === 2)
        reply({ type: 'pubrec', packetId: p.packetId as number, reasonCode: 0x97 });
    });
    client = await connect(fake.url, { protocolVersion: 5 });
    await expect(client.publish('t', 'x', { qos: 1 })).rejects.toMatchObject({
      code: 'CLIENT_PUBLISH_REFUSED',
      reasonCode: 0x87,
      message: "the broker refused the message to 't': not authorised",
    });
    await expect(client.publish('t', 'x', { qos: 2 })).rejects.toMatchObject({
      code: 'CLIENT_PUBLISH_REFUSED',
      reasonCode: 0x97,
    });
  });

  it('names v5 SUBACK failure reasons', async () => {
    fake = await startFakeServer((p, reply) => {
      if (p.type === 'connect') reply({ type: 'connack', sessionPresent: false, reasonCode: 0 });
      if (p.type === 'subscribe') reply({ type: 'suback', packetId: p.packetId, reasonCodes: [1, 0xa2] });
    });
    client = await connect(fake.url, { protocolVersion: 5 });
    const err = (await client
      .subscribe(['a', 'b/#'], { qos: 1, noLocal: true })
      .catch((e: unknown) => e)) as SubscribeRefusedError;
    expect(err).toBeInstanceOf(SubscribeRefusedError);
    expect(err.message).toBe("the broker refused the subscription to 'b/#' (wildcard subscriptions not supported)");
    expect(fake.received.find((r) => r.packet.type === 'subscribe')?.packet).toMatchObject({
      subscriptions: [
        { topic: 'a', qos: 1, noLocal: true },
        { topic: 'b/#', qos: 1, noLocal: true },
      ],
    });
  });

  it('a server DISCONNECT with a reason closes the connection and reports it', async () => {
    fake = await startFakeServer((p, reply) => {
      if (p.type === 'connect') reply({ type: 'connack', sessionPresent: false, reasonCode: 0 });
      // Once the test listens: it subscribes after adding its listeners.
      if (p.type === 'subscribe') reply({ type: 'disconnect', reasonCode: 0x8b, properties: { reasonString: 'bye' } });
    });
    client = await connect(fake.url, { protocolVersion: 5, autoReconnect: false });
    const errors: Error[] = [];
    client.on('error', (e) => errors.push(e));
    const ended = new Promise<void>((r) => client?.once('end', r));
    client.subscribe('t').catch(() => undefined);
    await ended;
    expect(errors[0]?.message).toMatch(/reason code 0x8b: bye/);
  });
});

describe('topic aliases from the broker (scripted broker)', () => {
  const publish = (topic: string, payload: string, topicAlias: number): Packet => ({
    type: 'publish',
    topic,
    payload: Buffer.from(payload),
    qos: 0,
    retain: false,
    dup: false,
    properties: { topicAlias, userProperties: [['n', payload]] },
  });

  it('[MQTT-3.3.2-10] resolves aliases within the maximum the client sent; applications see topic names only', async () => {
    fake = await startFakeServer((p, reply) => {
      if (p.type === 'connect') reply({ type: 'connack', sessionPresent: false, reasonCode: 0 });
      if (p.type !== 'subscribe') return;
      reply({ type: 'suback', packetId: p.packetId, reasonCodes: [0] });
      reply(publish('a/b', 'one', 2));
      reply(publish('', 'two', 2));
      reply(publish('c', 'three', 2));
      reply(publish('', 'four', 2));
    });
    client = await connect(fake.url, { protocolVersion: 5, properties: { topicAliasMaximum: 2 } });
    const messages = collect(client, 4);
    await client.subscribe('#');
    const got = await messages;
    expect(got.map((m) => [m.topic, m.payload.toString()])).toEqual([
      ['a/b', 'one'],
      ['a/b', 'two'],
      ['c', 'three'],
      ['c', 'four'],
    ]);
    expect(got.map((m) => m.properties)).toEqual(
      ['one', 'two', 'three', 'four'].map((n) => ({ userProperties: [['n', n]] })),
    );
  });

  it("[MQTT-3.3.2-11] an alias above the client's maximum (or one never set) is a protocol error", async () => {
    fake = await startFakeServer((p, reply) => {
      if (p.type === 'connect') {
        reply({ type: 'connack', sessionPresent: false, reasonCode: 0 });
        reply(publish('t', 'x', 3));
      }
    });
    const c = await connect(fake.url, {
      protocolVersion: 5,
      properties: { topicAliasMaximum: 2 },
      autoReconnect: false,
    });
    client = c;
    const [error] = await nextEvent(c, 'error');
    // Reported as the lost connection, caused by the protocol error.
    expect(error.message).toContain('above the Topic Alias Maximum 2');
    expect(error.cause).toMatchObject({ code: 'CLIENT_PROTOCOL' });
  });
});
