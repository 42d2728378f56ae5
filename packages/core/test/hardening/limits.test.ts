/**
 * Issue 11, finding 4: limits that did not exist. Each is configurable, has a safe default, and is counted
 * (stats().limitsHit by config key) when hit. Every test here fails on the code before the limits: there
 * the broker queued, retained, subscribed and accepted without bound.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { encodePacket } from '../../src/codec/index.js';
import { allow, definePlugin } from '../../src/plugin-api/index.js';
import type { RawClient } from '../../src/testing/index.js';
import { barrier, Harness, publish, publishV5, subscribe, subscribeV5, until } from '../broker/helpers.js';

const h = new Harness();
afterEach(() => h.stop());

/** Every byte the client receives from now on, as hex. */
function recordBytes(c: RawClient): () => string {
  const chunks: Buffer[] = [];
  c.socket.on('data', (b: Buffer) => chunks.push(b));
  return () => Buffer.concat(chunks).toString('hex');
}

describe('max_queued_bytes', () => {
  it('bounds the bytes queued for an offline session: oldest of the lowest QoS dropped, counted, accounted back to 0', async () => {
    // 1 MiB: ten 100 KiB messages (plus their topics) do not fit, nine do.
    await h.start({ max_queued_bytes: 1_048_576 });
    const sub = await h.connected('offline-q', { clean: false });
    await subscribe(sub, 'q/#', 1);
    await sub.disconnect();
    const pub = await h.connected('pub-q');
    for (let i = 0; i < 20; i++) publish(pub, 'q/big', Buffer.alloc(100 * 1024, i), 1);
    for (let i = 0; i < 20; i++) await pub.expectPacket('puback');
    const stats = h.tb.broker.stats();
    expect(stats.messagesStored).toBe(10);
    expect(stats.limitsHit.max_queued_bytes).toBe(10);
    expect(stats.dropped['queue-full']).toBe(10);
    // Back: the ten newest arrive, in order.
    const back = await h.connected('offline-q', { clean: false });
    const got: number[] = [];
    for (let i = 0; i < 10; i++) {
      const p = await back.expectPacket('publish');
      got.push(p.payload[0]!);
      back.send({ type: 'puback', packetId: p.packetId! });
    }
    expect(got).toEqual([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    await barrier(back);
    await until(() => h.tb.broker.stats().messagesStored === 0);
  });

  it('a message bigger than the whole bound is dropped itself, nothing queued is given up for it', async () => {
    await h.start({ max_queued_bytes: 10_000 });
    const sub = await h.connected('offline-big', { clean: false });
    await subscribe(sub, 'b/#', 1);
    await sub.disconnect();
    const pub = await h.connected('pub-big');
    publish(pub, 'b/small', 'kept', 1);
    publish(pub, 'b/huge', Buffer.alloc(20_000), 1);
    await pub.expectPacket('puback');
    await pub.expectPacket('puback');
    expect(h.tb.broker.stats().messagesStored).toBe(1);
    const back = await h.connected('offline-big', { clean: false });
    expect((await back.expectPacket('publish')).payload.toString()).toBe('kept');
  });
});

describe('max_subscriptions_per_client', () => {
  it('v5: a filter past the cap gets SUBACK 0x97 Quota exceeded; replacing an existing one still works', async () => {
    await h.start({ max_subscriptions_per_client: 3 });
    const c = await h.v5('subs-cap');
    const packetId = 77;
    c.send(
      {
        type: 'subscribe',
        packetId,
        subscriptions: ['a', 'b', 'a', 'c', 'd', 'e'].map((topic) => ({
          topic,
          qos: 0 as const,
          noLocal: false,
          retainAsPublished: false,
          retainHandling: 0 as const,
        })),
      },
      5,
    );
    const ack = await c.expectPacket('suback');
    expect(ack.reasonCodes).toEqual([0, 0, 0, 0, 0x97, 0x97]);
    expect(await subscribeV5(c, { topic: 'b', qos: 1 })).toEqual([1]);
    expect(h.tb.broker.stats().limitsHit.max_subscriptions_per_client).toBe(2);
    expect(h.tb.broker.stats().subscriptionCount).toBe(3);
  });

  it('3.1.1: a filter past the cap gets the failure return code 0x80', async () => {
    await h.start({ max_subscriptions_per_client: 1 });
    const c = await h.connected('subs-cap-v4');
    expect(await subscribe(c, 'x/1')).toEqual([0]);
    expect(await subscribe(c, 'x/2')).toEqual([0x80]);
  });
});

describe('max_retained_messages and max_retained_bytes', () => {
  it('a retained topic past the count is delivered live but not retained; replacing and clearing still work', async () => {
    await h.start({ max_retained_messages: 2 });
    const live = await h.subscriber('r/#', 0, 'live-r');
    const pub = await h.connected('pub-r');
    for (const t of ['r/1', 'r/2', 'r/3']) publish(pub, t, t, 0, true);
    for (let i = 0; i < 3; i++) await live.expectPacket('publish');
    await until(() => h.tb.broker.stats().limitsHit.max_retained_messages === 1);
    expect(h.tb.broker.stats().retainedCount).toBe(2);
    publish(pub, 'r/2', 'r/2 again', 0, true);
    await live.expectPacket('publish');
    const late = await h.subscriber('r/#', 0, 'late-r');
    const got = [
      (await late.expectPacket('publish')).payload.toString(),
      (await late.expectPacket('publish')).payload.toString(),
    ].sort();
    expect(got).toEqual(['r/1', 'r/2 again']);
    await barrier(late);
    // Clearing frees a place for another topic.
    publish(pub, 'r/1', '', 0, true);
    publish(pub, 'r/3', 'r/3 now', 0, true);
    await until(() => h.tb.broker.stats().retainedCount === 2 && h.tb.broker.api.getRetained('r/3') !== undefined);
  });

  it('bytes: a message that would pass max_retained_bytes is not retained, a smaller replacement is', async () => {
    await h.start({ max_retained_bytes: 1000 });
    const pub = await h.connected('pub-rb');
    publish(pub, 'rb/a', Buffer.alloc(600), 1, true);
    await pub.expectPacket('puback');
    publish(pub, 'rb/b', Buffer.alloc(600), 1, true);
    await pub.expectPacket('puback');
    expect(h.tb.broker.stats().retainedCount).toBe(1);
    expect(h.tb.broker.stats().limitsHit.max_retained_bytes).toBe(1);
    publish(pub, 'rb/a', Buffer.alloc(100), 1, true);
    publish(pub, 'rb/b', Buffer.alloc(600), 1, true);
    await pub.expectPacket('puback');
    await pub.expectPacket('puback');
    expect(h.tb.broker.stats().retainedCount).toBe(2);
  });
});

describe('max_persistent_sessions', () => {
  it('a new persistent session past the cap is refused (v5 0x97, 3.1.1 0x03); resuming and clean sessions are not', async () => {
    await h.start({ max_persistent_sessions: 2 });
    const a = await h.connected('p-a', { clean: false });
    await h.connected('p-b', { clean: false });
    const v4 = await h.client();
    expect((await v4.connect({ clientId: 'p-c', clean: false })).reasonCode).toBe(0x03);
    const v5 = await h.client();
    expect(
      (
        await v5.connect({
          protocolVersion: 5,
          clientId: 'p-d',
          clean: false,
          properties: { sessionExpiryInterval: 60 },
        })
      ).reasonCode,
    ).toBe(0x97);
    expect(h.tb.broker.stats().limitsHit.max_persistent_sessions).toBe(2);
    // Clean sessions are not persistent; the owner of a persistent one may come back.
    await h.connected('p-e', { clean: true });
    await a.disconnect();
    const again = await h.client();
    const ack = await again.connect({ clientId: 'p-a', clean: false });
    expect(ack).toMatchObject({ reasonCode: 0, sessionPresent: true });
  });

  it('a discarded persistent session frees its place', async () => {
    await h.start({ max_persistent_sessions: 1 });
    const a = await h.connected('only', { clean: false });
    await a.disconnect();
    await h.connected('only', { clean: true });
    await until(() => h.tb.broker.api.sessionCount() === 1);
    await h.connected('other', { clean: false });
  });
});

describe('receive_maximum [MQTT-3.3.4-7]', () => {
  it('v5 CONNACK announces Receive Maximum; one QoS 2 PUBLISH more than it without PUBREL is DISCONNECT 0x93', async () => {
    await h.start({ receive_maximum: 3 });
    const c = await h.client();
    const ack = await c.connect({ protocolVersion: 5, clientId: 'rm' });
    expect(ack.properties?.receiveMaximum).toBe(3);
    for (let i = 0; i < 3; i++) {
      publishV5(c, 'rm/t', 'x', 2);
      await c.expectPacket('pubrec');
    }
    const bytes = recordBytes(c);
    publishV5(c, 'rm/t', 'one too many', 2);
    await c.closed();
    expect(bytes()).toBe('e00193');
    expect(h.tb.broker.stats().limitsHit.receive_maximum).toBe(1);
  });

  it('v5: PUBREL frees the window, so a client within Receive Maximum is never disconnected', async () => {
    await h.start({ receive_maximum: 2 });
    const c = await h.v5('rm-ok');
    for (let i = 0; i < 10; i++) {
      const id = publishV5(c, 'rm/ok', 'x', 2)!;
      await c.expectPacket('pubrec');
      c.send({ type: 'pubrel', packetId: id }, 5);
      await c.expectPacket('pubcomp');
    }
    expect(h.tb.broker.stats().limitsHit.receive_maximum).toBeUndefined();
  });

  it('v5: QoS 1 PUBLISH packets held behind an asynchronous plugin decision count too', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const slow = definePlugin({
      name: 'slow-authorizer',
      apiVersion: 1,
      setup: () => ({
        authorizeTopic: async () => {
          await gate;
          return allow;
        },
      }),
    });
    await h.start({ receive_maximum: 2 }, { plugins: [slow] });
    const c = await h.v5('rm-async');
    const bytes = recordBytes(c);
    // One chunk: reading pauses while the first waits for its decision, so the others must already be in.
    const frames = [1, 2, 3].map((packetId) =>
      encodePacket(
        { type: 'publish', topic: 'rm/async', payload: Buffer.from('x'), qos: 1, retain: false, dup: false, packetId },
        5,
      ),
    );
    c.send(Buffer.concat(frames));
    await c.closed();
    release();
    expect(bytes()).toBe('e00193');
  });

  it('3.1.1: QoS 2 messages awaiting PUBREL past receive_maximum close the connection; QoS 1 is not bounded', async () => {
    await h.start({ receive_maximum: 2 });
    const c = await h.connected('rm-v4');
    for (let i = 0; i < 5; i++) publish(c, 'rm/v4', 'x', 1);
    for (let i = 0; i < 5; i++) await c.expectPacket('puback');
    publish(c, 'rm/v4', 'x', 2);
    publish(c, 'rm/v4', 'x', 2);
    await c.expectPacket('pubrec');
    await c.expectPacket('pubrec');
    publish(c, 'rm/v4', 'x', 2);
    await c.closed();
  });
});

describe('max_queued_bytes: what counts and when it is given back', () => {
  it('v5 properties count: tiny payloads carrying 30 KB of user properties fill a 100,000-byte queue after three', async () => {
    await h.start({ max_queued_bytes: 100_000 });
    const sub = await h.v5('offline-props', { clean: false, properties: { sessionExpiryInterval: 60 } });
    expect(await subscribeV5(sub, { topic: 'p/#', qos: 1 })).toEqual([1]);
    await sub.disconnect(5);
    const pub = await h.v5('pub-props');
    const userProperties = [0, 1, 2].map((i) => [`k${i}`, 'v'.repeat(10_000)] as const);
    for (let i = 0; i < 10; i++) publishV5(pub, 'p/t', 'x', 1, { properties: { userProperties } });
    for (let i = 0; i < 10; i++) await pub.expectPacket('puback');
    const stats = h.tb.broker.stats();
    expect(stats.messagesStored).toBe(3);
    expect(stats.limitsHit.max_queued_bytes).toBe(7);
  });

  it('bytes of delivered messages are given back: a refilled queue holds as much as the first time', async () => {
    await h.start({ max_queued_bytes: 1_048_576 });
    const sub = await h.connected('refill-q', { clean: false });
    await subscribe(sub, 'q/#', 1);
    await sub.disconnect();
    const pub = await h.connected('pub-refill');
    for (let round = 0; round < 2; round++) {
      // Nine 100 KiB messages fit the bound; were the bytes of the first round kept, the second would drop.
      for (let i = 0; i < 9; i++) publish(pub, 'q/big', Buffer.alloc(100 * 1024, i), 1);
      for (let i = 0; i < 9; i++) await pub.expectPacket('puback');
      expect(h.tb.broker.stats().messagesStored).toBe(9);
      const back = await h.connected('refill-q', { clean: false });
      for (let i = 0; i < 9; i++) {
        const p = await back.expectPacket('publish');
        back.send({ type: 'puback', packetId: p.packetId! });
      }
      await until(() => h.tb.broker.stats().messagesStored === 0 && h.tb.broker.stats().inflightOut === 0);
      await back.disconnect();
    }
    expect(h.tb.broker.stats().dropped['queue-full']).toBeUndefined();
    expect(h.tb.broker.stats().limitsHit.max_queued_bytes).toBeUndefined();
  });
});

describe('max_retained_bytes: what counts and a replacement that does not fit', () => {
  it('a bigger replacement past the bound is not retained and clears the stale message (no old value served as current)', async () => {
    await h.start({ max_retained_bytes: 1000 });
    const pub = await h.connected('pub-stale');
    publish(pub, 'st/a', Buffer.alloc(600, 1), 1, true);
    await pub.expectPacket('puback');
    expect(h.tb.broker.stats().retainedCount).toBe(1);
    const live = await h.subscriber('st/#', 0, 'live-stale');
    expect((await live.expectPacket('publish')).payload.length).toBe(600);
    publish(pub, 'st/a', Buffer.alloc(1200, 2), 1, true);
    await pub.expectPacket('puback');
    // Still delivered live...
    expect((await live.expectPacket('publish')).payload.length).toBe(1200);
    // ...but neither it nor the older value is what a new subscriber gets.
    expect(h.tb.broker.stats().retainedCount).toBe(0);
    expect(h.tb.broker.api.getRetained('st/a')).toBeUndefined();
    expect(h.tb.broker.stats().limitsHit.max_retained_bytes).toBe(1);
    const late = await h.subscriber('st/#', 0, 'late-stale');
    await barrier(late);
  });

  it('v5 properties count towards max_retained_bytes', async () => {
    await h.start({ max_retained_bytes: 10_000 });
    const pub = await h.v5('pub-rprops');
    publishV5(pub, 'rp/t', 'x', 1, { retain: true, properties: { userProperties: [['k', 'v'.repeat(20_000)]] } });
    // Accepted and routed (nobody subscribes: 0x10), not retained.
    expect((await pub.expectPacket('puback')).reasonCode).toBe(0x10);
    expect(h.tb.broker.stats().retainedCount).toBe(0);
    expect(h.tb.broker.stats().limitsHit.max_retained_bytes).toBe(1);
  });
});
