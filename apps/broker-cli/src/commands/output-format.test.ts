import type { ClientMessage } from '@midge/mqtt-core/client';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../args.js';
import { instantOf } from './format-time.js';
import { compileFormat, formatMessage, type RenderContext } from './output-format.js';

const m: ClientMessage = { topic: 'a/b', payload: Buffer.from('hello world'), qos: 1, retain: true, dup: false };
const v5: ClientMessage = {
  ...m,
  packetId: 7,
  properties: {
    payloadFormatIndicator: true,
    messageExpiryInterval: 300,
    contentType: 'text/plain',
    responseTopic: 'replies/1',
    correlationData: Buffer.from('req-1'),
    subscriptionIdentifier: [5],
    topicAlias: 3,
    userProperties: [
      ['unit', 'celsius'],
      ['unit', 'kelvin'],
    ],
  },
};
const at = new Date('2026-12-05T02:29:43.686Z');
const render = (format: string, msg: ClientMessage = m, ctx?: RenderContext): string =>
  compileFormat(format).render(msg, instantOf(at), ctx).toString();

const savedTz = process.env.TZ;
afterEach(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

describe('midge sub -F', () => {
  it("prints mosquitto_sub's message tokens", () => {
    expect(render('%t|%p|%q|%r|%l|%m|%x|%X|%%', v5)).toBe(
      'a/b|hello world|1|1|11|7|68656c6c6f20776f726c64|68656C6C6F20776F726C64|%',
    );
    // QoS 0 messages have no id: mosquitto_sub prints 0.
    expect(render('%m', { ...m, qos: 0 })).toBe('0');
  });

  it('prints the MQTT 5 properties, and nothing for an absent one', () => {
    expect(render('%A|%C|%D|%E|%F|%P|%R|%S', v5)).toBe('3|text/plain|req-1|300|1|unit:celsius unit:kelvin|replies/1|5');
    expect(render('%A|%C|%D|%E|%F|%P|%R|%S')).toBe('|||||||');
  });

  it('applies flags, widths and maximum widths as mosquitto_sub does', () => {
    expect(render('[%10t][%-10t][%5.2t][%.2t][%06l][%-6l][%-06l][%06t]')).toBe(
      '[       a/b][a/b       ][   a/][a/][000011][11    ][11    ][   a/b]',
    );
    // %p: the width is a maximum too; %q and %r ignore it.
    expect(render('[%5p][%013p][%-13p][%3q][%3r]')).toBe('[hello][00hello world][hello world  ][1][1]');
    expect(render('[%24x]', { ...m, payload: Buffer.from('ab') })).toBe('[                    6162]');
    // An absent property: padding for %C %F %S %A, nothing for %E %R %D (mosquitto_sub 2.0's output).
    expect(render('[%4C][%04F][%4S][%4A][%4E][%4R][%4D]')).toBe('[    ][0000][    ][    ][][][]');
  });

  it('turns \\n, \\t, \\a, \\e, \\\\ and \\0 into their characters, adding no newline of its own', () => {
    expect(compileFormat('%t\\t%p\\n\\\\\\0\\a\\e').render(m)).toEqual(Buffer.from('a/b\thello world\n\\\0\x07\x1b'));
  });

  it('keeps a binary payload byte for byte', () => {
    const bin = { ...m, payload: Buffer.from([0, 0xff, 0x80]) };
    expect(formatMessage('[%p]', bin, at)).toEqual(Buffer.from([0x5b, 0, 0xff, 0x80, 0x5d]));
  });

  it('prints times in local time, as mosquitto_sub does', () => {
    process.env.TZ = 'UTC';
    expect(render('%I %U')).toBe('2026-12-05T02:29:43+0000 1796437783.686000000');
    expect(render('@Y-@m-@d @H:@M:@S @z @s @N @@ @F @T @j @a @b')).toBe(
      '2026-12-05 02:29:43 +0000 1796437783 686000000 @ 2026-12-05 02:29:43 339 Sat Dec',
    );
    process.env.TZ = 'Asia/Kolkata';
    expect(render('%I|@H:@M')).toBe('2026-12-05T07:59:43+0530|07:59');
  });

  it('prints %j and %J as mosquitto_sub does, with the MQTT 5 properties', () => {
    process.env.TZ = 'UTC';
    expect(render('%j', v5)).toBe(
      '{"tst":"2026-12-05T02:29:43.686000Z+0000","topic":"a/b","qos":1,"retain":1,"payloadlen":11,"mid":7,' +
        '"properties":{"payload-format-indicator":1,"message-expiry-interval":300,"content-type":"text/plain",' +
        '"response-topic":"replies/1","correlation-data":"req-1","subscription-identifier":5,' +
        '"user-properties":{"unit":"celsius","unit":"kelvin"}},"payload":"hello world"}',
    );
    const json = { ...m, qos: 0 as const, payload: Buffer.from('{"t": 27.0, "l": [1, 2]}') };
    expect(render('%J', json)).toBe(
      '{"tst":"2026-12-05T02:29:43.686000Z+0000","topic":"a/b","qos":0,"retain":1,"payloadlen":24,"payload":{"t":27,"l":[1,2]}}',
    );
    const pretty = { pretty: true, onInvalidJson: () => undefined };
    expect(render('%J', json, pretty)).toBe(
      '{\n\t"tst":\t"2026-12-05T02:29:43.686000Z+0000",\n\t"topic":\t"a/b",\n\t"qos":\t0,\n\t"retain":\t1,\n' +
        '\t"payloadlen":\t24,\n\t"payload":\t{\n\t\t"t":\t27,\n\t\t"l":\t[1, 2]\n\t}\n}',
    );
  });

  it('gives a payload that is not UTF-8 as hex in %j, and leaves %J empty for one that is not JSON', () => {
    expect(JSON.parse(render('%j', { ...m, payload: Buffer.from([0xff]) }))).toMatchObject({ payloadhex: 'ff' });
    const bad: string[] = [];
    const ctx = { pretty: false, onInvalidJson: (topic: string) => bad.push(topic) };
    expect(render('[%t|%J|%t]', { ...m, payload: Buffer.from('not json') }, ctx)).toBe('[a/b||a/b]');
    expect(bad).toEqual(['a/b']);
  });

  it('refuses what mosquitto_sub refuses, when the format is read, naming what is known', () => {
    for (const [format, words] of [
      ['%z', "invalid format specifier 'z'"],
      ['%0-6l', "invalid format specifier '-'"],
      ['50%', 'incomplete format specifier'],
      ['%10', 'incomplete format specifier'],
      ['@', 'incomplete format specifier'],
      ['\\q', "invalid escape specifier '\\q'"],
      ['x\\', 'incomplete escape specifier'],
      ['@Q', "unsupported time specifier '@Q'"],
    ] as const) {
      expect(() => compileFormat(format), format).toThrow(UsageError);
      expect(() => compileFormat(format), format).toThrow(words);
    }
  });
});
