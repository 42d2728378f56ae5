/**
 * Offline queues live in the store, not in memory (issue 12): a persistent session's queued messages are
 * let go from the heap while its client is away (only their keys, QoS and sizes stay), and read back a
 * page at a time when it returns, under its inflight window, in order; the queue limits still hold.
 */
import { describe, expect, it } from 'vitest';
import type { Session } from '../../src/broker/session.js';
import type { RawClient, TestBroker } from '../../src/testing/index.js';
import { brokersWithStore } from './broker-with-store.js';
import { GatedStore } from './gated-store.js';
import { disconnection, publish, subscribe, until } from '../broker/helpers.js';

const { broker, client } = brokersWithStore();

/** The broker's session of a client id (white-box: what is held in memory is the point of these tests). */
function sessionOf(tb: TestBroker, clientId: string): Session {
  const ctx = (tb.broker as unknown as { ctx: { sessions: { get(id: string): Session | undefined } } }).ctx;
  const s = ctx.sessions.get(clientId);
  if (s === undefined) throw new Error(`no session ${clientId}`);
  return s;
}

async function goOffline(tb: TestBroker, c: RawClient, clientId: string): Promise<void> {
  const gone = disconnection(tb.broker, clientId);
  await c.disconnect();
  await gone;
}

/** PUBACKs a received QoS 1 PUBLISH. */
function ack(c: RawClient, packetId: number | undefined): void {
  if (packetId === undefined) throw new Error('a QoS 1 PUBLISH without a packet id');
  c.send({ type: 'puback', packetId });
}

/** Publishes `n` QoS 1 messages `m0`..`m<n-1>` on `topic` and waits for every PUBACK. */
async function publishAll(p: RawClient, topic: string, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i++) publish(p, topic, `m${i}`, 1, false, (i % 60000) + 1);
  for (let i = 0; i < n; i++) await p.expectPacket('puback');
}

describe('offline queues live in the store', () => {
  it('an offline persistent session keeps no queued message in memory; its client gets them all back in order, a page at a time under its window', async () => {
    const store = new GatedStore();
    const tb = await broker(store, { max_inflight_messages: 10 });
    const sub = await client(tb, 'away', { clean: false });
    await subscribe(sub, 'q/#', 1);
    await goOffline(tb, sub, 'away');
    const p = await client(tb, 'pub');
    await publishAll(p, 'q/1', 300);
    const session = sessionOf(tb, 'away');
    expect(session.loadedCount).toBe(0);
    expect(session.spilledCount).toBe(300);
    expect(tb.broker.stats().messagesStored).toBe(300);

    const back = await client(tb, 'away', { clean: false });
    const got: string[] = [];
    let maxUnacked = 0;
    let unacked = 0;
    while (got.length < 300) {
      const m = await back.expectPacket('publish');
      got.push(m.payload.toString());
      unacked++;
      maxUnacked = Math.max(maxUnacked, unacked);
      // Acknowledged in small bursts, so the window (10) is what bounds what the broker sends.
      if (got.length % 5 === 0) {
        for (; unacked > 0; unacked--) ack(back, (m.packetId ?? 0) - unacked + 1);
      }
    }
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => `m${i}`));
    expect(maxUnacked).toBeLessThanOrEqual(10);
    // Read back in pages of twice the window (at least 32), never the whole queue at once.
    const pages = store.reads.filter((r) => r.clientId === 'away');
    expect(pages.length).toBeGreaterThanOrEqual(300 / 32);
    expect(Math.max(...pages.map((r) => r.got))).toBeLessThanOrEqual(32);
    await until(() => session.queueLength === 0 && session.inflightCount === 0, 2000, 'the queue drained');
    expect(await store.inner.countQueued('away')).toBe(0);
  });

  it('messages that arrive while the stored queue is read back queue behind it', async () => {
    const store = new GatedStore();
    const tb = await broker(store, { max_inflight_messages: 5 });
    const sub = await client(tb, 'away', { clean: false });
    await subscribe(sub, 'q/#', 1);
    await goOffline(tb, sub, 'away');
    const p = await client(tb, 'pub');
    await publishAll(p, 'q/1', 100);
    const back = await client(tb, 'away', { clean: false });
    // While the first pages are being sent, more come in.
    await publishAll(p, 'q/1', 50, 100);
    const got: string[] = [];
    while (got.length < 150) {
      const m = await back.expectPacket('publish');
      got.push(m.payload.toString());
      ack(back, m.packetId);
    }
    expect(got).toEqual(Array.from({ length: 150 }, (_, i) => `m${i}`));
  });

  it('max_queued_messages holds for a queue in the store: the oldest QoS 0 goes first, from the store too', async () => {
    const store = new GatedStore();
    const tb = await broker(store, { max_queued_messages: 4 });
    const sub = await client(tb, 'away', { clean: false });
    await subscribe(sub, 'q/#', 1);
    await goOffline(tb, sub, 'away');
    const p = await client(tb, 'pub');
    publish(p, 'q/1', 'a0', 0);
    await publishAll(p, 'q/1', 4);
    const session = sessionOf(tb, 'away');
    expect(session.spilledCount).toBe(4);
    expect(tb.broker.stats().dropped['queue-full']).toBe(1);
    // The QoS 0 message was dropped from the store as well.
    await until(() => store.writes.includes('deleteQueued away 0'), 2000, 'the dropped entry deleted');
    expect((await store.inner.listQueued('away', -1, 10)).map((e) => e.delivery.message.payload.toString())).toEqual([
      'm0',
      'm1',
      'm2',
      'm3',
    ]);
  });

  it('a client that leaves again while its queue is read back finds the rest on its next return', async () => {
    const store = new GatedStore();
    const tb = await broker(store, { max_inflight_messages: 4 });
    const sub = await client(tb, 'away', { clean: false });
    await subscribe(sub, 'q/#', 1);
    await goOffline(tb, sub, 'away');
    const p = await client(tb, 'pub');
    await publishAll(p, 'q/1', 200);
    const first = await client(tb, 'away', { clean: false });
    const got: string[] = [];
    for (let i = 0; i < 10; i++) {
      const m = await first.expectPacket('publish');
      got.push(m.payload.toString());
      ack(first, m.packetId);
    }
    await goOffline(tb, first, 'away');
    const session = sessionOf(tb, 'away');
    expect(session.loadedCount).toBe(0);
    const second = await client(tb, 'away', { clean: false });
    while (got.length < 200) {
      const m = await second.expectPacket('publish');
      // What was inflight when the first connection left comes again with DUP set [MQTT-4.4.0-1].
      if (!m.dup || !got.includes(m.payload.toString())) got.push(m.payload.toString());
      ack(second, m.packetId);
    }
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => `m${i}`));
  });
});
