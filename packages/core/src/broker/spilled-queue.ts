import type { QoS } from '../codec/packets.js';

/** What the queue keeps of one entry whose message lives only in the store. */
export interface SpilledEntry {
  readonly seq: number;
  readonly qos: QoS;
  readonly bytes: number;
}

/**
 * The part of a persistent session's queue that lives only in the store (offline queues on disk)
 * : per entry its store key (`seq`), QoS and byte count, in typed arrays, 13 bytes an entry and
 * no object, so a million queued messages cost about 13 MB of heap and the drop policy can still find the
 * oldest message of a QoS without reading the store. Entries are kept in queue order (seq ascending).
 *
 * Entries occupy `[head, head + length)` of the arrays: taking the oldest is `head++`, appending writes at
 * the end, and the arrays are compacted or grown when the end is reached.
 */
export class SpilledQueue {
  #seq = new Float64Array(16);
  #qos = new Uint8Array(16);
  #bytes = new Uint32Array(16);
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** The `i`th oldest entry's store key (0 = the oldest). */
  seqAt(i: number): number {
    return this.#seq[this.#head + i] ?? -1;
  }

  qosAt(i: number): QoS {
    return (this.#qos[this.#head + i] ?? 0) as QoS;
  }

  bytesAt(i: number): number {
    return this.#bytes[this.#head + i] ?? 0;
  }

  /** The newest entry's store key; -1 when empty. */
  get lastSeq(): number {
    return this.#length === 0 ? -1 : this.seqAt(this.#length - 1);
  }

  push(seq: number, qos: QoS, bytes: number): void {
    if (this.#head + this.#length === this.#seq.length) this.#makeRoom(1);
    const at = this.#head + this.#length;
    this.#seq[at] = seq;
    this.#qos[at] = qos;
    this.#bytes[at] = bytes;
    this.#length++;
  }

  /** Puts entries (older than every entry held, in queue order) in front of the queue. */
  prepend(entries: readonly SpilledEntry[]): void {
    const n = entries.length;
    if (n === 0) return;
    if (this.#head < n) {
      // Room in front: move what is held back by n (growing the arrays when they are too small).
      const needed = this.#length + n;
      const size = this.#seq.length >= needed ? this.#seq.length : capacityFor(needed);
      const seq = new Float64Array(size);
      const qos = new Uint8Array(size);
      const bytes = new Uint32Array(size);
      const from = this.#head;
      const to = from + this.#length;
      seq.set(this.#seq.subarray(from, to), n);
      qos.set(this.#qos.subarray(from, to), n);
      bytes.set(this.#bytes.subarray(from, to), n);
      this.#seq = seq;
      this.#qos = qos;
      this.#bytes = bytes;
      this.#head = n;
    }
    this.#head -= n;
    this.#length += n;
    for (let i = 0; i < n; i++) {
      const e = entries[i];
      if (e === undefined) continue;
      const at = this.#head + i;
      this.#seq[at] = e.seq;
      this.#qos[at] = e.qos;
      this.#bytes[at] = e.bytes;
    }
  }

  /** Removes the oldest entry. */
  shift(): void {
    if (this.#length === 0) return;
    this.#head++;
    if (--this.#length === 0) this.#head = 0;
  }

  /** Removes the `i`th oldest entry, keeping the order of the others. */
  removeAt(i: number): void {
    if (i < 0 || i >= this.#length) return;
    if (i === 0) {
      this.shift();
      return;
    }
    const at = this.#head + i;
    const end = this.#head + this.#length;
    this.#seq.copyWithin(at, at + 1, end);
    this.#qos.copyWithin(at, at + 1, end);
    this.#bytes.copyWithin(at, at + 1, end);
    this.#length--;
  }

  /** Position of the oldest entry of `qos`; -1 if none. */
  indexOfQos(qos: QoS): number {
    const q = this.#qos;
    const from = this.#head;
    const end = from + this.#length;
    for (let at = from; at < end; at++) if (q[at] === qos) return at - from;
    return -1;
  }

  clear(): void {
    this.#head = 0;
    this.#length = 0;
    if (this.#seq.length > 1024) {
      // A long queue drained: give its arrays back.
      this.#seq = new Float64Array(16);
      this.#qos = new Uint8Array(16);
      this.#bytes = new Uint32Array(16);
    }
  }

  /** Makes room for `n` more entries at the end: compacts when half the arrays is free space in front, else grows. */
  #makeRoom(n: number): void {
    const needed = this.#length + n;
    const from = this.#head;
    const to = from + this.#length;
    if (this.#head > 0 && needed <= this.#seq.length / 2) {
      this.#seq.copyWithin(0, from, to);
      this.#qos.copyWithin(0, from, to);
      this.#bytes.copyWithin(0, from, to);
    } else {
      const size = capacityFor(needed);
      const seq = new Float64Array(size);
      const qos = new Uint8Array(size);
      const bytes = new Uint32Array(size);
      seq.set(this.#seq.subarray(from, to));
      qos.set(this.#qos.subarray(from, to));
      bytes.set(this.#bytes.subarray(from, to));
      this.#seq = seq;
      this.#qos = qos;
      this.#bytes = bytes;
    }
    this.#head = 0;
  }
}

function capacityFor(n: number): number {
  let size = 16;
  while (size < n) size *= 2;
  return size;
}
