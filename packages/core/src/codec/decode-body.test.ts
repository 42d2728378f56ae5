import { describe, expect, it } from 'vitest';
import type { ProtocolVersion } from './packets.js';
import { CodecError } from './errors.js';
import { decodePacket } from './decoder.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/[\s|]/g, ''), 'hex');

interface Expected {
  code?: string;
  reasonCode: number;
  specRule?: string;
}

function rejects(wire: string, version: ProtocolVersion, expected: Expected): void {
  let thrown: unknown;
  try {
    decodePacket(hex(wire), version);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(CodecError);
  expect(thrown).toMatchObject(expected);
}

const MALFORMED = { code: 'CODEC_MALFORMED', reasonCode: 0x81 };
const PROTOCOL = { code: 'CODEC_PROTOCOL', reasonCode: 0x82 };
const V3_V4: ProtocolVersion[] = [3, 4];
const ALL: ProtocolVersion[] = [3, 4, 5];

describe('fixed header', () => {
  it.each([
    ['CONNECT', '11 0c 00 04 4d 51 54 54 04 02 00 00 00 00'],
    ['CONNACK', '21 02 00 00'],
    ['PUBACK', '48 02 00 01'],
    ['PUBREC', '52 02 00 01'],
    ['PUBREL 0000', '60 02 00 01'],
    ['PUBCOMP', '71 02 00 01'],
    ['SUBSCRIBE 0000', '80 06 00 01 00 01 61 00'],
    ['SUBACK', '94 03 00 01 00'],
    ['UNSUBSCRIBE 0011', 'a3 05 00 01 00 01 61'],
    ['UNSUBACK', 'b8 02 00 01'],
    ['PINGREQ', 'c2 00'],
    ['PINGRESP', 'd1 00'],
    ['DISCONNECT', 'e8 00'],
  ])('[MQTT-2.2.2-1] rejects reserved flags on %s', (_title, wire) => {
    for (const version of V3_V4) rejects(wire, version, { ...MALFORMED, specRule: 'MQTT-2.2.2-1' });
  });

  it('[MQTT-2.2.2-1] rejects reserved flags on AUTH', () => {
    rejects('f4 00', 5, { ...MALFORMED, specRule: 'MQTT-2.2.2-1' });
  });

  it.each(ALL)('rejects the reserved packet type 0 (level %i)', (version) => {
    rejects('00 00', version, MALFORMED);
  });

  it.each(V3_V4)('rejects AUTH before MQTT 5 (level %i)', (version) => {
    rejects('f0 00', version, MALFORMED);
  });
});

describe('PUBLISH', () => {
  it('decodes every flag and keeps optional fields absent', () => {
    expect(decodePacket(hex('30 05 00 01 74 68 69'), 4)).toStrictEqual({
      type: 'publish',
      topic: 't',
      payload: Buffer.from('hi'),
      qos: 0,
      retain: false,
      dup: false,
    });
    expect(decodePacket(hex('3d 06 00 01 74 ff ff 78'), 4)).toStrictEqual({
      type: 'publish',
      topic: 't',
      payload: Buffer.from('x'),
      qos: 2,
      retain: true,
      dup: true,
      packetId: 0xffff,
    });
    expect(decodePacket(hex('32 09 00 01 74 00 01 03 23 00 09'), 5)).toStrictEqual({
      type: 'publish',
      topic: 't',
      payload: Buffer.alloc(0),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 1,
      properties: { topicAlias: 9 },
    });
  });

  it('returns the payload as a view on the frame', () => {
    const frame = hex('30 05 00 01 74 68 69');
    const packet = decodePacket(frame, 4);
    expect(packet.type === 'publish' && packet.payload.buffer).toBe(frame.buffer);
  });

  it.each(ALL)('[MQTT-3.3.1-4] rejects QoS 3 (level %i)', (version) => {
    rejects('36 05 00 01 74 00 01', version, { ...MALFORMED, specRule: 'MQTT-3.3.1-4' });
  });

  it.each(ALL)('[MQTT-3.3.1-2] rejects DUP on QoS 0 (level %i)', (version) => {
    rejects('38 03 00 01 74', version, { ...MALFORMED, specRule: 'MQTT-3.3.1-2' });
  });

  it.each([
    ['+', '00 01 2b'],
    ['a/#', '00 03 61 2f 23'],
    ['é/+ (non-ASCII path)', '00 04 c3 a9 2f 2b'],
    ['é# (non-ASCII path)', '00 03 c3 a9 23'],
  ])('[MQTT-3.3.2-2] rejects the wildcard topic %s with Topic Name invalid', (_title, topic) => {
    const body = hex(topic);
    const wire = Buffer.concat([Buffer.from([0x30, body.length]), body]).toString('hex');
    for (const version of V3_V4)
      rejects(wire, version, { code: 'CODEC_PROTOCOL', reasonCode: 0x90, specRule: 'MQTT-3.3.2-2' });
  });

  it('decodes a non-ASCII topic', () => {
    const packet = decodePacket(hex('30 06 00 04 c3 a9 2f 61'), 4);
    expect(packet).toMatchObject({ topic: 'é/a' });
  });

  it.each(V3_V4)('[MQTT-4.7.3-1] rejects an empty topic (level %i)', (version) => {
    rejects('30 02 00 00', version, { ...PROTOCOL, specRule: 'MQTT-4.7.3-1' });
  });

  it('[MQTT-4.7.3-1] rejects an empty topic without a Topic Alias at level 5, accepts one with it', () => {
    rejects('30 03 00 00 00', 5, { ...PROTOCOL, specRule: 'MQTT-4.7.3-1' });
    rejects('30 0a 00 00 07 26 00 01 61 00 01 62', 5, { ...PROTOCOL, specRule: 'MQTT-4.7.3-1' });
    expect(decodePacket(hex('30 06 00 00 03 23 00 01'), 5)).toMatchObject({ topic: '', properties: { topicAlias: 1 } });
  });

  it.each(ALL)(
    '[MQTT-2.3.1-1] [MQTT-2.2.1-3] packet identifier 0 at QoS 1 and 2 is malformed (level %i)',
    (version) => {
      const tail = version === 5 ? ' 00' : '';
      const length = version === 5 ? '06' : '05';
      rejects(`32 ${length} 00 01 74 00 00${tail}`, version, { ...MALFORMED, specRule: 'MQTT-2.3.1-1' });
      rejects(`34 ${length} 00 01 74 00 00${tail}`, version, { ...MALFORMED, specRule: 'MQTT-2.3.1-1' });
    },
  );

  it('rejects a topic length or packet identifier past the end', () => {
    rejects('30 03 00 05 61', 4, MALFORMED);
    rejects('32 04 00 01 74 00', 4, MALFORMED);
    rejects('30 03 00 01 74', 5, MALFORMED); // no property length
  });

  it('[MQTT-1.5.3-1] [MQTT-1.5.3-2] rejects an invalid UTF-8 topic', () => {
    rejects('30 04 00 02 c0 af', 4, { ...MALFORMED, specRule: 'MQTT-1.5.3-1' });
    rejects('30 04 00 02 61 00', 4, { ...MALFORMED, specRule: 'MQTT-1.5.3-2' });
  });
});

describe('PUBACK, PUBREC, PUBREL, PUBCOMP', () => {
  it.each([
    ['puback', '40'],
    ['pubrec', '50'],
    ['pubrel', '62'],
    ['pubcomp', '70'],
  ])('%s: v3/v4 has only a packet identifier', (type, first) => {
    for (const version of V3_V4) {
      expect(decodePacket(hex(`${first} 02 00 0a`), version)).toStrictEqual({ type, packetId: 10 });
      rejects(`${first} 03 00 0a 00`, version, MALFORMED);
      rejects(`${first} 02 00 00`, version, { ...MALFORMED, specRule: 'MQTT-2.3.1-1' });
    }
  });

  it('v5: remaining length 2 means reason code 0, 3 a reason code without properties', () => {
    expect(decodePacket(hex('40 02 00 0a'), 5)).toStrictEqual({ type: 'puback', packetId: 10, reasonCode: 0 });
    expect(decodePacket(hex('50 03 00 0a 10'), 5)).toStrictEqual({ type: 'pubrec', packetId: 10, reasonCode: 0x10 });
    expect(decodePacket(hex('62 04 00 0a 92 00'), 5)).toStrictEqual({ type: 'pubrel', packetId: 10, reasonCode: 0x92 });
    expect(decodePacket(hex('70 08 00 0a 00 04 1f 00 01 72'), 5)).toStrictEqual({
      type: 'pubcomp',
      packetId: 10,
      reasonCode: 0,
      properties: { reasonString: 'r' },
    });
  });

  it('v5: a defined reason code the packet may not carry is a protocol error, an undefined one malformed', () => {
    rejects('40 03 00 01 92', 5, PROTOCOL);
    rejects('62 03 00 01 10', 5, PROTOCOL);
    rejects('70 03 00 01 80', 5, PROTOCOL);
    rejects('40 03 00 01 05', 5, MALFORMED);
    rejects('50 03 00 01 ff', 5, MALFORMED);
  });

  it('v5: rejects bytes after the properties', () => {
    rejects('40 05 00 01 00 00 ff', 5, MALFORMED);
  });
});

describe('CONNECT', () => {
  const header4 = '00 04 4d 51 54 54 04';

  it('decodes a 3.1.1 CONNECT with will, user name and password, optional fields absent otherwise', () => {
    expect(decodePacket(hex(`10 0c ${header4} 02 00 3c 00 00`), 4)).toStrictEqual({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 60,
      clientId: '',
    });
    const full = decodePacket(
      hex(`10 1b ${header4} ec 00 0a | 00 01 63 | 00 01 77 00 02 62 79 | 00 01 75 | 00 02 70 77`),
      4,
    );
    expect(full).toStrictEqual({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      clean: false,
      keepalive: 10,
      clientId: 'c',
      will: { topic: 'w', payload: Buffer.from('by'), qos: 1, retain: true },
      username: 'u',
      password: Buffer.from('pw'),
    });
  });

  it('decodes 3.1 (MQIsdp, level 3) and 5.0 with properties', () => {
    expect(decodePacket(hex('10 0f 00 06 4d 51 49 73 64 70 03 02 00 00 00 01 61'), 4)).toMatchObject({
      protocolName: 'MQIsdp',
      protocolVersion: 3,
      clientId: 'a',
    });
    expect(decodePacket(hex('10 10 00 04 4d 51 54 54 05 02 00 00 03 21 00 05 00 00'), 4)).toStrictEqual({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      clean: true,
      keepalive: 0,
      clientId: '',
      properties: { receiveMaximum: 5 },
    });
  });

  it('decodes with its own level whatever level it is given', () => {
    for (const version of ALL) {
      expect(decodePacket(hex(`10 0c ${header4} 02 00 00 00 00`), version)).toMatchObject({ protocolVersion: 4 });
    }
  });

  it.each([
    ['"MQTT" with level 3', '00 04 4d 51 54 54 03', 'MQTT-3.1.2-2'],
    ['"MQTT" with level 6', '00 04 4d 51 54 54 06', 'MQTT-3.1.2-2'],
    ['"MQIsdp" with level 4', '00 06 4d 51 49 73 64 70 04', 'MQTT-3.1.2-2'],
    ['"MQIsdp" with level 5', '00 06 4d 51 49 73 64 70 05', 'MQTT-3.1.2-2'],
    ['the name "mqtt"', '00 04 6d 71 74 74 04', 'MQTT-3.1.2-1'],
    ['the name "MQTTX"', '00 05 4d 51 54 54 58 04', 'MQTT-3.1.2-1'],
    ['an empty name', '00 00 04', 'MQTT-3.1.2-1'],
    ['an invalid UTF-8 name', '00 02 c0 af 04', 'MQTT-3.1.2-1'],
  ])('[%s] is an unsupported protocol', (_title, nameAndLevel, specRule) => {
    const body = hex(`${nameAndLevel} 02 00 00 00 00`);
    const wire = Buffer.concat([Buffer.from([0x10, body.length]), body]).toString('hex');
    rejects(wire, 4, { code: 'CODEC_UNSUPPORTED_PROTOCOL', reasonCode: 0x84, specRule });
  });

  it.each([
    ['00 04 4d 51 54 54 06', 6],
    ['00 04 4d 51 54 54 03', 3],
    ['00 06 4d 51 49 73 64 70 04', 4],
    ['00 04 4d 51 54 58 05', undefined],
  ])('an unsupported protocol (%s) carries the level it named: %s', (nameAndLevel, level) => {
    const body = hex(`${nameAndLevel} 02 00 00 00 00`);
    const wire = Buffer.concat([Buffer.from([0x10, body.length]), body]).toString('hex');
    rejects(wire, 4, { code: 'CODEC_UNSUPPORTED_PROTOCOL', reasonCode: 0x84, protocolLevel: level } as Expected);
  });

  it('[MQTT-3.1.2-3] rejects the reserved connect flag', () => {
    rejects(`10 0c ${header4} 03 00 00 00 00`, 4, { ...MALFORMED, specRule: 'MQTT-3.1.2-3' });
    rejects('10 0d 00 04 4d 51 54 54 05 01 00 00 00 00 00', 5, { ...MALFORMED, specRule: 'MQTT-3.1.2-3' });
  });

  it('[MQTT-3.1.2-13] rejects a will QoS without the will flag', () => {
    rejects(`10 0c ${header4} 0a 00 00 00 00`, 4, { ...MALFORMED, specRule: 'MQTT-3.1.2-13' });
    rejects(`10 0c ${header4} 12 00 00 00 00`, 4, { ...MALFORMED, specRule: 'MQTT-3.1.2-13' });
  });

  it('[MQTT-3.1.2-14] rejects will QoS 3', () => {
    rejects(`10 11 ${header4} 1e 00 00 00 00 00 01 77 00 00`, 4, { ...MALFORMED, specRule: 'MQTT-3.1.2-14' });
  });

  it('[MQTT-3.1.2-15] rejects will retain without the will flag', () => {
    rejects(`10 0c ${header4} 22 00 00 00 00`, 4, { ...MALFORMED, specRule: 'MQTT-3.1.2-15' });
  });

  it('[MQTT-3.1.2-22] rejects a password without a user name in 3.1 and 3.1.1, accepts it in 5.0', () => {
    rejects(`10 10 ${header4} 42 00 00 00 00 00 02 70 77`, 4, { ...MALFORMED, specRule: 'MQTT-3.1.2-22' });
    rejects('10 12 00 06 4d 51 49 73 64 70 03 42 00 00 00 00 00 02 70 77', 3, {
      ...MALFORMED,
      specRule: 'MQTT-3.1.2-22',
    });
    expect(decodePacket(hex('10 11 00 04 4d 51 54 54 05 42 00 00 00 00 00 00 02 70 77'), 5)).toMatchObject({
      password: Buffer.from('pw'),
    });
  });

  it('rejects fields past the end and bytes after the last field', () => {
    rejects(`10 0b ${header4} 02 00 00 00`, 4, MALFORMED);
    rejects(`10 0e ${header4} 06 00 00 00 00 00 01`, 4, MALFORMED); // will topic cut
    rejects(`10 0d ${header4} 02 00 00 00 00 ff`, 4, MALFORMED);
    rejects('10 06 00 04 4d 51 54 54', 4, MALFORMED); // no level
  });

  it('reads the v5 will properties before the will topic', () => {
    const wire = '10 19 00 04 4d 51 54 54 05 06 00 00 00 00 00 | 05 18 00 00 00 0a | 00 01 77 00 01 78';
    expect(decodePacket(hex(wire), 5)).toMatchObject({
      will: { topic: 'w', payload: Buffer.from('x'), qos: 0, retain: false, properties: { willDelayInterval: 10 } },
    });
  });
});

describe('CONNACK', () => {
  it('decodes session present and the return or reason code', () => {
    expect(decodePacket(hex('20 02 01 00'), 4)).toStrictEqual({ type: 'connack', sessionPresent: true, reasonCode: 0 });
    expect(decodePacket(hex('20 02 00 05'), 3)).toStrictEqual({
      type: 'connack',
      sessionPresent: false,
      reasonCode: 5,
    });
    expect(decodePacket(hex('20 03 00 84 00'), 5)).toStrictEqual({
      type: 'connack',
      sessionPresent: false,
      reasonCode: 0x84,
    });
  });

  it.each(ALL)('rejects reserved acknowledge flag bits (level %i)', (version) => {
    rejects(version === 5 ? '20 03 02 00 00' : '20 02 80 00', version, MALFORMED);
  });

  it('rejects v3/v4 return codes above 5 and v5 reason codes CONNACK may not carry', () => {
    rejects('20 02 00 06', 4, MALFORMED);
    rejects('20 03 00 10 00', 5, PROTOCOL);
    rejects('20 03 00 ff 00', 5, MALFORMED);
  });

  it('v5 needs the property length', () => {
    rejects('20 02 00 00', 5, MALFORMED);
  });
});

describe('SUBSCRIBE', () => {
  it('decodes v3/v4 entries without and v5 entries with subscription options', () => {
    expect(decodePacket(hex('82 0a 00 01 00 01 61 01 00 01 62 02'), 4)).toStrictEqual({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [
        { topic: 'a', qos: 1 },
        { topic: 'b', qos: 2 },
      ],
    });
    expect(decodePacket(hex('82 07 00 01 00 00 01 61 2d'), 5)).toStrictEqual({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [{ topic: 'a', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 2 }],
    });
  });

  it('[MQTT-3.8.3-3] rejects a SUBSCRIBE without topic filters', () => {
    rejects('82 02 00 01', 4, { ...PROTOCOL, specRule: 'MQTT-3.8.3-3' });
    rejects('82 03 00 01 00', 5, { ...PROTOCOL, specRule: 'MQTT-3.8.3-3' });
  });

  it.each(['03', '04', '40', '80', 'fc'])('[MQTT-3.8.3-4] rejects the v3/v4 requested QoS byte %s', (options) => {
    for (const version of V3_V4)
      rejects(`82 06 00 01 00 01 61 ${options}`, version, { ...MALFORMED, specRule: 'MQTT-3.8.3-4' });
  });

  it('[MQTT-3.8.3-4] rejects v5 QoS 3; [MQTT-3.8.3-5] rejects v5 option bits 6-7', () => {
    rejects('82 07 00 01 00 00 01 61 03', 5, { ...MALFORMED, specRule: 'MQTT-3.8.3-4' });
    rejects('82 07 00 01 00 00 01 61 40', 5, { ...MALFORMED, specRule: 'MQTT-3.8.3-5' });
    rejects('82 07 00 01 00 00 01 61 80', 5, { ...MALFORMED, specRule: 'MQTT-3.8.3-5' });
  });

  it('rejects v5 retain handling 3 as a protocol error', () => {
    rejects('82 07 00 01 00 00 01 61 30', 5, PROTOCOL);
  });

  it('[MQTT-2.3.1-1] [MQTT-2.2.1-3] packet identifier 0 is malformed', () => {
    rejects('82 06 00 00 00 01 61 00', 4, { ...MALFORMED, specRule: 'MQTT-2.3.1-1' });
    rejects('82 07 00 00 00 00 01 61 00', 5, { ...MALFORMED, specRule: 'MQTT-2.3.1-1' });
  });

  it.each(ALL)('[MQTT-4.7.3-1] a zero-length topic filter is a protocol error (level %i)', (version) => {
    const props = version === 5 ? ' 00' : '';
    const len = version === 5 ? '06' : '05';
    rejects(`82 ${len} 00 01${props} 00 00 00`, version, { ...PROTOCOL, specRule: 'MQTT-4.7.3-1' });
    // after a valid filter too
    const len2 = version === 5 ? '0a' : '09';
    rejects(`82 ${len2} 00 01${props} 00 01 61 00 00 00 00`, version, { ...PROTOCOL, specRule: 'MQTT-4.7.3-1' });
  });

  it('rejects a filter without its options byte and an invalid UTF-8 filter', () => {
    rejects('82 05 00 01 00 01 61', 4, MALFORMED);
    rejects('82 06 00 01 00 01 ff 00', 4, { ...MALFORMED, specRule: 'MQTT-1.5.3-1' });
  });
});

describe('SUBACK', () => {
  it('decodes return codes', () => {
    expect(decodePacket(hex('90 06 00 07 00 01 02 80'), 4)).toStrictEqual({
      type: 'suback',
      packetId: 7,
      reasonCodes: [0, 1, 2, 0x80],
    });
    expect(decodePacket(hex('90 05 00 07 00 a2 91'), 5)).toStrictEqual({
      type: 'suback',
      packetId: 7,
      reasonCodes: [0xa2, 0x91],
    });
  });

  it.each(['03', '81', '11'])('[MQTT-3.9.3-2] rejects the v3/v4 return code %s', (code) => {
    for (const version of V3_V4) rejects(`90 03 00 01 ${code}`, version, { ...MALFORMED, specRule: 'MQTT-3.9.3-2' });
  });

  it('rejects v5 reason codes SUBACK may not carry, and an empty list', () => {
    rejects('90 04 00 01 00 10', 5, PROTOCOL);
    rejects('90 04 00 01 00 03', 5, MALFORMED);
    rejects('90 02 00 01', 4, PROTOCOL);
    rejects('90 03 00 01 00', 5, PROTOCOL);
  });
});

describe('UNSUBSCRIBE and UNSUBACK', () => {
  it('decodes UNSUBSCRIBE topic filters', () => {
    expect(decodePacket(hex('a2 0a 00 02 00 01 61 00 03 62 2f 23'), 4)).toStrictEqual({
      type: 'unsubscribe',
      packetId: 2,
      topics: ['a', 'b/#'],
    });
  });

  it('[MQTT-3.10.3-2] rejects an UNSUBSCRIBE without topic filters', () => {
    rejects('a2 02 00 01', 4, { ...PROTOCOL, specRule: 'MQTT-3.10.3-2' });
    rejects('a2 03 00 01 00', 5, { ...PROTOCOL, specRule: 'MQTT-3.10.3-2' });
  });

  it('[MQTT-4.7.3-1] rejects a zero-length topic filter in UNSUBSCRIBE as a protocol error', () => {
    rejects('a2 04 00 01 00 00', 4, { ...PROTOCOL, specRule: 'MQTT-4.7.3-1' });
    rejects('a2 07 00 01 00 01 61 00 00', 3, { ...PROTOCOL, specRule: 'MQTT-4.7.3-1' });
    rejects('a2 05 00 01 00 00 00', 5, { ...PROTOCOL, specRule: 'MQTT-4.7.3-1' });
  });

  it('decodes UNSUBACK: v3/v4 without, v5 with reason codes', () => {
    expect(decodePacket(hex('b0 02 00 07'), 4)).toStrictEqual({ type: 'unsuback', packetId: 7 });
    expect(decodePacket(hex('b0 05 00 07 00 00 11'), 5)).toStrictEqual({
      type: 'unsuback',
      packetId: 7,
      reasonCodes: [0, 0x11],
    });
  });

  it('rejects a v5 UNSUBACK without reason codes or with one it may not carry', () => {
    rejects('b0 03 00 07 00', 5, PROTOCOL);
    rejects('b0 04 00 07 00 10', 5, PROTOCOL);
  });
});

describe('PINGREQ, PINGRESP, DISCONNECT, AUTH', () => {
  it('decode their short forms', () => {
    expect(decodePacket(hex('c0 00'), 4)).toStrictEqual({ type: 'pingreq' });
    expect(decodePacket(hex('d0 00'), 5)).toStrictEqual({ type: 'pingresp' });
    expect(decodePacket(hex('e0 00'), 4)).toStrictEqual({ type: 'disconnect' });
    expect(decodePacket(hex('e0 00'), 5)).toStrictEqual({ type: 'disconnect', reasonCode: 0 });
    expect(decodePacket(hex('e0 01 04'), 5)).toStrictEqual({ type: 'disconnect', reasonCode: 4 });
    expect(decodePacket(hex('f0 00'), 5)).toStrictEqual({ type: 'auth', reasonCode: 0 });
    expect(decodePacket(hex('f0 02 18 00'), 5)).toStrictEqual({ type: 'auth', reasonCode: 0x18 });
  });

  it('reject bytes their remaining length does not allow', () => {
    rejects('c0 01 00', 4, MALFORMED);
    rejects('d0 01 00', 5, MALFORMED);
    rejects('e0 01 00', 4, MALFORMED);
    // AUTH drops the reason code and property length only together (3.15.2.1).
    rejects('f0 01 18', 5, MALFORMED);
  });

  it('reject reason codes DISCONNECT and AUTH may not carry', () => {
    rejects('e0 01 18', 5, PROTOCOL);
    rejects('f0 02 04 00', 5, PROTOCOL);
    rejects('e0 01 03', 5, MALFORMED);
  });
});
