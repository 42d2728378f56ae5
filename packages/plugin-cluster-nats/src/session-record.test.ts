import type { ClientDetail } from '@midge/mqtt-core';
import { describe, expect, it } from 'vitest';
import { decodeSessionRecord, deliveryFor, recordExpired, recordOf, storedFilters } from './session-record.js';
import type { SessionRecord } from './session-record.js';

const base: SessionRecord = {
  v: 1,
  node: 'a',
  clientId: 'dev-1',
  username: 'alice',
  protocolVersion: 5,
  since: 1000,
  subscriptions: [],
};
const message = { topic: 'm/1', payload: Buffer.from('x'), qos: 2 as const, retain: true };

describe('session records', () => {
  it('are written from the session detail, with the subscription options, and read back', () => {
    const detail = {
      clientId: 'dev-1',
      username: undefined,
      protocolVersion: 4,
      expiryInterval: undefined,
      subscriptionList: [
        { filter: 'a/#', qos: 1, noLocal: false, retainAsPublished: false, subscriptionId: undefined },
        { filter: 'b/+', qos: 2, noLocal: true, retainAsPublished: true, subscriptionId: 7 },
      ],
    } as unknown as ClientDetail;
    const record = recordOf(detail, 'n1', 500, 900);
    expect(record).toEqual({
      v: 1,
      node: 'n1',
      clientId: 'dev-1',
      username: null,
      protocolVersion: 4,
      disconnectedAt: 900,
      since: 500,
      subscriptions: [
        { topic: 'a/#', qos: 1 },
        { topic: 'b/+', qos: 2, noLocal: true, retainAsPublished: true, subscriptionId: 7 },
      ],
    });
    expect(decodeSessionRecord(Buffer.from(JSON.stringify(record)))).toEqual(record);
  });

  it('refuse what is not a record, naming the problem', () => {
    const bad =
      (v: unknown): (() => SessionRecord) =>
      () =>
        decodeSessionRecord(Buffer.from(JSON.stringify(v)));
    expect(bad(null)).toThrow(/JSON object/);
    expect(bad({ ...base, v: 2 })).toThrow(/version 2/);
    expect(bad({ ...base, since: 'x' })).toThrow(/since/);
    expect(bad({ ...base, subscriptions: [{ topic: 'a', qos: 3 }] })).toThrow(/qos of 0, 1 or 2/);
    expect(bad({ ...base, username: 5 })).toThrow(/username/);
    expect(() => decodeSessionRecord(Buffer.from([0xff]))).toThrow();
  });

  it('keep messages for QoS 1/2 subscriptions that are not shared', () => {
    const record = {
      ...base,
      subscriptions: [
        { topic: 'q0/#', qos: 0 as const },
        { topic: 'q1/#', qos: 1 as const },
        { topic: '$share/g/s/#', qos: 1 as const },
      ],
    };
    expect(storedFilters(record)).toEqual(['q1/#']);
  });

  it('expire as the broker expires sessions: never while connected, never for 0 or 0xFFFFFFFF', () => {
    expect(recordExpired(base, 10_000_000, 60)).toBe(false);
    const offline = { ...base, disconnectedAt: 1000 };
    expect(recordExpired({ ...offline, expiryInterval: 10 }, 10_999, 0)).toBe(false);
    expect(recordExpired({ ...offline, expiryInterval: 10 }, 11_000, 0)).toBe(true);
    expect(recordExpired(offline, 61_000, 60)).toBe(true);
    expect(recordExpired(offline, 1e12, 0)).toBe(false);
    expect(recordExpired({ ...offline, expiryInterval: 0xffffffff }, 1e12, 60)).toBe(false);
  });

  it('give one delivery per message at the highest QoS of the matching subscriptions [MQTT-3.3.4-2]', () => {
    const record: SessionRecord = {
      ...base,
      subscriptions: [
        { topic: 'm/+', qos: 1, subscriptionId: 3 },
        { topic: 'm/#', qos: 2, retainAsPublished: true, subscriptionId: 4 },
        { topic: 'other', qos: 2 },
      ],
    };
    expect(deliveryFor(record, message, undefined, 5000)).toEqual({
      message: { ...message, expiresAt: 5000 },
      qos: 2,
      retain: true,
      subscriptionIds: [3, 4],
    });
    // A QoS 1 message stays QoS 1; without Retain As Published the RETAIN flag is cleared.
    const once = { ...record, subscriptions: [{ topic: 'm/1', qos: 2 as const }] };
    expect(deliveryFor(once, { ...message, qos: 1 }, undefined, undefined)).toEqual({
      message: { ...message, qos: 1 },
      qos: 1,
      retain: false,
    });
    expect(deliveryFor(record, { ...message, topic: 'x' }, undefined, undefined)).toBeUndefined();
  });

  it('leave out what No Local excludes, and what only a QoS 0 or shared subscription matches', () => {
    const record: SessionRecord = {
      ...base,
      subscriptions: [
        { topic: 'm/#', qos: 1, noLocal: true },
        { topic: 'z/#', qos: 0 },
        { topic: '$share/g/s/#', qos: 2 },
      ],
    };
    expect(deliveryFor(record, message, 'dev-1', undefined)).toBeUndefined();
    expect(deliveryFor(record, message, 'someone-else', undefined)?.qos).toBe(1);
    expect(deliveryFor(record, { ...message, topic: 'z/1' }, undefined, undefined)).toBeUndefined();
    expect(deliveryFor(record, { ...message, topic: 's/1' }, undefined, undefined)).toBeUndefined();
  });
});
