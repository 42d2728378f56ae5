import { describe, expect, it } from 'vitest';
import type { QoS } from '../codec/packets.js';
import type { ClientInfo } from '../plugin-api/types.js';
import type { Delivery } from './message.js';
import { Session, type QueueDrop } from './session.js';

const client: ClientInfo = {
  clientId: 'c',
  username: undefined,
  protocolVersion: 4,
  listener: 'l',
  remoteAddress: '',
  remotePort: 0,
  secure: false,
};
const d = (name: string, qos: QoS): Delivery => ({
  message: { topic: 't', payload: Buffer.from(name), qos, retain: false },
  qos,
  retain: false,
});
const names = (s: Session) => s.queue.map((q) => q.message.payload.toString());
/** A dropped delivery's payload, or `#seq` for one whose message lived only in the store. */
const label = (q: QueueDrop) => (typeof q === 'number' ? `#${q}` : q.message.payload.toString());
const stored = (name: string, qos: QoS, seq: number): Delivery => ({ ...d(name, qos), seq });

describe('Session', () => {
  it('[MQTT-2.3.1-2] allocates packet ids 1..65535, wrapping and skipping ids in use', () => {
    const s = new Session('c', false, client);
    expect(s.allocatePacketId()).toBe(1);
    s.inflightOut.set(2, { packetId: 2, delivery: d('x', 1), state: 'publish' });
    expect(s.allocatePacketId()).toBe(3);
    for (let i = 4; i <= 0xffff; i++) s.allocatePacketId();
    expect(s.allocatePacketId()).toBe(1);
    expect(s.allocatePacketId()).toBe(3);
  });

  it('a full queue drops the oldest QoS 0, then the oldest QoS 1, then the oldest QoS 2', () => {
    const s = new Session('c', false, client);
    const dropped = (x: Delivery) => s.enqueue(x, 3, 0).map(label);
    for (const [n, q] of [
      ['a1', 1],
      ['b0', 0],
      ['c2', 2],
    ] as const)
      expect(dropped(d(n, q))).toEqual([]);
    expect(dropped(d('d1', 1))).toEqual(['b0']);
    expect(dropped(d('e2', 2))).toEqual(['a1']);
    expect(names(s)).toEqual(['c2', 'd1', 'e2']);
    // An incoming QoS 0 is the oldest QoS 0 when none is queued: it is the one dropped.
    expect(dropped(d('f0', 0))).toEqual(['f0']);
    expect(dropped(d('g2', 2))).toEqual(['d1']);
    expect(dropped(d('h2', 2))).toEqual(['c2']);
    expect(names(s)).toEqual(['e2', 'g2', 'h2']);
  });

  it('max_queued_bytes: drops by the same policy until the incoming delivery fits, and accounts every byte', () => {
    const s = new Session('c', false, client);
    const big = (name: string, qos: QoS, size: number): Delivery => ({
      message: { topic: 't', payload: Buffer.alloc(size, name), qos, retain: false },
      qos,
      retain: false,
    });
    // 't' + 99 bytes = 100 bytes each; a 300-byte bound holds three.
    for (const [n, q] of [
      ['a', 1],
      ['b', 0],
      ['c', 0],
    ] as const)
      expect(s.enqueue(big(n, q, 99), 100, 300)).toEqual([]);
    expect(s.queuedBytes).toBe(300);
    // 200 bytes in: both QoS 0 go (oldest first), the QoS 1 stays.
    const out = s.enqueue(big('d', 2, 199), 100, 300);
    expect(out.map(label)).toEqual(['b'.repeat(99), 'c'.repeat(99)]);
    expect(s.queuedBytes).toBe(300);
    // Alone bigger than the bound: the incoming one is dropped, nothing queued is lost.
    const huge = big('e', 2, 400);
    expect(s.enqueue(huge, 100, 300)).toEqual([huge]);
    expect(s.queueLength).toBe(2);
    expect(s.dequeue()?.message.payload[0]).toBe(0x61);
    expect(s.queuedBytes).toBe(200);
    expect(s.removeQueued(() => true)).toBe(1);
    expect(s.queuedBytes).toBe(0);
    s.enqueue(big('f', 0, 9), 100, 300);
    expect(s.clearQueue()).toBe(1);
    expect(s.queuedBytes).toBe(0);
  });

  describe('queued messages kept in the store only (a persistent session offline)', () => {
    it('spilled deliveries keep only key, QoS and size; the drop policy still finds the oldest of the lowest QoS', () => {
      const s = new Session('c', false, client);
      s.enqueue(stored('a1', 1, 0), 4, 0);
      expect(s.spillLoaded()).toBe(true);
      for (const [n, q, seq] of [
        ['b0', 0, 1],
        ['c2', 2, 2],
        ['d1', 1, 3],
      ] as const)
        expect(s.enqueue(stored(n, q, seq), 4, 0, true)).toEqual([]);
      expect(s.loadedCount).toBe(0);
      expect(s.spilledCount).toBe(4);
      expect(s.queueLength).toBe(4);
      expect(s.queuedBytes).toBe(4 * 3);
      // Full: the QoS 0 (in the store only) goes by its key, then the oldest QoS 1.
      expect(s.enqueue(stored('e1', 1, 4), 4, 0, true).map(label)).toEqual(['#1']);
      expect(s.enqueue(stored('f2', 2, 5), 4, 0, true).map(label)).toEqual(['#0']);
      expect([0, 1, 2, 3].map((i) => s.spilled.seqAt(i))).toEqual([2, 3, 4, 5]);
      expect(s.queuedBytes).toBe(4 * 3);
    });

    it('a delivery queued behind spilled ones is spilled too, so the queue keeps its order', () => {
      const s = new Session('c', false, client);
      s.enqueue(stored('a1', 1, 7), 10, 0, true);
      s.enqueue(stored('b1', 1, 8), 10, 0, false);
      expect(s.loadedCount).toBe(0);
      expect(s.spilledCount).toBe(2);
      // Without a store key (a clean session's delivery) it stays in memory.
      s.enqueue(d('c1', 1), 10, 0, true);
      expect(names(s)).toEqual(['c1']);
    });

    it('takeLoaded gives the read page its messages back in order, skips entries dropped meanwhile, drops missing ones', () => {
      const s = new Session('c', false, client);
      for (let seq = 0; seq < 6; seq++) s.enqueue(stored(`m${seq}`, 1, seq), 100, 0, true);
      // seq 2 was dropped after the read (the page still has it); seq 3 is missing from the store.
      expect(s.forgetSpilled(new Set([2]))).toBe(1);
      const page = [0, 1, 2, 4].map((seq) => stored(`m${seq}`, 1, seq));
      expect(s.takeLoaded(page, -1)).toBe(1);
      expect(names(s)).toEqual(['m0', 'm1', 'm4']);
      expect(s.spilledCount).toBe(1);
      expect(s.queuedBytes).toBe(4 * 3);
      // A short page: everything up to the newest key asked for that it lacks is gone from the store.
      expect(s.takeLoaded([], 5)).toBe(1);
      expect(s.queueLength).toBe(3);
      expect(s.queuedBytes).toBe(3 * 3);
    });

    it('spillLoaded keeps deliveries in memory when one has no store key', () => {
      const s = new Session('c', false, client);
      s.enqueue(d('a1', 1), 10, 0);
      expect(s.spillLoaded()).toBe(false);
      expect(names(s)).toEqual(['a1']);
    });
  });
});
