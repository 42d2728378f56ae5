import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePacket } from '../../src/codec/index.js';
import type { ConnectPacket, Packet, QoS, Subscription } from '../../src/codec/packets.js';
import type { BrokerContext } from '../../src/broker/context.js';
import type { RawClient } from '../../src/testing/index.js';
import { Harness, publish, until } from '../broker/helpers.js';

// Issue 11, finding 3: amplification. One SUBSCRIBE, one CONNECT or many half-sent CONNECTs must not
// cost the broker far more than they cost the attacker.

const h = new Harness();
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await h.stop();
});

/** The broker's internals (router, stats gauges) for assertions the wire cannot show. */
function brokerCtx(): BrokerContext {
  return (h.tb.broker as unknown as { ctx: BrokerContext }).ctx;
}

function retainMany(count: number, payload = 'r', prefix = 'ret'): void {
  for (let i = 0; i < count; i++)
    void h.tb.broker.publish({ topic: `${prefix}/${i}`, payload, retain: true }, { trusted: true });
}

/** Sends PINGREQ and collects every packet before the PINGRESP (the broker writes in order). */
async function drainUntilPong(c: RawClient, timeoutMs = 10_000): Promise<Packet[]> {
  c.send({ type: 'pingreq' });
  const got: Packet[] = [];
  for (;;) {
    const p = await c.next(timeoutMs);
    if (p.type === 'pingresp') return got;
    got.push(p);
  }
}

function copies(filter: string, n: number, qos: QoS = 0): Subscription[] {
  return Array.from({ length: n }, () => ({ topic: filter, qos }));
}

function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ port, host: '127.0.0.1' });
    sockets.push(s);
    s.once('error', reject);
    s.once('connect', () => {
      s.removeListener('error', reject);
      s.on('error', () => undefined);
      resolve(s);
    });
  });
}

function closed(s: Socket): Promise<void> {
  return s.closed || s.destroyed ? Promise.resolve() : new Promise((resolve) => s.once('close', () => resolve()));
}

const v5Connect = (extra: Partial<ConnectPacket> = {}): ConnectPacket => ({
  type: 'connect',
  protocolName: 'MQTT',
  protocolVersion: 5,
  clean: true,
  keepalive: 0,
  clientId: 'c5',
  ...extra,
});

