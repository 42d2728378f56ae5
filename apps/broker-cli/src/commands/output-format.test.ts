import { describe, expect, it } from 'vitest';
import { formatMessage, messageJson } from './output-format.js';

const m = { topic: 'a/b', payload: Buffer.from('hello world'), qos: 1, retain: true, dup: false } as const;
const at = new Date('2026-12-05T02:29:43.686Z');

describe('midge sub -F', () => {
  it("prints mosquitto_sub's tokens", () => {
    expect(formatMessage('%t|%p|%q|%r|%l|%x|%X|%%|%z', m, at).toString()).toBe(
      'a/b|hello world|1|1|11|68656c6c6f20776f726c64|68656C6C6F20776F726C64|%|%z',
    );
  });

  it('turns \\n, \\t, \\\\ and \\0 into their characters, adding no newline of its own', () => {
    expect(formatMessage('%t\\t%p\\n\\\\\\0\\q', m, at)).toEqual(Buffer.from('a/b\thello world\n\\\0\\q'));
  });

  it('keeps a binary payload byte for byte', () => {
    const bin = { ...m, payload: Buffer.from([0, 0xff, 0x80]) };
    expect(formatMessage('[%p]', bin, at)).toEqual(Buffer.from([0x5b, 0, 0xff, 0x80, 0x5d]));
  });

  it('prints times as mosquitto_sub does', () => {
    expect(formatMessage('%I %U', m, at).toString()).toBe('2026-12-05T02:29:43+0000 1796437783.686000000');
  });

  it('prints %j as mosquitto_sub does, with hex for a payload that is not UTF-8', () => {
    expect(JSON.parse(messageJson(m, at))).toEqual({
      tst: '2026-12-05T02:29:43.686000Z+0000',
      topic: 'a/b',
      qos: 1,
      retain: 1,
      payloadlen: 11,
      payload: 'hello world',
    });
    expect(JSON.parse(messageJson({ ...m, payload: Buffer.from([0xff]) }, at))).toMatchObject({ payloadhex: 'ff' });
  });
});
