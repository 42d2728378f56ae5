import { malformed, topicNameInvalid } from './fail.js';
import { decodeUtf8 } from './utf8.js';
import { internals } from './buffer-internals.js';
import { readVarint, varintSize, varintValue } from './varint.js';

const EMPTY = Buffer.alloc(0);

/**
 * A bounds-checked cursor over one frame. Every read checks against `end` and reports a malformed
 * packet instead of reading past it, so no byte sequence can raise a RangeError.
 *
 * Decoding is synchronous and never calls out, so one shared instance serves every decoder.
 *
 * Byte reads below a checked `end` are typed `as number` (in the codec's other per-byte loops too):
 * such an index is always defined, and a second runtime test per byte (`=== undefined`, `readUInt8`)
 * cost 4-10 % of decode throughput (bench/codec, in-process A/B).
 */
export class Reader {
  buffer: Buffer = EMPTY;
  pos = 0;
  end = 0;

  reset(buffer: Buffer, pos: number, end: number): void {
    this.buffer = buffer;
    this.pos = pos;
    this.end = end;
  }

  /** Drops the reference to the frame so a shared reader does not keep a socket chunk alive. */
  release(): void {
    this.buffer = EMPTY;
  }

  u8(): number {
    const pos = this.pos;
    if (pos >= this.end) pastEnd();
    this.pos = pos + 1;
    return this.buffer[pos] as number;
  }

  u16(): number {
    const pos = this.pos;
    if (pos + 2 > this.end) pastEnd();
    this.pos = pos + 2;
    const b = this.buffer;
    return ((b[pos] as number) << 8) | (b[pos + 1] as number);
  }

  u32(): number {
    const pos = this.pos;
    if (pos + 4 > this.end) pastEnd();
    this.pos = pos + 4;
    return this.buffer.readUInt32BE(pos);
  }

  varint(): number {
    const packed = readVarint(this.buffer, this.pos, this.end);
    if (packed < 0) pastEnd();
    this.pos += varintSize(packed);
    return varintValue(packed);
  }

  /** A two-byte length, then that many bytes of MQTT UTF-8 string. */
  utf8(): string {
    const start = this.lengthPrefixed();
    return decodeUtf8(this.buffer, start, this.pos);
  }

  /** A two-byte length, then that many bytes, as a view on the frame (no copy). */
  binary(): Buffer {
    const start = this.lengthPrefixed();
    return this.buffer.subarray(start, this.pos);
  }

  /** A PUBLISH (or response) topic name: an MQTT string without the + and # wildcards [MQTT-3.3.2-2]. */
  topicName(): string {
    const start = this.lengthPrefixed();
    const end = this.pos;
    const b = this.buffer;
    // One pass for the common ASCII topic: wildcard, U+0000 and non-ASCII checks together.
    for (let i = start; i < end; i++) {
      const c = b[i] as number;
      if (c === 0x2b || c === 0x23) wildcard();
      if (c === 0 || c >= 0x80) return nonAsciiTopic(b, start, end, i);
    }
    return internals(b).latin1Slice(start, end);
  }

  /** Advances past a two-byte length and its bytes; returns where they start. */
  private lengthPrefixed(): number {
    const pos = this.pos;
    if (pos + 2 > this.end) pastEnd();
    const b = this.buffer;
    const start = pos + 2;
    const end = start + (((b[pos] as number) << 8) | (b[pos + 1] as number));
    if (end > this.end) pastEnd();
    this.pos = end;
    return start;
  }
}

function nonAsciiTopic(b: Buffer, start: number, end: number, from: number): string {
  // UTF-8 multi-byte sequences use only bytes >= 0x80, so an ASCII + or # byte is always the character.
  for (let i = from; i < end; i++) {
    const c = b[i];
    if (c === 0x2b || c === 0x23) wildcard();
  }
  return decodeUtf8(b, start, end);
}

function wildcard(): never {
  return topicNameInvalid('a topic name must not contain the wildcards + or #', 'MQTT-3.3.2-2');
}

function pastEnd(): never {
  return malformed('a length or field runs past the end of the packet');
}