describe('retained delivery on SUBSCRIBE', () => {
  it('[MQTT-3.8.4-3] a SUBSCRIBE repeating ret/# 1,000 times subscribes once and sends each of 20k retained messages once', async () => {
    // 1,000 filters per SUBSCRIBE allowed here, so the dedup is what is tested (the default cap is 500).
    await h.start({ max_filters_per_subscribe: 1000 });
    retainMany(20_000);
    const c = await h.connected('sub');
    c.send({ type: 'subscribe', packetId: 7, subscriptions: copies('ret/#', 1000) });
    const ack = await c.expectPacket('suback');
    // One reason code per filter, in order [MQTT-3.8.4-6].
    expect(ack.reasonCodes).toEqual(new Array(1000).fill(0));
    expect(h.tb.broker.stats().subscriptionCount).toBe(1);
    await until(() => brokerCtx().router.retainedDelivery.pending === 0, 20_000);
    const got = await drainUntilPong(c);
    expect(got).toHaveLength(20_000);
    expect(new Set(got.map((p) => (p.type === 'publish' ? p.topic : ''))).size).toBe(20_000);
    expect(got.every((p) => p.type === 'publish' && p.retain)).toBe(true);
  }, 30_000);

  it('repeated filters: every copy gets its code, the last copy sets the subscription, retained messages come once at its QoS', async () => {
    await h.start();
    void h.tb.broker.publish({ topic: 'a/1', payload: 'x', qos: 2, retain: true }, { trusted: true });
    const c = await h.connected('sub');
    c.send({
      type: 'subscribe',
      packetId: 3,
      subscriptions: [
        { topic: 'a/#', qos: 2 },
        { topic: 'b', qos: 0 },
        { topic: 'a/#', qos: 1 },
      ],
    });
    expect((await c.expectPacket('suback')).reasonCodes).toEqual([2, 0, 1]);
    const m = await c.expectPacket('publish');
    expect(m).toMatchObject({ topic: 'a/1', qos: 1, retain: true });
    c.send({ type: 'puback', packetId: m.packetId! });
    expect(await drainUntilPong(c)).toEqual([]);
    expect(h.tb.broker.stats().subscriptionCount).toBe(2);
  });

  it('other clients are served while 20k retained messages go out: a PINGREQ is answered mid-delivery, within 500 ms', async () => {
    await h.start({ max_filters_per_subscribe: 1000 });
    retainMany(20_000, 'x'.repeat(20));
    const sub = await h.connected('sub');
    const pinger = await h.connected('pinger');
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: copies('ret/#', 1000) });
    const started = Date.now();
    pinger.send({ type: 'pingreq' });
    await pinger.expectPacket('pingresp', 10_000);
    const roundTrip = Date.now() - started;
    // Delivery still runs: the ping was not stuck behind it.
    expect(brokerCtx().router.retainedDelivery.pending).toBe(1);
    expect(roundTrip).toBeLessThan(500);
    await until(() => brokerCtx().router.retainedDelivery.pending === 0, 20_000);
    expect(await drainUntilPong(sub, 20_000)).toHaveLength(20_001); // the SUBACK, then each message once
  }, 30_000);

  it('without chunks (one chunk of everything), the same PINGREQ waits for the whole delivery', async () => {
    await h.start();
    const delivery = brokerCtx().router.retainedDelivery;
    delivery.chunkMessages = Number.POSITIVE_INFINITY;
    delivery.chunkBytes = Number.POSITIVE_INFINITY;
    retainMany(20_000, 'x'.repeat(20));
    const sub = await h.connected('sub');
    const pinger = await h.connected('pinger');
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'ret/#', qos: 0 }] });
    pinger.send({ type: 'pingreq' });
    await pinger.expectPacket('pingresp', 10_000);
    expect(delivery.pending).toBe(0);
  }, 30_000);

  it('stops a QoS 0 delivery once the client is over max_outgoing_bytes (counted), instead of walking every message', async () => {
    await h.start({ max_outgoing_bytes: 256 * 1024, slow_reader_timeout: 60 });
    retainMany(400, 'x'.repeat(16 * 1024));
    const c = await h.connected('slow');
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'ret/#', qos: 0 }] });
    await c.expectPacket('suback');
    c.socket.pause();
    await until(() => brokerCtx().router.retainedDelivery.pending === 0, 10_000);
    const stats = h.tb.broker.stats();
    expect(stats.dropped['retained-stopped']).toBe(1);
    expect(stats.limitsHit.max_outgoing_bytes).toBeGreaterThanOrEqual(1);
    expect(stats.publishSent).toBeLessThan(400);
  });

  it('queues QoS 1 retained messages up to max_queued_messages, then stops (no unbounded queue)', async () => {
    await h.start({ max_inflight_messages: 5, max_queued_messages: 10 });
    for (let i = 0; i < 200; i++)
      void h.tb.broker.publish({ topic: `q/${i}`, payload: 'p', qos: 1, retain: true }, { trusted: true });
    const c = await h.connected('q1');
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'q/#', qos: 1 }] });
    await c.expectPacket('suback');
    await until(() => brokerCtx().router.retainedDelivery.pending === 0, 10_000);
    const session = brokerCtx().sessions.get('q1')!;
    expect(session.inflightCount).toBe(5);
    expect(session.queueLength).toBe(10);
    expect(h.tb.broker.stats().dropped['retained-stopped']).toBe(1);
    expect(h.tb.broker.stats().limitsHit.max_queued_messages).toBeGreaterThanOrEqual(1);
  });

  it('[MQTT-4.6.0-5] a topic that gets a live message during the delivery never gets its older retained message after it', async () => {
    await h.start();
    const delivery = brokerCtx().router.retainedDelivery;
    delivery.chunkMessages = 1;
    retainMany(500, 'old', 'r');
    const c = await h.connected('sub');
    const pub = await h.connected('pub');
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'r/#', qos: 0 }] });
    await c.expectPacket('suback');
    publish(pub, 'r/499', 'new');
    await until(() => delivery.pending === 0, 10_000);
    const got = await drainUntilPong(c);
    const r499 = got.filter((p) => p.type === 'publish' && p.topic === 'r/499');
    expect(r499.length).toBeGreaterThanOrEqual(1);
    const last = r499[r499.length - 1]!;
    expect(last.type === 'publish' && last.payload.toString()).toBe('new');
  });

  it('a delivery ends when its subscription is removed', async () => {
    await h.start();
    const delivery = brokerCtx().router.retainedDelivery;
    delivery.chunkMessages = 10;
    retainMany(5000);
    const c = await h.connected('sub');
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'ret/#', qos: 0 }] });
    c.send({ type: 'unsubscribe', packetId: 2, topics: ['ret/#'] });
    await until(() => delivery.pending === 0, 10_000);
    const got = await drainUntilPong(c);
    expect(got.filter((p) => p.type === 'publish').length).toBeLessThan(5000);
    expect(got.some((p) => p.type === 'unsuback')).toBe(true);
  });
});

