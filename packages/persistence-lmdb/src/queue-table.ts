import type { PersistedQueued } from '@midge/mqtt-core';
import type { Database, Key } from 'lmdb';
import { chunkSeqs, decodeChunk, decodeDelivery, type MessagePack } from './binary-records.js';
import { Chunk, QueueChunks, type ChunkKey } from './queue-chunks.js';

/**
 * Reading the queue table of format 3 (its keys: queue-chunks.ts): the chunks held at open, a client's
 * deliveries in order, how many there are.
 */

/**
 * The chunks of every client, from the table's keys (chunk values are read only for a chunk with gaps), and
 * the keys left by interrupted writes: a delivery's own key inside a chunk that replaced it, a removed
 * marker without its chunk, a chunk with every delivery removed and its markers.
 */
export function loadChunks(queue: Database): { chunks: QueueChunks; stale: Key[] } {
  const chunks = new QueueChunks();
  const stale: Key[] = [];
  let client: string | undefined;
  let last: Chunk | undefined; // the client's newest chunk so far
  let before: unknown[] | undefined; // the key just before, if a delivery's own
  let markers: unknown[][] = [];
  const settle = (): void => {
    if (client === undefined) return;
    for (const m of markers) {
      const chunk = chunks.holding(client, m[1] as number);
      if (chunk === undefined) stale.push(m as Key);
      else chunk.remove(m[1] as number);
    }
    for (const chunk of chunks.chunksOf(client).filter((c) => c.live === 0)) {
      stale.push(chunk.keyFor(client));
      for (const s of chunk.removed) stale.push([client, s, 0]);
      chunks.deleteChunk(client, chunk);
    }
    markers = [];
  };
  for (const key of queue.getKeys()) {
    if (!Array.isArray(key) || typeof key[0] !== 'string') continue;
    const k = key as unknown[];
    const owner = k[0] as string;
    if (owner !== client) {
      settle();
      client = owner;
      last = undefined;
      before = undefined;
    }
    if (k.length === 4) {
      const [, first, end, count] = k as [string, number, number, number];
      const seqs = count === end - first + 1 ? undefined : chunkSeqs(queue.get(key));
      last = new Chunk(first, end, count, seqs, 0);
      chunks.addStored(owner, last);
      // A delivery's own key sorts just before a chunk starting at its number.
      if (before !== undefined && last.holds(before[1] as number)) stale.push(before as Key);
      before = undefined;
    } else if (k.length === 3) {
      markers.push(k);
      before = undefined;
    } else if (k.length === 2) {
      if (last?.holds(k[1] as number) === true) stale.push(key);
      before = k;
    }
  }
  settle();
  return { chunks, stale };
}

/**
 * Up to `max` deliveries of `client` with a sequence number above `afterSeq`, oldest first: its own keys and
 * its chunks' deliveries not removed, in key order (which is sequence order). What is removed from a chunk is
 * read from its markers, so a reader of a store another process writes (`midge store inspect`) sees it too.
 */
export function listQueue(
  queue: Database,
  chunks: QueueChunks,
  pack: MessagePack,
  client: string,
  afterSeq: number,
  max: number,
): PersistedQueued[] {
  if (max <= 0) return [];
  const out: PersistedQueued[] = [];
  const start = chunkHolding(queue, client, afterSeq) ?? afterSeq;
  for (const { key, value } of queue.getRange({ start: [client, start], end: [client, Infinity] })) {
    const k = key as unknown[];
    if (k.length === 2) {
      const seq = k[1] as number;
      if (seq > afterSeq && chunks.holding(client, seq) === undefined)
        out.push({ seq, delivery: decodeDelivery(value, pack) });
    } else if (k.length === 4) {
      const [, first, last] = k as ChunkKey;
      if (last <= afterSeq) continue;
      for (const e of decodeChunk(value, pack, afterSeq, removedIn(queue, client, first, last)))
        if (out.length < max) out.push(e);
        else break;
    }
    if (out.length >= max) break;
  }
  return out;
}

/** Where the stored chunk holding `seq` of `client` starts, if one does (its key sorts at its first number). */
function chunkHolding(queue: Database, client: string, seq: number): number | undefined {
  for (const key of queue.getKeys({ start: [client, seq, Infinity], end: [client], reverse: true })) {
    const k = key as unknown[];
    if (k.length === 3) continue; // a marker: the chunk's key is further back
    return k.length === 4 && (k[2] as number) >= seq ? (k[1] as number) : undefined;
  }
  return undefined;
}

/** The removed markers of `client` from `first` to `last`: those of one chunk. */
function removedIn(queue: Database, client: string, first: number, last: number): Set<number> {
  const removed = new Set<number>();
  for (const key of queue.getKeys({ start: [client, first], end: [client, last, Infinity] })) {
    const k = key as unknown[];
    if (k.length === 3) removed.add(k[1] as number);
  }
  return removed;
}

/** How many deliveries `client` has queued, from the table's keys. */
export function countQueue(queue: Database, client: string): number {
  const chunks: ChunkKey[] = [];
  const others: unknown[][] = []; // own keys and markers
  for (const key of queue.getKeys({ start: [client], end: [client, Infinity] })) {
    const k = key as unknown[];
    if (k.length === 4) chunks.push(k as ChunkKey);
    else others.push(k);
  }
  let n = 0;
  for (const c of chunks) n += c[3];
  let at = 0;
  for (const k of others) {
    const seq = k[1] as number;
    // Chunks are in sequence order, as are the other keys: the chunk whose range may hold `seq`.
    while (at < chunks.length && (chunks[at] as ChunkKey)[2] < seq) at++;
    const c = chunks[at];
    const inChunk = c !== undefined && c[1] <= seq && seq <= c[2];
    // A marker takes one off its chunk; an own key inside a chunk's range is one the chunk replaced.
    if (k.length === 3 && inChunk) n--;
    else if (k.length === 2 && !inChunk) n++;
  }
  return n;
}
