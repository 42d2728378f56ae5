// Broker → client MQTT 5 Topic Aliases (outgoing_topic_alias_maximum), byte-exact over raw sockets and
// read back by MQTT.js.
import { afterEach, describe, expect, it } from 'vitest';
import mqtt, { type MqttClient } from 'mqtt';
import type { ConnectPacket, PublishPacket } from '../../src/codec/packets.js';
import type { RawClient } from '../../src/testing/index.js';
import { Harness, publish, publishV5, subscribe, subscribeV5, until } from '../broker/helpers.js';

const h = new Harness();
const mqttClients: MqttClient[] = [];
afterEach(async () => {
  for (const c of mqttClients.splice(0)) c.end(true);
  await h.stop();
});

/** A v5 raw client that also records every byte the broker sends it. */
async function recordingV5(
  clientId: string,
  extra: Partial<Omit<ConnectPacket, 'type'>> = {},
): Promise<{ c: RawClient; bytes: () => Buffer }> {
  const c = await h.client();
  const chunks: Buffer[] = [];
  c.socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ack = await c.connect({ protocolVersion: 5, clientId, ...extra });
  if (ack.reasonCode !== 0) throw new Error(`CONNACK 0x${ack.reasonCode.toString(16)}`);
  const connackBytes = Buffer.concat(chunks).length;
  return { c, bytes: () => Buffer.concat(chunks).subarray(connackBytes) };
}

const hex = (s: string): string => s.replace(/\s+/g, '').toLowerCase();

async function received(c: RawClient, n: number): Promise<PublishPacket[]> {
  const out: PublishPacket[] = [];
  for (let i = 0; i < n; i++) out.push(await c.expectPacket('publish'));
  return out;
}

