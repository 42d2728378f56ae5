import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { PersistedDelivery, PersistedSession } from '@midge/mqtt-core';
import { open, type Database, type RootDatabase } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { encodeDelivery, messagePackOf, removedMarker } from '../src/binary-records.js';
import { LmdbPersistence } from '../src/index.js';
import { tempDir } from './temp-dirs.js';

/**
 * A disconnected session's queued deliveries packed into page-sized chunks (queue-chunks.ts), on real
 * files: what the queue table holds, what reads give back, removal, restarts, keys interrupted writes leave.
 */

function delivery(seq: number, size = 64): PersistedDelivery {
  const payload = Buffer.alloc(size, seq & 0xff);
  payload.writeUInt32BE(seq);
  return { message: { topic: 'od/1', payload, qos: 1, retain: false }, qos: 1, retain: false };
}

function session(clientId: string, offline: boolean): PersistedSession {
  return {
    clientId,
    subscriptions: [],
    queue: [],
    inflight: [],
    inboundQos2: [],
    ...(offline ? { disconnectedAt: Date.now() } : {}),
  };
}

async function opened(dir: string, readOnly = false): Promise<LmdbPersistence> {
  const store = new LmdbPersistence({ path: dir, sync: 'batch', readOnly });
  await store.open();
  return store;
}