describe('max_filters_per_subscribe', () => {
  it('a v5 SUBSCRIBE with more filters gets DISCONNECT 0x97 (Quota exceeded) and is closed', async () => {
    await h.start({ max_filters_per_subscribe: 3 });
    const c = await h.v5('v5');
    c.send(
      {
        type: 'subscribe',
        packetId: 1,
        subscriptions: copies('a', 4).map((s) => ({
          ...s,
          noLocal: false,
          retainAsPublished: false,
          retainHandling: 0,
        })),
      },
      5,
    );
    expect(await c.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x97 });
    await c.closed();
    expect(h.tb.broker.stats().limitsHit.max_filters_per_subscribe).toBe(1);
  });

  it('a 3.1.1 SUBSCRIBE or UNSUBSCRIBE with more filters closes the connection; the limit itself passes', async () => {
    await h.start({ max_filters_per_subscribe: 3 });
    const ok = await h.connected('ok');
    ok.send({ type: 'subscribe', packetId: 1, subscriptions: copies('a', 3) });
    expect((await ok.expectPacket('suback')).reasonCodes).toEqual([0, 0, 0]);
    ok.send({ type: 'unsubscribe', packetId: 2, topics: ['a', 'b', 'c'] });
    await ok.expectPacket('unsuback');
    const sub = await h.connected('sub');
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: copies('a', 4) });
    await sub.closed();
    const unsub = await h.connected('unsub');
    unsub.send({ type: 'unsubscribe', packetId: 1, topics: ['a', 'b', 'c', 'd'] });
    await unsub.closed();
  });
});

describe('MQTT 5 User Properties (max_user_properties, max_user_properties_bytes)', () => {
  const props = (n: number, value = 'v'): [string, string][] => Array.from({ length: n }, (_, i) => [`k${i}`, value]);

  it('a CONNECT with more User Properties than max_user_properties (will included) is refused with CONNACK 0x95', async () => {
    await h.start();
    const c = await h.client();
    const ack = await c.connect({
      protocolVersion: 5,
      clientId: 'up',
      properties: { userProperties: props(40) },
      will: { topic: 'w', payload: Buffer.from('x'), qos: 0, retain: false, properties: { userProperties: props(25) } },
    });
    expect(ack.reasonCode).toBe(0x95);
    await c.closed();
    // 64 is the default and passes.
    const ok = await h.client();
    expect(
      (await ok.connect({ protocolVersion: 5, clientId: 'ok', properties: { userProperties: props(64) } })).reasonCode,
    ).toBe(0);
  });

  it('a CONNECT over max_user_properties_bytes is refused with CONNACK 0x95', async () => {
    await h.start({ max_user_properties_bytes: 1000 });
    const c = await h.client();
    // 10 x ("kN" + 98 bytes) = 1,000 bytes pass; one byte more does not.
    const ok = await c.connect({
      protocolVersion: 5,
      clientId: 'ok',
      properties: { userProperties: props(10, 'v'.repeat(98)) },
    });
    expect(ok.reasonCode).toBe(0);
    const over = await h.client();
    const ack = await over.connect({
      protocolVersion: 5,
      clientId: 'over',
      properties: { userProperties: [...props(9, 'v'.repeat(98)), ['k9', 'v'.repeat(99)]] },
    });
    expect(ack.reasonCode).toBe(0x95);
    await over.closed();
  });

  it('a PUBLISH over max_user_properties gets DISCONNECT 0x95 before any of it is routed', async () => {
    await h.start({ max_user_properties: 4 });
    const c = await h.v5('pub');
    c.send(
      {
        type: 'publish',
        topic: 't',
        payload: Buffer.from('p'),
        qos: 0,
        retain: false,
        dup: false,
        properties: { userProperties: props(5) },
      },
      5,
    );
    expect(await c.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x95 });
    await c.closed();
    expect(h.tb.broker.stats().publishReceived).toBe(0);
  });
});

