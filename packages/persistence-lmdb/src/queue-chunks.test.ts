import { describe, expect, it } from 'vitest';
import { deliveryFrame, EMPTY_CHUNK_BYTES, chunkEntryBytes, type MessagePack } from './binary-records.js';
import { Chunk, CHUNK_BYTES, QueueChunks, type Pack } from './queue-chunks.js';

const pack: MessagePack = {
  encode: () => {
    throw new Error('no extras here');
  },
  decode: () => ({}),
};

function frame(size = 64): Buffer {
  return deliveryFrame(
    { message: { topic: 'od/1', payload: Buffer.alloc(size, 1), qos: 1, retain: false }, qos: 1, retain: false },
    pack,
  );
}

/** How many 64-byte deliveries a chunk takes. */
const PER_CHUNK = Math.floor((CHUNK_BYTES - EMPTY_CHUNK_BYTES) / chunkEntryBytes(frame()));

/** Appends `seqs`, each in its own committed transaction; returns the packs made. */
function appendAll(chunks: QueueChunks, seqs: number[], turn = { n: 0 }): Pack[] {
  const packs: Pack[] = [];
  for (const seq of seqs) {
    turn.n++;
    const p = chunks.append('c', seq, frame(), turn.n, turn.n - 1);
    if (p !== undefined) packs.push(p);
  }
  return packs;
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('QueueChunks', () => {
  it('packs a page of deliveries once the next one would not fit, the rest staying in the tail', () => {
    const chunks = new QueueChunks();
    expect(PER_CHUNK).toBe(46);
    const packs = appendAll(chunks, range(0, 100));
    expect(packs.map((p) => p.seqs)).toEqual([range(0, 46), range(46, 92)]);
    // The value: a MessagePack bin 32 frame around the chunk, at most one page.
    const bytes = (packs[0]?.value as Record<string, Buffer>)['\x10binary-data\x02'] as Buffer;
    expect(bytes.length).toBeLessThanOrEqual(CHUNK_BYTES);
    expect(bytes.length).toBe(EMPTY_CHUNK_BYTES + 46 * chunkEntryBytes(frame()));
    expect(bytes.readUInt32BE(1)).toBe(bytes.length - 5);
  });

  it('waits for the deliveries of a chunk to be committed before packing them', () => {
    const chunks = new QueueChunks();
    // All in transaction 5, nothing committed yet.
    for (const seq of range(0, 60)) expect(chunks.append('c', seq, frame(), 5, 4)).toBeUndefined();
    // Once transaction 5 committed, the next append packs the first page.
    expect(chunks.append('c', 60, frame(), 6, 5)?.seqs).toEqual(range(0, 46));
  });

  it('ends the tail when one of its deliveries is removed, or the client forgotten (a chunk has no gaps)', () => {
    const chunks = new QueueChunks();
    appendAll(chunks, range(0, 30));
    chunks.removedFromTail('c', 7);
    const turn = { n: 100 };
    expect(appendAll(chunks, range(30, 76), turn)).toEqual([]);
    expect(appendAll(chunks, [76], turn).map((p) => p.seqs)).toEqual([range(30, 76)]);
    chunks.forget('c');
    expect(appendAll(chunks, range(77, 100), turn)).toEqual([]);
  });

  it('does not pack records a page cannot hold with others, nor numbers that are not whole', () => {
    const chunks = new QueueChunks();
    const big = frame(CHUNK_BYTES);
    expect(chunks.append('c', 0, big, 1, 1)).toBeUndefined();
    expect(chunks.append('c', 0.5, frame(), 2, 2)).toBeUndefined();
    expect(appendAll(chunks, range(1, 47), { n: 2 })).toEqual([]);
  });

  it('grows a tail’s buffer as it fills, and gives tails no more than their bound in all', () => {
    const packsOf = (chunks: QueueChunks, client: string, seqs: number[], turn: { n: number }): Pack[] => {
      const packs: Pack[] = [];
      for (const seq of seqs) {
        turn.n++;
        const p = chunks.append(client, seq, frame(), turn.n, turn.n - 1);
        if (p !== undefined) packs.push(p);
      }
      return packs;
    };
    // Room for four first buffers (512 bytes each) and no more: nobody can grow to a chunk's two pages.
    const small = new QueueChunks(4 * 512);
    const turn = { n: 0 };
    for (const client of ['a', 'b', 'c', 'd']) expect(packsOf(small, client, [0], turn)).toEqual([]);
    expect(packsOf(small, 'e', range(0, 60), turn)).toEqual([]);
    expect(packsOf(small, 'a', range(1, 60), turn)).toEqual([]);
    // Two pages: one session's tail grows from 512 bytes to a chunk and packs; then the next one can.
    const one = new QueueChunks(2 * CHUNK_BYTES);
    expect(packsOf(one, 'a', range(0, 47), turn).map((p) => p.seqs)).toEqual([range(0, 46)]);
    expect(packsOf(one, 'b', range(0, 47), turn)).toEqual([]);
    one.forget('a');
    expect(packsOf(one, 'c', range(0, 47), turn).map((p) => p.seqs)).toEqual([range(0, 46)]);
  });

  it('forgets the chunks of a failed transaction and every tail', () => {
    const chunks = new QueueChunks();
    const p = appendAll(chunks, range(0, 47))[0] as Pack;
    const a = chunks.packed('c', p, 48);
    const b = chunks.packed('d', { seqs: [5, 6], value: p.value }, 49);
    expect(chunks.holding('c', 10)).toBe(a);
    chunks.failed(48);
    expect(chunks.holding('c', 10)).toBeUndefined();
    expect(chunks.holding('d', 6)).toBe(b);
    // The tail of 'c' (46) is gone too: 46 more do not make a chunk.
    expect(appendAll(chunks, range(47, 93), { n: 60 })).toEqual([]);
  });
});

describe('Chunk', () => {
  it('holds its numbers, with gaps when its deliveries were not consecutive', () => {
    const whole = new Chunk(10, 14, 5, undefined, 0);
    expect([9, 10, 12, 14, 15, 12.5].map((s) => whole.holds(s))).toEqual([false, true, true, true, false, false]);
    const gaps = new Chunk(10, 20, 3, [10, 15, 20], 0);
    expect([10, 11, 15, 20].map((s) => gaps.holds(s))).toEqual([true, false, true, true]);
    gaps.remove(15);
    gaps.remove(15);
    expect(gaps.live).toBe(2);
    expect([...gaps.removed]).toEqual([15]);
  });
});
