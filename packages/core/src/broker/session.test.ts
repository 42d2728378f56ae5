import { describe, expect, it } from 'vitest';
import type { QoS } from '../codec/packets.js';
import type { ClientInfo } from '../plugin-api/types.js';
import type { Delivery } from './message.js';
import { Session } from './session.js';

const client: ClientInfo = { clientId: 'c', username: undefined, protocolVersion: 4, listener: 'l', remoteAddress: '', remotePort: 0, secure: false };
const d = (name: string, qos: QoS): Delivery => ({ message: { topic: 't', payload: Buffer.from(name), qos, retain: false }, qos, retain: false });
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
    for (const [n, q] of [['a1', 1], ['b0', 0], ['c2', 2]] as const) expect(s.enqueue(d(n, q), 3)).toBeUndefined();
    expect(s.enqueue(d('d1', 1), 3)?.message.payload.toString()).toBe('b0');
    expect(s.enqueue(d('e2', 2), 3)?.message.payload.toString()).toBe('a1');
    expect(names(s)).toEqual(['c2', 'd1', 'e2']);
    // An incoming QoS 0 is the oldest QoS 0 when none is queued: it is the one dropped.
    expect(s.enqueue(d('f0', 0), 3)?.message.payload.toString()).toBe('f0');
    expect(s.enqueue(d('g2', 2), 3)?.message.payload.toString()).toBe('d1');
    expect(s.enqueue(d('h2', 2), 3)?.message.payload.toString()).toBe('c2');
    expect(names(s)).toEqual(['e2', 'g2', 'h2']);
  });
});
