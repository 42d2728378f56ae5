import { chunkEntryBytes, chunkValue, EMPTY_CHUNK_BYTES, writeChunkEntry, type BinaryValue } from './binary-records.js';

/**
 * Where a client's queued deliveries are in the queue table (format 3), and the chunks they are packed into.
 *
 * One key per delivery (`[client, seq]`) fills LMDB's pages only half: deliveries for many offline sessions
 * arrive interleaved, each session's newest entry sits in the middle of a page followed by the next
 * session's entries, and LMDB splits a full page in the middle. A million queued 64-byte messages took 196
 * MB of data file that way, all of it mapped into the broker's memory. So a disconnected session's
 * deliveries, written one key each as they come (durable before their PUBACK, as before), are packed once a
 * page's worth of them is stored: one chunk record holding them replaces their keys in one transaction.
 * A chunk of up to `CHUNK_BYTES` is one LMDB overflow page of its own, full; the keys it replaced free
 * their pages for the next ones.
 *
 * Keys of one client in the queue table, in key order:
 *
 *     [client, seq]                 one delivery (its record)
 *     [client, seq, 0]              a delivery of a chunk that was removed (the chunk is never rewritten)
 *     [client, first, last, count]  a chunk: `count` deliveries, sequence numbers `first` to `last`
 *
 * A chunk holds the deliveries pushed one after the other while its session was disconnected, nothing
 * else pushed between them: so a `[client, seq]` key with `first <= seq <= last` can only be one the chunk
 * replaced (left by a pack whose writes did not all commit together) and is dropped. When every delivery
 * of a chunk is removed, the chunk and its markers go.
 *
 * This class keeps, per client, the chunks stored (with which of their deliveries are removed) and the
 * tail of deliveries not packed yet: the next chunk, assembled in a buffer per disconnected session
 * receiving deliveries (a record is copied in once, not kept as an object of its own: records kept as objects
 * for a second or two outlived the young generation and doubled the broker's heap). A buffer starts small and
 * doubles up to two pages as its tail grows, and all of them together take at most `TAILS_BYTES` (past that,
 * a session's deliveries stay one key each).
 */
export const CHUNK_BYTES = 4096 - 16; // an LMDB page less its header: one overflow page

/** A tail's buffer at most: a chunk's worth, and as much again for deliveries whose write is not committed yet. */
const TAIL_BYTES = 2 * CHUNK_BYTES;
/** A tail's first buffer. */
const FIRST_TAIL_BYTES = 512;
/** All tails' buffers together. */
const TAILS_BYTES = 64 * 1024 * 1024;

export type ChunkKey = [client: string, first: number, last: number, count: number];

export class Chunk {
  readonly first: number;
  readonly last: number;
  readonly count: number;
  /** The sequence numbers held, when not every number from `first` to `last`. */
  readonly #seqs: ReadonlySet<number> | undefined;
  /** Removed deliveries of the chunk (each has its marker key); made at the first. */
  #removed: Set<number> | undefined;
  /** The transaction that wrote the chunk (Writes.issuedTurn): until it commits, its keys may still be there. */
  readonly turn: number;

  constructor(first: number, last: number, count: number, seqs: readonly number[] | undefined, turn: number) {
    this.first = first;
    this.last = last;
    this.count = count;
    this.#seqs = count === last - first + 1 ? undefined : new Set(seqs);
    this.turn = turn;
  }

  holds(seq: number): boolean {
    if (seq < this.first || seq > this.last) return false;
    return this.#seqs === undefined ? Number.isInteger(seq - this.first) : this.#seqs.has(seq);
  }

  get removed(): ReadonlySet<number> {
    return this.#removed ?? NO_SEQS;
  }

