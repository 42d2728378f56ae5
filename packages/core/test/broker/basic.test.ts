import { afterEach, describe, expect, it } from 'vitest';
import { barrier, Harness, publish, subscribe, until } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

describe('end to end over TCP (3.1.1)', () => {
  it('[MQTT-3.2.0-1] answers CONNECT with CONNACK 20 02 00 00', async () => {
    await h.start();
    const c = await h.client();
    const chunks: Buffer[] = [];
    c.socket.prependListener('data', (b: Buffer) => chunks.push(b));
    // CONNECT, MQTT 3.1.1, clean session, keepalive 60, client id "a"
    c.send(Buffer.from('100d00044d5154540402003c000161', 'hex'));
    const ack = await c.expectPacket('connack');
    expect(ack).toMatchObject({ sessionPresent: false, reasonCode: 0 });
    expect(Buffer.concat(chunks).subarray(0, 4).toString('hex')).toBe('20020000');
  });

  it('[MQTT-3.3.1-9] routes a QoS 0 PUBLISH to a subscriber', async () => {
    await h.start();
    const sub = await h.subscriber('a/+');
    const pub = await h.connected('pub');
    publish(pub, 'a/b', 'hello');
    const p = await sub.expectPacket('publish');
    expect(p).toMatchObject({ topic: 'a/b', qos: 0, retain: false, dup: false });
    expect(p.payload.toString()).toBe('hello');
    expect(h.tb.broker.stats()).toMatchObject({
      publishReceived: 1,
      publishSent: 1,
      messagesReceived: 1,
      messagesSent: 1,
    });
  });

  it('[MQTT-3.8.4-1] answers SUBSCRIBE with SUBACK carrying the granted QoS per filter', async () => {
    await h.start();
    const c = await h.connected('c');
    c.send({
      type: 'subscribe',
      packetId: 7,
      subscriptions: [
        { topic: 'x', qos: 0 },
        { topic: 'y/#', qos: 1 },
        { topic: 'z/+', qos: 2 },
      ],
    });
    const ack = await c.expectPacket('suback');
    expect(ack).toMatchObject({ packetId: 7, reasonCodes: [0, 1, 2] });
    expect(h.tb.broker.stats().subscriptionCount).toBe(3);
  });

  it('[MQTT-3.12.4-1] answers PINGREQ with PINGRESP', async () => {
    await h.start();
    const c = await h.connected('c');
    c.send({ type: 'pingreq' });
    await c.expectPacket('pingresp');
  });

  it('[MQTT-3.14.4-1] DISCONNECT closes the connection and the session of a clean client', async () => {
    await h.start();
    const c = await h.connected('c');
    await subscribe(c, 'x');
    await c.disconnect();
    await until(() => h.tb.broker.stats().clientsDisconnected === 1, 2000, 'the broker to count the disconnection');
    expect(h.tb.broker.stats()).toMatchObject({ clientsConnected: 0, clientsDisconnected: 1, subscriptionCount: 0 });
    expect(h.tb.broker.sessionCount()).toBe(0);
  });

  it('[MQTT-3.10.4-4] UNSUBSCRIBE stops deliveries and is answered by UNSUBACK', async () => {
    await h.start();
    const sub = await h.subscriber('t');
    sub.send({ type: 'unsubscribe', packetId: 9, topics: ['t'] });
    expect(await sub.expectPacket('unsuback')).toMatchObject({ packetId: 9 });
    const pub = await h.connected('p');
    publish(pub, 't', 'x', 1);
    await pub.expectPacket('puback'); // routed: a delivery to sub would be queued by now
    await barrier(sub);
  });
});