describe('before CONNACK', () => {
  it('max_packet_size_before_connack (64 KiB): a bigger v5 CONNECT gets CONNACK 0x95, a v3.1.1 one is closed', async () => {
    await h.start();
    const c5 = await h.client();
    c5.setProtocolVersion(5);
    c5.send(v5Connect({ username: 'u'.repeat(40 * 1024), password: Buffer.alloc(30 * 1024) }), 5);
    expect(await c5.expectPacket('connack')).toMatchObject({ reasonCode: 0x95 });
    await c5.closed();
    const c4 = await h.client();
    c4.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 0,
      clientId: 'c4',
      username: 'u'.repeat(40 * 1024),
      password: Buffer.alloc(30 * 1024),
    });
    await c4.closed();
    expect(h.tb.broker.stats().packetsSent).toBe(1);
  });

  it('after CONNACK, packets up to max_packet_size are accepted again', async () => {
    await h.start();
    const c = await h.connected('big');
    publish(c, 't', Buffer.alloc(512 * 1024), 1);
    await c.expectPacket('puback');
  });

  it('max_unauthenticated_bytes: of 50 sockets each holding part of a 60 KiB CONNECT, the later ones are closed; a normal client is served; the count returns to 0', async () => {
    const cap = 10 * 60 * 1024;
    await h.start({ max_unauthenticated_bytes: cap });
    const frame = encodePacket({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 0,
      clientId: 'x',
      username: 'u',
      password: Buffer.alloc(60 * 1024 - 40),
    });
    expect(frame.length).toBeLessThan(60 * 1024);
    expect(frame.length).toBeGreaterThan(59 * 1024);
    const partial: Socket[] = [];
    for (let i = 0; i < 50; i++) {
      const s = await rawSocket(h.tb.port);
      s.write(frame.subarray(0, 4096));
      partial.push(s);
    }
    const stats = brokerCtx().stats;
    await until(() => (stats.limitsHit.max_unauthenticated_bytes ?? 0) >= 40, 5000);
    expect(stats.unauthenticatedBytes).toBeLessThanOrEqual(cap);
    expect(stats.unauthenticatedBytes).toBeGreaterThan(0);
    const open = partial.filter((s) => !s.destroyed && !s.readableEnded);
    expect(open.length).toBeLessThanOrEqual(10);
    // A complete CONNECT holds nothing past its packet: still served.
    const ok = await h.connected('ok');
    ok.send({ type: 'pingreq' });
    await ok.expectPacket('pingresp');
    // Every byte counted is released when its connection closes.
    for (const s of partial) s.destroy();
    await Promise.all(partial.map(closed));
    await until(() => stats.unauthenticatedBytes === 0, 5000);
  });

  it('max_unauthenticated_bytes: what a connection held is released at CONNACK', async () => {
    await h.start({ max_unauthenticated_bytes: 1024 * 1024 });
    const stats = brokerCtx().stats;
    const frame = encodePacket({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 0,
      clientId: 'slow',
      username: 'u',
      password: Buffer.alloc(30 * 1024),
    });
    const c = await h.client();
    c.send(frame.subarray(0, 1000));
    await until(() => stats.unauthenticatedBytes === frame.length);
    c.send(frame.subarray(1000));
    expect((await c.expectPacket('connack')).reasonCode).toBe(0);
    expect(stats.unauthenticatedBytes).toBe(0);
  });
});