/** Pushes `seqs` for `clientId`, ten per event-loop turn as a burst of publishes would, each turn waited for. */
async function push(store: LmdbPersistence, clientId: string, seqs: number[], size = 64): Promise<void> {
  for (let i = 0; i < seqs.length; i += 10)
    await Promise.all(
      seqs.slice(i, i + 10).map((seq) => store.pushQueued(clientId, { seq, delivery: delivery(seq, size) })),
    );
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** The queue table's keys of `clientId` by shape, read with lmdb-js itself (the store closed). */
async function keysOf(dir: string, clientId: string): Promise<{ own: number; markers: number; chunks: number[][] }> {
  const root: RootDatabase = open({ path: dir, maxDbs: 12, readOnly: true });
  const queue: Database = root.openDB({ name: 'queue' });
  const out = { own: 0, markers: 0, chunks: [] as number[][] };
  for (const key of queue.getKeys({ start: [clientId], end: [clientId, Infinity] })) {
    const k = key as unknown[];
    if (k.length === 2) out.own++;
    else if (k.length === 3) out.markers++;
    else out.chunks.push(k.slice(1) as number[]);
  }
  await root.close();
  return out;
}

async function seqsOf(store: LmdbPersistence, clientId: string, afterSeq = -1, max = 1e9): Promise<number[]> {
  return (await store.listQueued(clientId, afterSeq, max)).map((e) => e.seq);
}

describe('queued deliveries of a disconnected session', () => {
  it('are packed into chunks as they come, and read back whole and in order', async () => {
    const dir = tempDir('chunks');
    const store = await opened(dir);
    await store.saveSession(session('c', true));
    await push(store, 'c', range(0, 500));
    const listed = await store.listQueued('c', -1, 1e9);
    expect(listed.map((e) => e.seq)).toEqual(range(0, 500));
    for (const e of listed) expect(e.delivery).toEqual(delivery(e.seq));
    expect(await store.countQueued('c')).toBe(500);
    await store.close();

    const keys = await keysOf(dir, 'c');
    // 64-byte payloads take 88 bytes in a chunk: 46 to a page.
    expect(keys.chunks.length).toBeGreaterThanOrEqual(9);
    expect(keys.chunks.every(([first, last, count]) => count === 46 && last === (first ?? 0) + 45)).toBe(true);
    expect(keys.own).toBe(500 - 46 * keys.chunks.length);
    expect(keys.markers).toBe(0);
  });

  it('reads from any point, across chunks and the keys after them, up to a limit', async () => {
    const dir = tempDir('chunks-read');
    const store = await opened(dir);
    await store.saveSession(session('c', true));
    await push(store, 'c', range(0, 300));
    expect(await seqsOf(store, 'c', 40, 10)).toEqual(range(41, 51));
    expect(await seqsOf(store, 'c', 45, 3)).toEqual([46, 47, 48]);
    expect(await seqsOf(store, 'c', 270, 100)).toEqual(range(271, 300));
    expect(await seqsOf(store, 'c', 299, 10)).toEqual([]);
    expect(await seqsOf(store, 'c', -1, 0)).toEqual([]);
    expect((await store.getSession('c'))?.queue.map((e) => e.seq)).toEqual(range(0, 300));
    expect((await store.listSessions(7))[0]?.queue.map((e) => e.seq)).toEqual(range(0, 7));
    await store.close();
  });

  it('removes deliveries from chunks by marker, then the chunk and its markers once all are removed', async () => {
    const dir = tempDir('chunks-remove');
    const store = await opened(dir);
    await store.saveSession(session('c', true));
    await push(store, 'c', range(0, 200));
    // The first chunk (0-45) wholly, one of the second, and some of the keys after the chunks.
    await Promise.all([...range(0, 46), 50, 190, 199].map((seq) => store.deleteQueued('c', seq)));
    await store.deleteQueued('c', 50); // twice: a no-op
    const left = range(0, 200).filter((s) => s >= 46 && s !== 50 && s !== 190 && s !== 199);
    expect(await seqsOf(store, 'c')).toEqual(left);
    expect(await store.countQueued('c')).toBe(left.length);
    await store.close();

    const keys = await keysOf(dir, 'c');
    expect(keys.chunks.map(([first]) => first)).toEqual([46, 92, 138]);
    expect(keys.markers).toBe(1);

    const again = await opened(dir);
    expect(await seqsOf(again, 'c')).toEqual(left);
    expect(await again.countQueued('c')).toBe(left.length);
    // Removing the rest of the second chunk after a restart takes it and its markers away.
    await Promise.all(range(46, 92).map((seq) => again.deleteQueued('c', seq)));
    expect(await seqsOf(again, 'c', -1, 3)).toEqual([92, 93, 94]);
    await again.close();
    const after = await keysOf(dir, 'c');
    expect(after.chunks.map(([first]) => first)).toEqual([92, 138]);
    expect(after.markers).toBe(0);
  });

  it('packs nothing while the session is connected, and no chunk spans a connection', async () => {
    const dir = tempDir('chunks-online');
    const store = await opened(dir);
    await store.saveSession(session('c', false));
    await push(store, 'c', range(0, 100));
    await store.updateSession('c', { disconnectedAt: Date.now() });
    await push(store, 'c', range(100, 130));
    // Connected again before those made a chunk: they stay keys of their own, as do the next ones.
    await store.updateSession('c', { disconnectedAt: null });
    await push(store, 'c', range(130, 200));
    await store.updateSession('c', { disconnectedAt: Date.now() });
    await push(store, 'c', range(200, 300));
    await store.close();

    const keys = await keysOf(dir, 'c');
    expect(keys.chunks.length).toBeGreaterThan(0);
    expect(keys.chunks.every(([first]) => (first ?? 0) >= 200)).toBe(true);
    const again = await opened(dir);
    expect(await seqsOf(again, 'c')).toEqual(range(0, 300));
    expect(await again.countQueued('c')).toBe(300);
    await again.close();
  });

  it('keeps a tail of deliveries removed before packing out of every chunk', async () => {
    const dir = tempDir('chunks-tail');
    const store = await opened(dir);
    await store.saveSession(session('c', true));
    await push(store, 'c', range(0, 20));
    await store.deleteQueued('c', 10);
    await push(store, 'c', range(20, 120));
    const expected = range(0, 120).filter((s) => s !== 10);
    expect(await seqsOf(store, 'c')).toEqual(expected);
    await store.close();
    const keys = await keysOf(dir, 'c');
    // The tail that lost 10 was never packed: chunks start after it, without gaps.
    expect(
      keys.chunks.every(([first, last, count]) => (first ?? 0) >= 20 && last === (first ?? 0) + (count ?? 0) - 1),
    ).toBe(true);
    const again = await opened(dir);
    expect(await seqsOf(again, 'c')).toEqual(expected);
    await again.close();
  });

  it('are read right by a reader opened before they were packed or removed (inspecting a live store)', async () => {
    const dir = tempDir('chunks-live');
    const store = await opened(dir);
    await store.saveSession(session('c', true));
    await push(store, 'c', range(0, 20));
    const reader = await opened(dir, true);
    await push(store, 'c', range(20, 150));
    await Promise.all([3, 60, 61, 149].map((seq) => store.deleteQueued('c', seq)));
    const expected = range(0, 150).filter((s) => ![3, 60, 61, 149].includes(s));
    expect(await seqsOf(reader, 'c')).toEqual(expected);
    expect(await seqsOf(reader, 'c', 59, 3)).toEqual([62, 63, 64]);
    expect(await reader.countQueued('c')).toBe(expected.length);
    await reader.close();
    await store.close();
  });

  it('starts afresh when the session is saved again or deleted', async () => {
    const dir = tempDir('chunks-replace');
    const store = await opened(dir);
    await store.saveSession(session('c', true));
    await push(store, 'c', range(0, 100));
    await store.saveSession(session('c', true));
    expect(await seqsOf(store, 'c')).toEqual([]);
    await push(store, 'c', range(0, 60));
    expect(await seqsOf(store, 'c')).toEqual(range(0, 60));
    await store.deleteSession('c');
    expect(await store.countQueued('c')).toBe(0);
    await store.close();
    expect(await keysOf(dir, 'c')).toEqual({ own: 0, markers: 0, chunks: [] });
  });

  it('reads past keys an interrupted pack left, and removes them once opened for writing', async () => {
    const dir = tempDir('chunks-stale');
    const store = await opened(dir);
    await store.saveSession(session('c', true));
    await push(store, 'c', range(0, 100));
    await store.close();
    expect((await keysOf(dir, 'c')).chunks[0]?.[0]).toBe(0);
    // As a pack whose chunk was written without all of its removals (a delivery's own key sorts just before a
    // chunk starting at its number, the others inside it), and a marker whose chunk went.
    const root = open({ path: dir, maxDbs: 12 });
    const queue = root.openDB({ name: 'queue' });
    const pack = messagePackOf(queue);
    await queue.put(['c', 0], encodeDelivery(delivery(0), pack));
    await queue.put(['c', 5], encodeDelivery(delivery(5), pack));
    await queue.put(['c', 1000, 0], removedMarker());
    await root.close();

    const reader = await opened(dir, true);
    expect(await seqsOf(reader, 'c')).toEqual(range(0, 100));
    expect(await reader.countQueued('c')).toBe(100);
    await reader.close();
    const writer = await opened(dir);
    await writer.close();
    const keys = await keysOf(dir, 'c');
    expect(keys.markers).toBe(0);
    expect(keys.own).toBe(100 - 46 * keys.chunks.length);
  });
});

describe('a million-message queue’s file, in miniature', () => {
  it('fills the pages of many disconnected sessions’ interleaved deliveries (one key each filled them half)', async () => {
    const dir = tempDir('chunks-fill');
    const store = await opened(dir);
    const sessions = 100;
    const perSession = 300;
    for (let i = 0; i < sessions; i++) await store.saveSession(session(`od-${i}`, true));
    for (let m = 0; m < perSession; m++)
      await Promise.all(range(0, sessions).map((i) => store.pushQueued(`od-${i}`, { seq: m, delivery: delivery(m) })));
    expect(await store.countQueued('od-7')).toBe(perSession);
    await store.close();
    // 30,000 deliveries of 64-byte payloads, 88 bytes each in a chunk (2.6 MB): 4.0 MB of file measured, with
    // LMDB's free pages; one key each (the session connected) made it 6.8 MB.
    const file = statSync(join(dir, 'data.mdb')).size;
    expect(file).toBeLessThan(5e6);
  });
});