describe('broker → client topic aliases', () => {
  it('[MQTT-3.3.2-11] off by default: a client allowing aliases still gets full topic names and no alias', async () => {
    await h.start();
    const { c, bytes } = await recordingV5('s', { properties: { topicAliasMaximum: 10 } });
    await subscribeV5(c, { topic: 'a/#' });
    const p = await h.connected('p');
    publish(p, 'a/1', 'x');
    publish(p, 'a/1', 'y');
    const got = await received(c, 2);
    expect(got.map((m) => [m.topic, m.properties?.topicAlias])).toEqual([
      ['a/1', undefined],
      ['a/1', undefined],
    ]);
    // SUBACK (90 04 id id 00 00) then two plain PUBLISH packets.
    expect(bytes().subarray(6).toString('hex')).toBe(hex('30 07 00 03 61 2f 31 00 78   30 07 00 03 61 2f 31 00 79'));
  });

  it('[MQTT-3.3.2-11] no alias when the client sent no Topic Alias Maximum (absent = 0)', async () => {
    await h.start({ outgoing_topic_alias_maximum: 5 });
    const { c } = await recordingV5('s');
    await subscribeV5(c, { topic: 'a/#' });
    const p = await h.connected('p');
    publish(p, 'a/1', 'x');
    publish(p, 'a/1', 'y');
    expect((await received(c, 2)).map((m) => [m.topic, m.properties?.topicAlias])).toEqual([
      ['a/1', undefined],
      ['a/1', undefined],
    ]);
  });

  it('[MQTT-3.3.2-12] first PUBLISH on a topic sets the alias, later ones send an empty topic and the alias (byte-exact), least recently used re-pointed when full', async () => {
    // The client allows 5, the broker 2: at most 2 are used [MQTT-3.3.2-11].
    await h.start({ outgoing_topic_alias_maximum: 2 });
    const { c, bytes } = await recordingV5('s', { properties: { topicAliasMaximum: 5 } });
    await subscribeV5(c, { topic: 'a/#' });
    const p = await h.connected('p');
    for (const [topic, payload] of [
      ['a/1', 'x'],
      ['a/1', 'y'],
      ['a/2', 'z'],
      ['a/3', 'w'],
      ['a/2', 'v'],
      ['a/1', 'u'],
    ] as const)
      publish(p, topic, payload);
    const got = await received(c, 6);
    expect(got.map((m) => [m.topic, m.properties?.topicAlias, m.payload.toString()])).toEqual([
      ['a/1', 1, 'x'],
      ['', 1, 'y'],
      ['a/2', 2, 'z'],
      ['a/3', 1, 'w'], // alias 1 (a/1, least recently used) re-pointed to a/3
      ['', 2, 'v'],
      ['a/1', 1, 'u'], // a/3 now least recently used: alias 1 re-pointed to a/1
    ]);
    expect(bytes().subarray(6).toString('hex')).toBe(
      hex(`
        30 0a 00 03 61 2f 31 03 23 00 01 78
        30 07 00 00 03 23 00 01 79
        30 0a 00 03 61 2f 32 03 23 00 02 7a
        30 0a 00 03 61 2f 33 03 23 00 01 77
        30 07 00 00 03 23 00 02 76
        30 0a 00 03 61 2f 31 03 23 00 01 75`),
    );
  });

  it('[MQTT-3.3.2-7] aliased and plain receivers of one fan-out each get their own encoding; QoS 1 and subscription identifiers keep working', async () => {
    await h.start({ outgoing_topic_alias_maximum: 10 });
    const { c: aliased } = await recordingV5('aliased', { properties: { topicAliasMaximum: 10 } });
    expect(await subscribeV5(aliased, { topic: 't/+', qos: 1 }, 7)).toEqual([1]);
    const plain5 = await h.v5('plain5');
    await subscribeV5(plain5, { topic: 't/+', qos: 1 });
    const plain4 = await h.connected('plain4');
    await subscribe(plain4, 't/+', 1);
    const p = await h.v5('p');
    publishV5(p, 't/a', 'one', 1);
    publishV5(p, 't/a', 'two', 1);
    await p.expectPacket('puback');
    const a = await received(aliased, 2);
    expect(a.map((m) => [m.topic, m.properties?.topicAlias, m.properties?.subscriptionIdentifier, m.qos])).toEqual([
      ['t/a', 1, [7], 1],
      ['', 1, [7], 1],
    ]);
    expect(new Set(a.map((m) => m.packetId)).size).toBe(2);
    for (const m of a) aliased.send({ type: 'puback', packetId: m.packetId! }, 5);
    for (const c of [plain5, plain4]) {
      const got = await received(c, 2);
      expect(got.map((m) => [m.topic, m.properties?.topicAlias, m.payload.toString()])).toEqual([
        ['t/a', undefined, 'one'],
        ['t/a', undefined, 'two'],
      ]);
    }
  });

  it('[MQTT-3.3.2-7] aliases belong to one connection: after reconnecting, resent and queued messages set them again', async () => {
    await h.start({ outgoing_topic_alias_maximum: 4 });
    const opts = { clean: false, properties: { sessionExpiryInterval: 60, topicAliasMaximum: 4 } };
    const { c } = await recordingV5('s', opts);
    await subscribeV5(c, { topic: 'q/#', qos: 1 });
    const p = await h.connected('p');
    publish(p, 'q/x', 'first', 1);
    expect((await c.expectPacket('publish')).properties?.topicAlias).toBe(1);
    c.destroy(); // 'first' stays inflight, unacknowledged
    await until(() => h.tb.broker.stats().clientsConnected === 1);
    publish(p, 'q/x', 'queued', 1);
    await p.expectPacket('puback');
    await p.expectPacket('puback');
    const { c: back } = await recordingV5('s', opts);
    const got = await received(back, 2);
    expect(got.map((m) => [m.topic, m.properties?.topicAlias, m.dup, m.payload.toString()])).toEqual([
      ['q/x', 1, true, 'first'],
      ['', 1, false, 'queued'],
    ]);
  });

  it("a PUBLISH over the client's Maximum Packet Size is dropped without taking an alias", async () => {
    await h.start({ outgoing_topic_alias_maximum: 4 });
    const { c } = await recordingV5('s', { properties: { topicAliasMaximum: 4, maximumPacketSize: 64 } });
    await subscribeV5(c, { topic: 'big/#' });
    const p = await h.connected('p');
    publish(p, 'big/1', 'x'.repeat(100));
    publish(p, 'big/1', 'small');
    const m = await c.expectPacket('publish');
    expect([m.topic, m.properties?.topicAlias, m.payload.toString()]).toEqual(['big/1', 1, 'small']);
  });

  it('MQTT.js with topicAliasMaximum reads aliased messages with their topic names', async () => {
    await h.start({ outgoing_topic_alias_maximum: 3 });
    const client = mqtt.connect(h.tb.url, {
      protocolVersion: 5,
      clientId: 'mqttjs',
      reconnectPeriod: 0,
      properties: { topicAliasMaximum: 3 },
    });
    mqttClients.push(client);
    const got: [string, string, number | undefined][] = [];
    client.on('message', (topic, payload, packet) =>
      got.push([topic, payload.toString(), packet.properties?.topicAlias]),
    );
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync('m/#', { qos: 1 });
    const p = await h.connected('p');
    const topics = ['m/a', 'm/a', 'm/b', 'm/c', 'm/d', 'm/a', 'm/d'];
    topics.forEach((t, i) => publish(p, t, String(i), 1));
    await until(() => got.length === topics.length, 3000);
    expect(got.map(([t, payload]) => [t, payload])).toEqual(topics.map((t, i) => [t, String(i)]));
    // The broker did alias them: MQTT.js shows the alias it resolved.
    expect(got.every(([, , alias]) => typeof alias === 'number')).toBe(true);
  });
});
