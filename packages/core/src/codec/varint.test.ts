import { describe, expect, it } from 'vitest';
import type { CodecError } from './errors.js';
import { MAX_VARINT, readVarint, varintLength, varintSize, varintValue, writeVarint } from './varint.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s/g, ''), 'hex');

// Section 2.2.3 (3.1.1) / 1.5.5 (5.0): the boundaries of each encoded size.
const BOUNDARIES: [value: number, encoded: string][] = [
  [0, '00'],
  [127, '7f'],
  [128, '8001'],
  [16_383, 'ff7f'],
  [16_384, '808001'],
  [2_097_151, 'ffff7f'],
  [2_097_152, '80808001'],
  [268_435_455, 'ffffff7f'],
];

describe('variable byte integer', () => {
  it.each(BOUNDARIES)('encodes %i as %s', (value, encoded) => {
    const buffer = Buffer.alloc(6, 0xee);
    const end = writeVarint(buffer, 1, value);
    expect(buffer.subarray(1, end).toString('hex')).toBe(encoded);
    expect(end - 1).toBe(varintLength(value));
    expect(buffer[0]).toBe(0xee);
  });

  it.each(BOUNDARIES)('decodes %i from %s', (value, encoded) => {
    const buffer = Buffer.concat([hex('aa'), hex(encoded), hex('bb')]);
    const packed = readVarint(buffer, 1, buffer.length);
    expect(varintValue(packed)).toBe(value);
    expect(varintSize(packed)).toBe(encoded.length / 2);
  });

  it('MAX_VARINT is the four-byte maximum', () => {
    expect(MAX_VARINT).toBe(268_435_455);
  });

  it('returns -1 when the bytes before end do not finish the integer', () => {
    expect(readVarint(hex('80 80'), 0, 2)).toBe(-1);
    expect(readVarint(hex(''), 0, 0)).toBe(-1);
    // The end bound wins over the buffer length.
    expect(readVarint(hex('80 01'), 0, 1)).toBe(-1);
  });

  it('rejects a fifth byte as malformed, even before the fifth byte arrives', () => {
    for (const bytes of ['ff ff ff ff', 'ff ff ff ff 01', '80 80 80 80 00']) {
      const buffer = hex(bytes);
      expect(() => readVarint(buffer, 0, buffer.length)).toThrow(
        expect.objectContaining({ code: 'CODEC_MALFORMED', reasonCode: 0x81 }) as CodecError,
      );
    }
  });

  it.each(['80 00', 'ff 80 00', '80 80 80 00'])('[MQTT-1.5.5-1] rejects the non-minimal encoding %s', (bytes) => {
    const buffer = hex(bytes);
    expect(() => readVarint(buffer, 0, buffer.length)).toThrow(
      expect.objectContaining({ reasonCode: 0x81, specRule: 'MQTT-1.5.5-1' }) as CodecError,
    );
  });
});