  remove(seq: number): void {
    (this.#removed ??= new Set()).add(seq);
  }

  get live(): number {
    return this.count - (this.#removed?.size ?? 0);
  }

  keyFor(client: string): ChunkKey {
    return [client, this.first, this.last, this.count];
  }
}

interface Tail {
  /** The chunk being assembled: frame and header, then its deliveries (`writeChunkEntry`). */
  bytes: Buffer;
  /** Per delivery: its number, the transaction its own key went into, where it ends in `bytes`. */
  readonly seqs: number[];
  readonly turns: number[];
  readonly ends: number[];
}

/** Deliveries to write as one chunk in place of their keys, oldest first, and the chunk's value. */
export interface Pack {
  readonly seqs: readonly number[];
  readonly value: BinaryValue;
}

export class QueueChunks {
  readonly #chunks = new Map<string, Chunk[]>();
  readonly #tails = new Map<string, Tail>();
  /** The bytes of every tail's buffer, and their bound. */
  #tailBytes = 0;
  readonly #maxTailBytes: number;

  constructor(maxTailBytes = TAILS_BYTES) {
    this.#maxTailBytes = maxTailBytes;
  }

  /** The chunk holding `seq` of `client`, if any. */
  holding(client: string, seq: number): Chunk | undefined {
    const chunks = this.#chunks.get(client);
    if (chunks === undefined) return undefined;
    let lo = 0;
    let hi = chunks.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = chunks[mid] as Chunk;
      if (seq < c.first) hi = mid - 1;
      else if (seq > c.last) lo = mid + 1;
      else return c.holds(seq) ? c : undefined;
    }
    return undefined;
  }

  /** The chunks of `client`, oldest first. */
  chunksOf(client: string): readonly Chunk[] {
    return this.#chunks.get(client) ?? NONE;
  }

  /** Adds a chunk read from the table at open (chunks of a client are added oldest first). */
  addStored(client: string, chunk: Chunk): void {
    let chunks = this.#chunks.get(client);
    if (chunks === undefined) this.#chunks.set(client, (chunks = []));
    chunks.push(chunk);
  }

  /**
   * Takes note of a delivery just written under its own key for a disconnected session, in transaction
   * `turn`; `committed` is the last committed transaction. Returns the deliveries to pack now, if they make
   * a chunk: the oldest ones of the tail, as many as a page takes, once all of them are committed (a
   * delivery not yet stored is never packed: should its transaction fail, the chunk would bring it back).
   */
  append(client: string, seq: number, frame: Buffer, turn: number, committed: number): Pack | undefined {
    const bytes = chunkEntryBytes(frame);
    if (!Number.isInteger(seq) || EMPTY_CHUNK_BYTES + bytes > CHUNK_BYTES) {
      // Not packed (a chunk's numbers are whole, and a record this large fills pages by itself): the tail ends.
      this.dropTail(client);
      return undefined;
    }
    let tail = this.#tails.get(client);
    if (tail === undefined) {
      if (this.#tailBytes + FIRST_TAIL_BYTES > this.#maxTailBytes) return undefined;
      tail = { bytes: Buffer.allocUnsafeSlow(FIRST_TAIL_BYTES), seqs: [], turns: [], ends: [] };
      this.#tailBytes += FIRST_TAIL_BYTES;
      this.#tails.set(client, tail);
    }
    const used = tail.ends.length === 0 ? EMPTY_CHUNK_BYTES : (tail.ends[tail.ends.length - 1] as number);
    if (used + bytes > tail.bytes.length && !this.#grow(tail, used, used + bytes)) {
      // Two pages of deliveries to one session not committed yet (a burst), or no room: these stay one key each.
      this.dropTail(client);
      return undefined;
    }
    tail.seqs.push(seq);
    tail.turns.push(turn);
    tail.ends.push(writeChunkEntry(tail.bytes, used, seq, frame));
    return packable(tail, committed);
  }

  /** Doubles the buffer of `tail` (`used` bytes of it) until it takes `needed`: false past a tail's or all tails' bound. */
  #grow(tail: Tail, used: number, needed: number): boolean {
    let size = tail.bytes.length;
    while (size < needed && size < TAIL_BYTES) size = Math.min(size * 2, TAIL_BYTES);
    if (needed > size || this.#tailBytes - tail.bytes.length + size > this.#maxTailBytes) return false;
    const bytes = Buffer.allocUnsafeSlow(size);
    tail.bytes.copy(bytes, 0, 0, used);
    this.#tailBytes += size - tail.bytes.length;
    tail.bytes = bytes;
    return true;
  }

  /** Records the chunk of `pack`, written in transaction `turn`. */
  packed(client: string, pack: Pack, turn: number): Chunk {
    const { seqs } = pack;
    const chunk = new Chunk(seqs[0] as number, seqs[seqs.length - 1] as number, seqs.length, seqs, turn);
    this.addStored(client, chunk);
    return chunk;
  }

  /** A delivery of the tail removed before it was packed: the tail ends there (a chunk has no gaps). */
  removedFromTail(client: string, seq: number): void {
    const tail = this.#tails.get(client);
    if (tail !== undefined && tail.seqs.includes(seq)) this.dropTail(client);
  }

  /** Forgets the tail of `client`: those deliveries stay one key each. */
  dropTail(client: string): void {
    const tail = this.#tails.get(client);
    if (tail === undefined) return;
    this.#tailBytes -= tail.bytes.length;
    this.#tails.delete(client);
  }

  /** A chunk whose deliveries are all removed, or whose write failed: it is no longer stored. */
  deleteChunk(client: string, chunk: Chunk): void {
    const chunks = this.#chunks.get(client);
    if (chunks === undefined) return;
    const at = chunks.indexOf(chunk);
    if (at >= 0) chunks.splice(at, 1);
    if (chunks.length === 0) this.#chunks.delete(client);
  }

  /**
   * A write failed: in transaction `turn` (its chunks were not stored), or on its own (`undefined`: a
   * synchronous write, which wrote nothing). Every tail is dropped: it may hold a delivery that was not stored.
   */
  failed(turn: number | undefined): void {
    if (turn !== undefined)
      for (const [client, chunks] of [...this.#chunks])
        for (const c of chunks.filter((c) => c.turn === turn)) this.deleteChunk(client, c);
    this.#tails.clear();
    this.#tailBytes = 0;
  }

  /** Everything of `client` (its session was replaced or deleted). */
  forget(client: string): void {
    this.dropTail(client);
    this.#chunks.delete(client);
  }
}

/**
 * The oldest deliveries of `tail` to pack now, taken out of it: once the first delivery a page cannot take
 * is there and every one before it is committed.
 */
function packable(tail: Tail, committed: number): Pack | undefined {
  const { ends, turns } = tail;
  let n = 0;
  while (n < ends.length && (ends[n] as number) <= CHUNK_BYTES) n++;
  if (n === ends.length || n === 0 || (turns[n - 1] as number) > committed) return undefined;
  const length = ends[n - 1] as number;
  const value = chunkValue(tail.bytes, length, n);
  // The rest moves to the front.
  const shift = length - EMPTY_CHUNK_BYTES;
  tail.bytes.copy(tail.bytes, EMPTY_CHUNK_BYTES, length, ends[ends.length - 1]);
  const seqs = tail.seqs.splice(0, n);
  turns.splice(0, n);
  ends.splice(0, n);
  for (let i = 0; i < ends.length; i++) ends[i] = (ends[i] as number) - shift;
  return { seqs, value };
}

const NONE: readonly Chunk[] = [];
const NO_SEQS: ReadonlySet<number> = new Set();
