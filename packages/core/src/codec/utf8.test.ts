import { describe, expect, it } from 'vitest';
import type { CodecError } from './errors.js';
import { decodeUtf8, utf8Length, writeUtf8 } from './utf8.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s/g, ''), 'hex');

function decode(bytes: Buffer): string {
  // Surrounding bytes prove that only [start, end) is read.
  const framed = Buffer.concat([hex('ff'), bytes, hex('ff')]);
  return decodeUtf8(framed, 1, 1 + bytes.length);
}

function rejection(specRule: string): CodecError {
  return expect.objectContaining({ code: 'CODEC_MALFORMED', reasonCode: 0x81, specRule }) as CodecError;
}

describe('decodeUtf8', () => {
  it('decodes ASCII, the empty string and 2-, 3- and 4-byte characters', () => {
    for (const text of ['', 'a/b/c', 'é', 'Grüße/温度', '€', '😀 emoji', '\u007f\u0001', '\uffff']) {
      expect(decode(Buffer.from(text, 'utf8'))).toBe(text);
    }
  });

  it('[MQTT-1.5.3-2] rejects U+0000 on the ASCII path and after a non-ASCII character', () => {
    expect(() => decode(hex('61 00 62'))).toThrow(rejection('MQTT-1.5.3-2'));
    expect(() => decode(hex('00'))).toThrow(rejection('MQTT-1.5.3-2'));
    expect(() => decode(hex('c3 a9 00'))).toThrow(rejection('MQTT-1.5.3-2'));
  });

  it.each([
    ['an overlong "/" (C0 AF)', 'c0 af'],
    ['an overlong NUL (C0 80)', 'c0 80'],
    ['an overlong 3-byte form (E0 80 AF)', 'e0 80 af'],
    ['an overlong 4-byte form (F0 80 80 AF)', 'f0 80 80 af'],
    ['the high surrogate U+D800 (ED A0 80)', 'ed a0 80'],
    ['the low surrogate U+DFFF (ED BF BF)', 'ed bf bf'],
    ['a CESU-8 surrogate pair', 'ed a0 bd ed b8 80'],
    ['a code point above U+10FFFF', 'f4 90 80 80'],
    ['a lone continuation byte', '80'],
    ['a truncated 2-byte sequence', 'c3'],
    ['a truncated 4-byte sequence', 'f0 9f 98'],
    ['a bad continuation', 'c3 28'],
    ['byte FF', '61 ff'],
  ])('[MQTT-1.5.3-1] rejects %s', (_title, bytes) => {
    expect(() => decode(hex(bytes))).toThrow(rejection('MQTT-1.5.3-1'));
  });
});

describe('utf8Length', () => {
  it('counts 1, 2, 3 and 4 bytes per character', () => {
    for (const text of ['', 'abc', 'é', '€', '😀', 'a€😀é', 'x'.repeat(1000)]) {
      expect(utf8Length(text)).toBe(Buffer.byteLength(text, 'utf8'));
    }
  });

  it('[MQTT-1.5.3-2] refuses U+0000', () => {
    expect(() => utf8Length('a\u0000')).toThrow(
      expect.objectContaining({ code: 'CODEC_UNENCODABLE', specRule: 'MQTT-1.5.3-2' }) as CodecError,
    );
  });

  it.each([
    ['a high surrogate at the end', 'a\ud800'],
    ['a high surrogate before a normal character', '\ud83db'],
    ['a lone low surrogate', '\udc00a'],
    ['two high surrogates', '\ud800\ud800'],
  ])('[MQTT-1.5.3-1] refuses %s', (_title, text) => {
    expect(() => utf8Length(text)).toThrow(
      expect.objectContaining({ code: 'CODEC_UNENCODABLE', specRule: 'MQTT-1.5.3-1' }) as CodecError,
    );
  });
});

describe('writeUtf8', () => {
  it.each([
    ['a short ASCII string (JS loop)', 'a/b'],
    ['a long ASCII string (native writer)', 'topic/'.repeat(20)],
    ['a short non-ASCII string', 'aé😀'],
    ['a long non-ASCII string', 'é'.repeat(40)],
    ['the empty string', ''],
  ])('writes %s with its two-byte length', (_title, text) => {
    const expected = Buffer.byteLength(text);
    const buffer = Buffer.alloc(expected + 4, 0xee);
    const end = writeUtf8(buffer, 1, text);
    expect(end).toBe(1 + 2 + expected);
    expect(buffer.readUInt16BE(1)).toBe(expected);
    expect(buffer.toString('utf8', 3, end)).toBe(text);
    expect(buffer[0]).toBe(0xee);
    expect(buffer[end]).toBe(0xee);
  });

  it('writes a 65,535-byte string', () => {
    const text = 'x'.repeat(65_535);
    const buffer = Buffer.alloc(65_537);
    expect(writeUtf8(buffer, 0, text)).toBe(65_537);
    expect(buffer.readUInt16BE(0)).toBe(65_535);
  });
});
