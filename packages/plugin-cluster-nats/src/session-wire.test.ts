import type { PersistedSession } from '@midge/mqtt-core';
import { describe, expect, it } from 'vitest';
import { chunksOf, decodeHandedSession, encodeHandedSession } from './session-wire.js';

const session: PersistedSession = {
  clientId: 'sensor.1',
  username: null,
  protocolVersion: 5,
  expiryInterval: 3600,
  disconnectedAt: 1_700_000_000_000,
  subscriptions: [{ topic: 't/#', qos: 1, noLocal: true, retainAsPublished: true, subscriptionId: 7 }],
  queue: [
    {
      seq: 3,
      delivery: {
        message: {
          topic: 't/a',
          payload: Buffer.from([0, 1, 2, 0xff]),
          qos: 1,
          retain: false,
          properties: { correlationData: Buffer.from('corr'), userProperties: [['k', 'v']] },
          expiresAt: 1_700_000_060_000,
        },
        qos: 1,
        retain: false,
        subscriptionIds: [7],
      },
    },
  ],
  inflight: [
    {
      packetId: 9,
      state: 'pubrel',
      seq: 2,
      delivery: { message: { topic: 't/b', payload: Buffer.alloc(0), qos: 2, retain: true }, qos: 2, retain: true },
    },
  ],
  inboundQos2: [4, 5],
};

describe('handed-over session wire format', () => {
  it('round-trips every field, binary payloads and properties included', () => {
    const back = decodeHandedSession(encodeHandedSession(session));
    expect(back).toEqual(session);
    expect(Buffer.isBuffer(back.queue[0]?.delivery.message.payload)).toBe(true);
    expect(Buffer.isBuffer(back.queue[0]?.delivery.message.properties?.correlationData)).toBe(true);
  });

  it('refuses another format version, naming the fix', () => {
    const other = Buffer.from(JSON.stringify({ v: 99, session }));
    expect(() => decodeHandedSession(other)).toThrow(/format 99.*one Midge version/);
  });

  it('refuses a record without the parts of a session', () => {
    expect(() => decodeHandedSession(Buffer.from(JSON.stringify({ v: 1, session: { clientId: 'x' } })))).toThrow(
      /lacks/,
    );
    expect(() => decodeHandedSession(Buffer.from('null'))).toThrow(/not an object/);
  });

  it('cuts data into chunks that join back to it', () => {
    const data = encodeHandedSession(session);
    const chunks = chunksOf(data, 50);
    expect(chunks.every((c) => c.length <= 50)).toBe(true);
    expect(Buffer.concat(chunks)).toEqual(data);
    expect(chunksOf(Buffer.alloc(0), 10)).toEqual([]);
  });
});
