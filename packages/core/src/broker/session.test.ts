import { describe, expect, it } from 'vitest';
import type { QoS } from '../codec/packets.js';
import type { ClientInfo } from '../plugin-api/types.js';
import type { Delivery } from './message.js';
import { Session } from './session.js';

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
    const dropped = (x: Delivery) => s.enqueue(x, 3, 0).map((q) => q.message.payload.toString());
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
    expect(out.map((q) => q.message.payload[0])).toEqual([0x62, 0x63]);
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
});
