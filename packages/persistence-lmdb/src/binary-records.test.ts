import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PersistedDelivery, PersistedInflight } from '@midge/mqtt-core';
import { open, type Database, type RootDatabase } from 'lmdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chunkSeqs,
  chunkValue,
  decodeChunk,
  decodeDelivery,
  decodeInflight,
  deliveryFrame,
  EMPTY_CHUNK_BYTES,
  encodeDelivery,
  removedMarker,
  writeChunkEntry,
  encodeInflight,
  inflightPlace,
  messagePackOf,
  type BinaryValue,
  type MessagePack,
} from './binary-records.js';

let dir = '';
let root: RootDatabase;
let table: Database;
let pack: MessagePack;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'midge-lmdb-records-'));
  root = open({ path: dir, maxDbs: 2 });
  table = root.openDB({ name: 'records' });
  pack = messagePackOf(table);
});

afterAll(async () => {
  await root.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Stores `value` and reads it back through the table's MessagePack decoder, as the store does. */
async function roundTrip(value: BinaryValue): Promise<unknown> {
  await table.put('k', value);
  return table.get('k');
}

const plain: PersistedDelivery = {
  message: { topic: 'bench/p1/data', payload: Buffer.from('hello'), qos: 1, retain: false },
  qos: 1,
  retain: false,
};

const deliveries: [string, PersistedDelivery][] = [
  ['a plain delivery', plain],
  [
    'every flag, an expiry, a non-ASCII topic',
    {
      message: {
        topic: 'häuser/🏠/temp',
        payload: Buffer.alloc(0),
        qos: 2,
        retain: true,
        expiresAt: 1_765_000_000_123,
      },
      qos: 1,
      retain: true,
    },
  ],
  [
    'v5 properties (Buffers and user properties) and subscription identifiers',
    {
      message: {
        topic: 't',
        payload: Buffer.from([0, 1, 2, 255]),
        qos: 1,
        retain: false,
        properties: {
          contentType: 'text/plain',
          correlationData: Buffer.from([9, 8, 7]),
          userProperties: [
            ['k', 'v'],
            ['k', 'w'],
          ],
          messageExpiryInterval: 60,
        },
        expiresAt: 42,
      },
      qos: 0,
      retain: false,
      subscriptionIds: [1, 268_435_455],
    },
  ],
  [
    'a topic longer than the ASCII fast path, and an empty subscription id list',
    {
      message: { topic: `${'x'.repeat(300)}/é`, payload: Buffer.alloc(70_000, 7), qos: 0, retain: false },
      qos: 0,
      retain: false,
      subscriptionIds: [],
    },
  ],
  [
    'a long ASCII topic',
    {
      message: { topic: 'y'.repeat(65_535), payload: Buffer.from('p'), qos: 1, retain: false },
      qos: 1,
      retain: false,
    },
  ],
];

describe('queue records (format 2)', () => {
  it.each(deliveries)('give back %s exactly', async (_what, delivery) => {
    const back = decodeDelivery(await roundTrip(encodeDelivery(delivery, pack)), pack);
    expect(back).toStrictEqual(delivery);
    expect(Buffer.isBuffer(back.message.payload)).toBe(true);
    const correlation = back.message.properties?.correlationData;
    if (correlation !== undefined) expect(Buffer.isBuffer(correlation)).toBe(true);
  });

  it('copy the payload when encoding: a change to the caller’s buffer afterwards does not reach the record', async () => {
    const payload = Buffer.from('before');
    const value = encodeDelivery({ ...plain, message: { ...plain.message, payload } }, pack);
    payload.write('after!');
    expect(decodeDelivery(await roundTrip(value), pack).message.payload.toString()).toBe('before');
  });

  it('give back a payload of its own: changing it changes neither the record nor the next read', async () => {
    const first = decodeDelivery(await roundTrip(encodeDelivery(plain, pack)), pack);
    first.message.payload.fill(0x21);
    expect(decodeDelivery(table.get('k'), pack).message.payload.toString()).toBe('hello');
  });

  it('store the fixed fields without MessagePack: a 5-byte payload takes 27 bytes, not the ~80 of format 1', async () => {
    await table.put('k', encodeDelivery(plain, pack));
    expect(table.getBinary('k')?.length).toBe(5 + 8 + plain.message.topic.length + 5);
    await table.put('k', plain);
    expect(table.getBinary('k')?.length).toBeGreaterThan(70);
  });

  it('read a format 1 record (the delivery object as MessagePack) as it is', async () => {
    await table.put('k', plain);
    expect(decodeDelivery(table.get('k'), pack)).toStrictEqual(plain);
  });

  it('refuse a record of an unknown kind, naming the upgrade', async () => {
    const inflight = await roundTrip(encodeInflight({ packetId: 1, delivery: plain, state: 'publish' }, 0, pack));
    expect(() => decodeDelivery(inflight, pack)).toThrow(
      'a record in the queue table has an unknown layout (kind 2): it was written by a newer @midge/persistence-lmdb',
    );
  });
});

describe('chunks of queue records (format 3)', () => {
  /** A chunk of `deliveries` numbered 10, 11, 13, ... (a gap at 12), assembled as a tail assembles one. */
  function chunk(): { value: BinaryValue; seqs: number[] } {
    const out = Buffer.alloc(200_000); // one of the deliveries is larger than a page: a tail never takes it
    const seqs = deliveries.map((_, i) => 10 + i + (i >= 2 ? 1 : 0));
    let at = EMPTY_CHUNK_BYTES;
    deliveries.forEach(([, d], i) => (at = writeChunkEntry(out, at, seqs[i] as number, deliveryFrame(d, pack))));
    return { value: chunkValue(out, at, deliveries.length), seqs };
  }

  it('give back every delivery exactly, with its number, each payload a buffer of its own', async () => {
    const { value, seqs } = chunk();
    const stored = await roundTrip(value);
    const back = decodeChunk(stored, pack);
    expect(back).toStrictEqual(deliveries.map(([, delivery], i) => ({ seq: seqs[i], delivery })));
    expect(chunkSeqs(stored)).toEqual(seqs);
    const first = back[0]?.delivery.message.payload;
    first?.fill(0x21);
    expect(decodeChunk(table.get('k'), pack)[0]?.delivery).toStrictEqual(deliveries[0]?.[1]);
  });

  it('skip the deliveries at or before a number and the removed ones', async () => {
    const { value, seqs } = chunk();
    const stored = await roundTrip(value);
    const removed = new Set([seqs[3] as number]);
    expect(decodeChunk(stored, pack, seqs[1], removed).map((e) => e.seq)).toEqual(
      seqs.slice(2).filter((s) => !removed.has(s)),
    );
  });

  it('are refused by the delivery reader, and a delivery by the chunk reader', async () => {
    const stored = await roundTrip(chunk().value);
    expect(() => decodeDelivery(stored, pack)).toThrow('unknown layout (kind 3)');
    const delivery = await roundTrip(encodeDelivery(plain, pack));
    expect(() => decodeChunk(delivery, pack)).toThrow('unknown layout (kind 1)');
    const marker = await roundTrip(removedMarker());
    expect(() => decodeDelivery(marker, pack)).toThrow('unknown layout (kind 4)');
  });
});

describe('inflight records (format 2)', () => {
  const cases: [string, PersistedInflight, number][] = [
    ['without a queue entry', { packetId: 65_535, delivery: plain, state: 'publish' }, 0],
    ['sent from the queue, released', { packetId: 1, delivery: plain, state: 'pubrel', seq: 2 ** 40 }, 123_456_789],
  ];

  it.each(cases)('give back an inflight message %s, with its send order', async (_what, inflight, order) => {
    const value = await roundTrip(encodeInflight(inflight, order, pack));
    expect(decodeInflight(value, pack)).toStrictEqual({ ...inflight, order });
    expect(inflightPlace(value)).toStrictEqual({ packetId: inflight.packetId, order });
  });

  it('read a format 1 record (an object with the delivery and order) as it is', async () => {
    const stored = { packetId: 7, delivery: plain, state: 'publish' as const, order: 3, seq: 9 };
    await table.put('k', stored);
    const value = table.get('k') as unknown;
    expect(decodeInflight(value, pack)).toStrictEqual(stored);
    expect(inflightPlace(value)).toMatchObject({ packetId: 7, order: 3 });
  });
});

describe('records that cannot be stored', () => {
  it('refuse a topic longer than MQTT allows before anything is written', () => {
    const long = { ...plain, message: { ...plain.message, topic: 'é'.repeat(40_000) } };
    expect(() => encodeDelivery(long, pack)).toThrow('its topic takes 80000 bytes, more than MQTT allows (65535)');
  });
});
