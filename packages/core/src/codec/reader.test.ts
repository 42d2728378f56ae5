import { describe, expect, it } from 'vitest';
import type { CodecError } from './errors.js';
import { Reader } from './reader.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s/g, ''), 'hex');

/** A reader over `bytes` with one extra byte after `end`, which no read may touch. */
function over(bytes: string): Reader {
  const body = hex(bytes);
  const reader = new Reader();
  reader.reset(Buffer.concat([body, hex('ee')]), 0, body.length);
  return reader;
}

const malformed = (): CodecError =>
  expect.objectContaining({ code: 'CODEC_MALFORMED', reasonCode: 0x81 }) as CodecError;

describe('Reader', () => {
  it('reads integers big-endian, four-byte ones unsigned', () => {
    const r = over('01 02 03 04 05 06 07 ff ff ff ff 80 01');
    expect([r.u8(), r.u16(), r.u32(), r.u32(), r.varint()]).toEqual([1, 0x0203, 0x04050607, 0xffffffff, 128]);
    expect(r.pos).toBe(r.end);
  });

  it.each([
    ['u8', '', (r: Reader) => r.u8()],
    ['u16', '01', (r: Reader) => r.u16()],
    ['u32', '01 02 03', (r: Reader) => r.u32()],
    ['varint', '80', (r: Reader) => r.varint()],
    ['utf8 length', '00', (r: Reader) => r.utf8()],
    ['utf8 bytes', '00 02 61', (r: Reader) => r.utf8()],
    ['binary bytes', '00 03 01 02', (r: Reader) => r.binary()],
    ['topic name bytes', '00 02 61', (r: Reader) => r.topicName()],
  ])('reports %s past the end as malformed instead of reading the next byte', (_title, bytes, read) => {
    expect(() => read(over(bytes))).toThrow(malformed());
  });

  it('returns binary data as a view on the frame', () => {
    const r = over('00 02 aa bb');
    const data = r.binary();
    expect(data.toString('hex')).toBe('aabb');
    expect(data.buffer).toBe(r.buffer.buffer);
  });

  it('reads topic names, ASCII and not', () => {
    expect(over('00 03 61 2f 62').topicName()).toBe('a/b');
    expect(over('00 04 c3 a9 2f 62').topicName()).toBe('é/b');
    expect(over('00 00').topicName()).toBe('');
  });

  it.each(['00 01 2b', '00 03 61 2f 23', '00 03 c3 a9 23', '00 04 c3 a9 2b 61'])(
    '[MQTT-3.3.2-2] rejects the wildcard topic name %s',
    (bytes) => {
      expect(() => over(bytes).topicName()).toThrow(
        expect.objectContaining({ reasonCode: 0x90, specRule: 'MQTT-3.3.2-2' }) as CodecError,
      );
    },
  );

  it('[MQTT-1.5.3-2] rejects U+0000 in a topic name', () => {
    expect(() => over('00 02 61 00').topicName()).toThrow(
      expect.objectContaining({ specRule: 'MQTT-1.5.3-2' }) as CodecError,
    );
  });

  it('release drops the frame reference', () => {
    const r = over('01');
    r.release();
    expect(r.buffer.length).toBe(0);
  });
});
