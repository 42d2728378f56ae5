import { malformed } from './fail.js';

/** The largest value a variable byte integer can hold (four bytes) [MQTT-1.5.5]. */
export const MAX_VARINT = 268_435_455;

export function varintLength(value: number): number {
  return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
}

/** Writes `value` (0..MAX_VARINT, checked by the caller) and returns the end offset. */
export function writeVarint(buffer: Buffer, offset: number, value: number): number {
  while (value > 127) {
    buffer[offset++] = (value & 127) | 128;
    value >>>= 7;
  }
  buffer[offset++] = value;
  return offset;
}

/**
 * Reads a variable byte integer starting at `offset`, never past `end`.
 *
 * Returns -1 when the bytes before `end` do not finish it (the stream decoder waits for more, a frame
 * reader reports a malformed packet), else the value and its size packed into one small integer so the
 * hot path allocates nothing: read them with `varintValue` and `varintSize`.
 * Throws a malformed-packet CodecError for a fifth byte or a non-minimal encoding [MQTT-1.5.5-1].
 */
export function readVarint(buffer: Buffer, offset: number, end: number): number {
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < 4; i++) {
    if (offset + i >= end) return -1;
    const byte = buffer[offset + i] as number;
    value += (byte & 127) * multiplier;
    if (byte < 128) {
      // A zero in the last byte of a longer encoding adds nothing: a shorter encoding existed.
      if (byte === 0 && i > 0) malformed('variable byte integer is not minimally encoded', 'MQTT-1.5.5-1');
      return (value << 2) | i;
    }
    multiplier *= 128;
  }
  return malformed('variable byte integer is longer than 4 bytes');
}

export function varintValue(packed: number): number {
  return packed >>> 2;
}

export function varintSize(packed: number): number {
  return (packed & 3) + 1;
}
