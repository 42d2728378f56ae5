/**
 * Negative fixtures: each validation rule rejects hand-written bytes with a CodecError carrying the MQTT
 * reason code (0x81 malformed, 0x82 protocol error, 0x84 unsupported protocol version, 0x90 topic name
 * invalid, 0x95 packet too large) and the spec rule violated.
 *
 * Rule ids use MQTT 3.1.1 numbering where 3.1.1 has the rule and MQTT 5.0 numbering otherwise, as the
 * codec documents; '' means the spec states the requirement without a numbered rule.
 */
import { describe, expect, it } from 'vitest';
import {
  CodecError,
  PacketDecoder,
  decodePacket,
  encodeInto,
  encodePacket,
  type Packet,
} from '../../src/codec/index.js';
import {
  MALFORMED,
  PROTOCOL_ERROR,
  TOO_LARGE,
  UNSUPPORTED_PROTOCOL,
  VERSIONS,
  bytes,
  checkDecodes,
  expectCodecError,
  expectRejected,
  hex,
} from './helpers.js';

const TOPIC_NAME_INVALID = 0x90;

describe('fixed header', () => {
  const reservedFlags: [string, string][] = [
    ['CONNECT with flags 0001', '11 0C 00 04 4D 51 54 54 04 02 00 00 00 00'],
    ['CONNACK with flags 1000', '28 02 00 00'],
    ['PUBACK with flags 0010', '42 02 00 01'],
    ['PUBREC with flags 0001', '51 02 00 01'],
    ['PUBREL with flags 0000', '60 02 00 01'],
    ['PUBREL with flags 0011', '63 02 00 01'],
    ['PUBCOMP with flags 1000', '78 02 00 01'],
    ['SUBSCRIBE with flags 0000', '80 06 00 01 00 01 61 00'],
    ['SUBSCRIBE with flags 1010', '8A 06 00 01 00 01 61 00'],
    ['SUBACK with flags 0010', '92 03 00 01 00'],
    ['UNSUBSCRIBE with flags 0000', 'A0 05 00 01 00 01 61'],
    ['UNSUBACK with flags 0001', 'B1 02 00 01'],
    ['PINGREQ with flags 0001', 'C1 00'],
    ['PINGRESP with flags 0100', 'D4 00'],
    ['DISCONNECT with flags 0010', 'E2 00'],
  ];
  describe.each([3, 4] as const)('level %i', (version) => {
    it.each(reservedFlags)('[MQTT-2.2.2-1] rejects %s', (_title, wire) => {
      expectRejected(hex(wire), version, { reasonCode: MALFORMED, specRule: 'MQTT-2.2.2-1', code: 'CODEC_MALFORMED' });
    });
  });
  it.each([...reservedFlags, ['AUTH with flags 0001', 'F1 00'] as [string, string]])(
    '[MQTT-2.2.2-1] rejects %s at level 5',
    (_title, wire) => {
      expectRejected(hex(wire), 5, { reasonCode: MALFORMED, specRule: 'MQTT-2.2.2-1' });
    },
  );

  it.each(VERSIONS)('rejects the reserved packet type 0 (level %i)', (version) => {
    expectRejected(hex('00 00'), version, { reasonCode: MALFORMED, code: 'CODEC_MALFORMED' });
  });

  it.each(VERSIONS)('[MQTT-3.3.1-4] rejects PUBLISH QoS 3 (level %i)', (version) => {
    expectRejected(hex('36 07 00 03 61 2F 62 00 01'), version, { reasonCode: MALFORMED, specRule: 'MQTT-3.3.1-4' });
  });

  it.each(VERSIONS)('[MQTT-3.3.1-2] rejects DUP on a QoS 0 PUBLISH (level %i)', (version) => {
    const wire = version === 5 ? '38 06 00 03 61 2F 62 00' : '38 05 00 03 61 2F 62';
    expectRejected(hex(wire), version, { reasonCode: MALFORMED, specRule: 'MQTT-3.3.1-2' });
  });

  it.each(VERSIONS)('rejects a remaining length longer than 4 bytes (level %i)', (version) => {
    // Four continuation bytes: the fifth byte can never be legal, so the decoder fails without it.
    const decoder = new PacketDecoder({ protocolVersion: version, maxPacketSize: 268_435_460 });
    expectCodecError(() => decoder.feed(hex('30 FF FF FF FF'), () => undefined), { reasonCode: MALFORMED });
    expectCodecError(() => decodePacket(hex('30 80 80 80 80 01 00'), version), { reasonCode: MALFORMED });
  });

  it('[MQTT-1.5.5-1] rejects a remaining length that is not minimally encoded', () => {
    expectRejected(hex('C0 80 00'), 4, { reasonCode: MALFORMED, specRule: 'MQTT-1.5.5-1' });
    expectRejected(hex('40 82 00 00 01'), 4, { reasonCode: MALFORMED, specRule: 'MQTT-1.5.5-1' });
  });
});

describe('lengths past the end of the frame', () => {
  const cases: [string, 3 | 4 | 5, string][] = [
    ['a topic length past the end', 4, '30 03 00 05 61'],
    ['a missing packet identifier', 4, '40 01 00'],
    ['a QoS 1 PUBLISH without room for its packet identifier', 4, '32 04 00 01 61 00'],
    ['a SUBSCRIBE entry without its options byte', 4, '82 05 00 01 00 01 61'],
    ['a client id length past the end', 4, '10 0C 00 04 4D 51 54 54 04 02 00 00 00 05'],
    ['a password length past the end', 4, '10 11 00 04 4D 51 54 54 04 C2 00 00 00 00 00 01 75 00 09'],
    ['a will payload length past the end', 4, '10 12 00 04 4D 51 54 54 04 06 00 00 00 00 00 01 77 00 05 61'],
    ['a property length past the end', 5, '30 07 00 03 61 2F 62 09 01'],
    ['a property value straddling the property length', 5, '30 0B 00 03 61 2F 62 02 02 00 00 00 00'],
    ['a user property pair cut in the middle', 5, '40 0A 00 01 00 06 26 00 01 6B 00 05'],
    ['a CONNACK without its return code', 4, '20 01 00'],
    ['a protocol name length past the end', 4, '10 04 00 04 4D 51'],
  ];
  it.each(cases)('rejects %s (level %i)', (_title, version, wire) => {
    expectRejected(hex(wire), version, { reasonCode: MALFORMED, code: 'CODEC_MALFORMED' });
  });

  it('decodePacket rejects a frame shorter or longer than its remaining length', () => {
    expectCodecError(() => decodePacket(hex('40 02 00'), 4), { reasonCode: MALFORMED });
    expectCodecError(() => decodePacket(hex('40 02 00 01 00'), 4), { reasonCode: MALFORMED });
    expectCodecError(() => decodePacket(hex('40'), 4), { reasonCode: MALFORMED });
    expectCodecError(() => decodePacket(Buffer.alloc(0), 4), { reasonCode: MALFORMED });
  });

  it('rejects bytes left over after the last field', () => {
    expectRejected(hex('40 03 00 0A 00'), 4, { reasonCode: MALFORMED });
    expectRejected(hex('C0 01 00'), 4, { reasonCode: MALFORMED });
    expectRejected(hex('E0 01 00'), 4, { reasonCode: MALFORMED });
    expectRejected(hex('20 03 00 00 00'), 4, { reasonCode: MALFORMED });
    expectRejected(hex('10 0D 00 04 4D 51 54 54 04 02 00 00 00 00 FF'), 4, { reasonCode: MALFORMED });
    expectRejected(hex('B0 03 00 0A 00'), 4, { reasonCode: MALFORMED });
  });
});

describe('UTF-8 strings', () => {
  const illFormed: [string, string][] = [
    ['a lone continuation byte', '80'],
    ['a truncated 2-byte sequence', 'C3'],
    ['a bad continuation', 'C3 28'],
    ['an overlong "/" (C0 AF)', 'C0 AF'],
    ['an overlong 3-byte form (E0 80 AF)', 'E0 80 AF'],
    ['a UTF-16 surrogate U+D800 (ED A0 80)', 'ED A0 80'],
    ['a code point above U+10FFFF (F4 90 80 80)', 'F4 90 80 80'],
    ['a 5-byte form (F8 88 80 80 80)', 'F8 88 80 80 80'],
    ['a byte FF', '61 FF'],
  ];
  it.each(illFormed)('[MQTT-1.5.3-1] rejects %s in a topic name', (_title, body) => {
    const topic = hex(body);
    const wire = bytes([0x30, 2 + topic.length], [0, topic.length], topic);
    expectRejected(wire, 4, { reasonCode: MALFORMED, specRule: 'MQTT-1.5.3-1' });
  });

  it('[MQTT-1.5.3-1] rejects ill-formed UTF-8 in a client id, a topic filter and a user property', () => {
    expectRejected(hex('10 0E 00 04 4D 51 54 54 04 02 00 00 00 02 C3 28'), 4, {
      reasonCode: MALFORMED,
      specRule: 'MQTT-1.5.3-1',
    });
    expectRejected(hex('82 07 00 01 00 02 ED A0 00'), 4, { reasonCode: MALFORMED, specRule: 'MQTT-1.5.3-1' });
    expectRejected(hex('40 0B 00 01 00 07 26 00 01 FF 00 01 76'), 5, {
      reasonCode: MALFORMED,
      specRule: 'MQTT-1.5.3-1',
    });
  });

  it('[MQTT-1.5.3-2] rejects U+0000 in a topic name, a client id, a user name, a filter and a property', () => {
    const rule = { reasonCode: MALFORMED, specRule: 'MQTT-1.5.3-2' };
    expectRejected(hex('30 05 00 03 61 00 62'), 4, rule);
    expectRejected(hex('10 0D 00 04 4D 51 54 54 04 02 00 00 00 01 00'), 4, rule);
    expectRejected(hex('10 10 00 04 4D 51 54 54 04 82 00 00 00 00 00 02 75 00'), 4, rule);
    expectRejected(hex('A2 06 00 01 00 02 2F 00'), 4, rule);
    expectRejected(hex('30 09 00 01 74 05 03 00 02 00 61'), 5, rule);
    // A non-ASCII string with U+0000 after a multi-byte character.
    expectRejected(hex('30 07 00 05 C3 A9 61 00 62'), 4, rule);
  });

  it('accepts the code points a receiver MAY reject but need not (U+0001, U+007F, U+FFFF)', () => {
    // 5.0 section 1.5.4: control characters and non-characters SHOULD NOT be sent; we do not reject them.
    checkDecodes(
      hex('30 09 00 07 01 7F EF BF BF 61 62'),
      { type: 'publish', topic: '\u0001\u007f\uffffab', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false },
      4,
    );
  });
});

describe('topic names and filters', () => {
  it.each([
    ['a/+', '00 03 61 2F 2B'],
    ['#', '00 01 23'],
    ['a/#', '00 03 61 2F 23'],
    ['é+', '00 03 C3 A9 2B'],
  ])('[MQTT-3.3.2-2] rejects the wildcard topic name %s in PUBLISH', (_name, topic) => {
    const t = hex(topic);
    for (const version of [3, 4] as const) {
      expectRejected(bytes([0x30, t.length], t), version, { reasonCode: TOPIC_NAME_INVALID, specRule: 'MQTT-3.3.2-2' });
    }
    expectRejected(bytes([0x30, t.length + 1], t, '00'), 5, {
      reasonCode: TOPIC_NAME_INVALID,
      specRule: 'MQTT-3.3.2-2',
    });
  });

  it('[MQTT-3.3.2-14] rejects a wildcard in a Response Topic', () => {
    expectRejected(hex('30 09 00 01 74 | 05 08 00 02 61 23'), 5, {
      reasonCode: PROTOCOL_ERROR,
      specRule: 'MQTT-3.3.2-14',
    });
  });

  it('[MQTT-4.7.3-1] rejects an empty PUBLISH topic at level 4', () => {
    expectRejected(hex('30 02 00 00'), 4, { reasonCode: PROTOCOL_ERROR, specRule: 'MQTT-4.7.3-1' });
  });

  it('[MQTT-4.7.3-1] rejects an empty PUBLISH topic without a Topic Alias at level 5', () => {
    expectRejected(hex('30 03 00 00 00'), 5, { reasonCode: PROTOCOL_ERROR, specRule: 'MQTT-4.7.3-1' });
  });

  it('accepts an empty PUBLISH topic with a Topic Alias at level 5 (3.3.2.3.4)', () => {
    checkDecodes(
      hex('30 07 00 00 03 23 00 05 78'),
      {
        type: 'publish',
        topic: '',
        payload: hex('78'),
        qos: 0,
        retain: false,
        dup: false,
        properties: { topicAlias: 5 },
      },
      5,
    );
  });
});

describe('SUBSCRIBE and UNSUBSCRIBE payloads', () => {
  it.each([3, 4] as const)('[MQTT-3.8.3-3] rejects a SUBSCRIBE without topic filters (level %i)', (version) => {
    expectRejected(hex('82 02 00 01'), version, { reasonCode: PROTOCOL_ERROR, specRule: 'MQTT-3.8.3-3' });
  });
  it('[MQTT-3.8.3-3] rejects a SUBSCRIBE without topic filters (level 5)', () => {
    expectRejected(hex('82 03 00 01 00'), 5, { reasonCode: PROTOCOL_ERROR, specRule: 'MQTT-3.8.3-3' });
  });

  it.each([3, 4] as const)('[MQTT-3.10.3-2] rejects an UNSUBSCRIBE without topic filters (level %i)', (version) => {
    expectRejected(hex('A2 02 00 01'), version, { reasonCode: PROTOCOL_ERROR, specRule: 'MQTT-3.10.3-2' });
  });
  it('[MQTT-3.10.3-2] rejects an UNSUBSCRIBE without topic filters (level 5)', () => {
    expectRejected(hex('A2 03 00 01 00'), 5, { reasonCode: PROTOCOL_ERROR, specRule: 'MQTT-3.10.3-2' });
  });

  it('[MQTT-3.8.3-4] rejects a requested QoS 3 and reserved option bits at level 4', () => {
    expectRejected(hex('82 06 00 01 00 01 61 03'), 4, { reasonCode: MALFORMED, specRule: 'MQTT-3.8.3-4' });
    expectRejected(hex('82 06 00 01 00 01 61 04'), 4, { reasonCode: MALFORMED, specRule: 'MQTT-3.8.3-4' });
  });

  it('[MQTT-3.8.3-5] rejects reserved subscription option bits 6-7 at level 5', () => {
    expectRejected(hex('82 07 00 01 00 00 01 61 40'), 5, { reasonCode: MALFORMED, specRule: 'MQTT-3.8.3-5' });
  });

  it('rejects Retain Handling 3 at level 5 (3.8.3.1: protocol error)', () => {
    expectRejected(hex('82 07 00 01 00 00 01 61 30'), 5, { reasonCode: PROTOCOL_ERROR });
  });

  it('[MQTT-3.9.3-2] rejects a reserved SUBACK return code at level 4', () => {
    expectRejected(hex('90 03 00 01 03'), 4, { reasonCode: MALFORMED, specRule: 'MQTT-3.9.3-2' });
  });

  it('rejects a SUBACK without return codes and a v5 UNSUBACK without reason codes', () => {
    expectRejected(hex('90 02 00 01'), 4, { reasonCode: PROTOCOL_ERROR });
    expectRejected(hex('B0 03 00 01 00'), 5, { reasonCode: PROTOCOL_ERROR });
  });
});

describe('packet identifiers', () => {
  const zeroIds: [string, 3 | 4 | 5, string][] = [
    ['PUBLISH QoS 1', 4, '32 07 00 03 61 2F 62 00 00'],
    ['PUBLISH QoS 2', 5, '34 08 00 03 61 2F 62 00 00 00'],
    ['PUBACK', 4, '40 02 00 00'],
    ['PUBREC', 3, '50 02 00 00'],
    ['PUBREL', 5, '62 02 00 00'],
    ['PUBCOMP', 4, '70 02 00 00'],
    ['SUBSCRIBE', 4, '82 06 00 00 00 01 61 00'],
    ['SUBACK', 4, '90 03 00 00 00'],
    ['UNSUBSCRIBE', 5, 'A2 06 00 00 00 00 01 61'],
    ['UNSUBACK', 4, 'B0 02 00 00'],
  ];
  // A Malformed Packet (0x81) as MQTT 5 says [MQTT-2.2.1-3], for every version.
  it.each(zeroIds)('[MQTT-2.3.1-1] rejects packet identifier 0 in %s (level %i)', (_title, version, wire) => {
    expectRejected(hex(wire), version, { reasonCode: MALFORMED, specRule: 'MQTT-2.3.1-1' });
  });
});

describe('5.0 properties', () => {
  it('rejects a second Message Expiry Interval in PUBLISH (3.3.2.3.3: protocol error)', () => {
    expectRejected(hex('30 0E 00 01 74 | 0A 02 00 00 00 01 02 00 00 00 02'), 5, { reasonCode: PROTOCOL_ERROR });
  });

  it('rejects a second Subscription Identifier in SUBSCRIBE (3.8.2.1.2: protocol error)', () => {
    expectRejected(hex('82 0B 00 01 | 04 0B 01 0B 02 | 00 01 61 00'), 5, { reasonCode: PROTOCOL_ERROR });
  });

  it('accepts several Subscription Identifiers in PUBLISH (3.3.2.3.8)', () => {
    checkDecodes(
      hex('30 08 00 01 74 | 04 0B 01 0B 02'),
      {
        type: 'publish',
        topic: 't',
        payload: Buffer.alloc(0),
        qos: 0,
        retain: false,
        dup: false,
        properties: { subscriptionIdentifier: [1, 2] },
      },
      5,
    );
  });

  it('rejects every other duplicated single-valued property', () => {
    const duplicates: [string, string][] = [
      [
        'Session Expiry Interval in CONNECT',
        '10 17 00 04 4D 51 54 54 05 02 00 00 | 0A 11 00 00 00 01 11 00 00 00 02 | 00 00',
      ],
      ['Reason String in PUBACK', '40 0C 00 01 00 | 08 1F 00 01 61 1F 00 01 62'],
      ['Receive Maximum in CONNACK', '20 09 00 00 | 06 21 00 01 21 00 02'],
      ['Authentication Method in AUTH', 'F0 0A 18 | 08 15 00 01 61 15 00 01 62'],
      ['Server Reference in DISCONNECT', 'E0 0A 00 | 08 1C 00 01 61 1C 00 01 62'],
      [
        'Will Delay Interval in the will properties',
        '10 1D 00 04 4D 51 54 54 05 06 00 00 00 | 00 00 | 0A 18 00 00 00 01 18 00 00 00 02 | 00 01 77 00 00',
      ],
    ];
    for (const [title, wire] of duplicates) {
      const err = expectCodecError(() => decodePacket(hex(wire), 5), { reasonCode: PROTOCOL_ERROR });
      expect(err.message, title).toMatch(/more than once/);
    }
  });

  it('accepts repeated User Properties in every packet that carries properties', () => {
    checkDecodes(
      hex('E0 10 00 | 0E 26 00 01 61 00 01 62 26 00 01 61 00 01 63'),
      {
        type: 'disconnect',
        reasonCode: 0,
        properties: {
          userProperties: [
            ['a', 'b'],
            ['a', 'c'],
          ],
        },
      },
      5,
    );
  });

  const wrongPacket: [string, string][] = [
    ['Topic Alias (0x23) in PUBACK', '40 07 00 01 00 03 23 00 01'],
    ['Session Expiry Interval (0x11) in PUBLISH', '30 09 00 01 74 05 11 00 00 00 01'],
    ['Subscription Identifier (0x0B) in UNSUBSCRIBE', 'A2 08 00 01 02 0B 01 00 01 61'],
    ['Maximum QoS (0x24) in CONNECT', '10 0F 00 04 4D 51 54 54 05 02 00 00 02 24 01 00 00'],
    ['Will Delay Interval (0x18) in CONNECT properties', '10 12 00 04 4D 51 54 54 05 02 00 00 05 18 00 00 00 01 00 00'],
    [
      'Session Expiry Interval (0x11) in will properties',
      '10 18 00 04 4D 51 54 54 05 06 00 00 00 00 00 05 11 00 00 00 01 00 01 77 00 00',
    ],
    ['Server Reference (0x1C) in AUTH', 'F0 06 18 04 1C 00 01 61'],
    ['Reason String (0x1F) in SUBSCRIBE', '82 0B 00 01 04 1F 00 01 61 00 01 61 00'],
    [
      'Topic Alias (0x23) in the will properties',
      '10 16 00 04 4D 51 54 54 05 06 00 00 00 00 00 03 23 00 01 00 01 77 00 00',
    ],
  ];
  it.each(wrongPacket)('rejects %s as malformed (2.2.2.2)', (_title, wire) => {
    expectRejected(hex(wire), 5, { reasonCode: MALFORMED });
  });

  it.each([
    ['00', '30 06 00 01 74 02 00 01'],
    ['04', '30 06 00 01 74 02 04 01'],
    ['7F', '30 06 00 01 74 02 7F 01'],
    ['FF 01 (a 2-byte identifier)', '30 07 00 01 74 03 FF 01 01'],
  ])('rejects the unknown property identifier %s as malformed', (_id, wire) => {
    expectRejected(hex(wire), 5, { reasonCode: MALFORMED });
  });

  it.each([
    ['Receive Maximum 0', '20 06 00 00 03 21 00 00'],
    ['Maximum Packet Size 0', '20 08 00 00 05 27 00 00 00 00'],
    ['Subscription Identifier 0', '82 09 00 01 02 0B 00 00 01 61 00'],
    ['Request Problem Information 2', '10 0F 00 04 4D 51 54 54 05 02 00 00 02 17 02 00 00'],
    ['Payload Format Indicator 2', '30 06 00 01 74 02 01 02'],
    ['Maximum QoS 2', '20 05 00 00 02 24 02'],
  ])('rejects %s as a protocol error', (_title, wire) => {
    expectRejected(hex(wire), 5, { reasonCode: PROTOCOL_ERROR });
  });

  it('[MQTT-3.3.2-8] rejects Topic Alias 0 with reason code 0x94 (Topic Alias invalid)', () => {
    expectRejected(hex('30 07 00 01 74 03 23 00 00'), 5, { reasonCode: 0x94 });
  });

  it('rejects a reason code that is defined but not allowed in the packet as a protocol error', () => {
    expectRejected(hex('40 03 00 01 92'), 5, { reasonCode: PROTOCOL_ERROR }); // 0x92 belongs to PUBREL/PUBCOMP
    expectRejected(hex('F0 02 04 00'), 5, { reasonCode: PROTOCOL_ERROR }); // 0x04 is a DISCONNECT code
    expectRejected(hex('90 04 00 01 00 92'), 5, { reasonCode: PROTOCOL_ERROR });
  });

  it('rejects an undefined reason code as malformed', () => {
    expectRejected(hex('40 03 00 01 05'), 5, { reasonCode: MALFORMED });
    expectRejected(hex('E0 01 03'), 5, { reasonCode: MALFORMED });
    expectRejected(hex('20 03 00 FF 00'), 5, { reasonCode: MALFORMED });
  });
});

describe('CONNECT', () => {
  it('[MQTT-3.1.2-2] rejects "MQIsdp" with level 4', () => {
    expectRejected(hex('10 0E 00 06 4D 51 49 73 64 70 04 02 00 00 00 00'), 4, {
      reasonCode: UNSUPPORTED_PROTOCOL,
      specRule: 'MQTT-3.1.2-2',
      code: 'CODEC_UNSUPPORTED_PROTOCOL',
    });
  });

  it('[MQTT-3.1.2-2] rejects "MQTT" with level 3', () => {
    expectRejected(hex('10 0C 00 04 4D 51 54 54 03 02 00 00 00 00'), 3, {
      reasonCode: UNSUPPORTED_PROTOCOL,
      specRule: 'MQTT-3.1.2-2',
    });
  });

  it.each([0, 1, 2, 6, 0x84, 0xff])('[MQTT-3.1.2-2] rejects "MQTT" with level %i', (level) => {
    expectRejected(bytes('10 0C 00 04 4D 51 54 54', [level], '02 00 00 00 00'), 4, {
      reasonCode: UNSUPPORTED_PROTOCOL,
      specRule: 'MQTT-3.1.2-2',
    });
  });

  it.each([
    ['MQTX', '00 04 4D 51 54 58'],
    ['mqtt', '00 04 6D 71 74 74'],
    ['MQIsdP', '00 06 4D 51 49 73 64 50'],
    ['(empty)', '00 00'],
  ])('[MQTT-3.1.2-1] rejects the protocol name %s', (_name, name) => {
    const n = hex(name);
    expectRejected(bytes([0x10, n.length + 6], n, '04 02 00 00 00 00'), 4, {
      reasonCode: UNSUPPORTED_PROTOCOL,
      specRule: 'MQTT-3.1.2-1',
    });
  });

  it('[MQTT-3.1.2-3] rejects the reserved connect flag', () => {
    expectRejected(hex('10 0C 00 04 4D 51 54 54 04 03 00 00 00 00'), 4, {
      reasonCode: MALFORMED,
      specRule: 'MQTT-3.1.2-3',
    });
  });

  it('[MQTT-3.1.2-13] rejects a will QoS without the will flag', () => {
    expectRejected(hex('10 0C 00 04 4D 51 54 54 04 0A 00 00 00 00'), 4, {
      reasonCode: MALFORMED,
      specRule: 'MQTT-3.1.2-13',
    });
  });

  it('[MQTT-3.1.2-14] rejects will QoS 3', () => {
    expectRejected(hex('10 11 00 04 4D 51 54 54 04 1E 00 00 00 00 00 01 77 00 00'), 4, {
      reasonCode: MALFORMED,
      specRule: 'MQTT-3.1.2-14',
    });
  });

  it('[MQTT-3.1.2-15] rejects will retain without the will flag', () => {
    expectRejected(hex('10 0C 00 04 4D 51 54 54 04 22 00 00 00 00'), 4, {
      reasonCode: MALFORMED,
      specRule: 'MQTT-3.1.2-15',
    });
  });

  it('[MQTT-3.1.2-22] rejects a password without a user name before 5.0', () => {
    expectRejected(hex('10 10 00 04 4D 51 54 54 04 42 00 00 00 00 00 02 70 77'), 4, {
      reasonCode: MALFORMED,
      specRule: 'MQTT-3.1.2-22',
    });
  });

  it('decodes a CONNECT with its own level whatever the decoder level', () => {
    const v3 = hex('10 0F 00 06 4D 51 49 73 64 70 03 02 00 00 00 01 61');
    const expected: Packet = {
      type: 'connect',
      protocolName: 'MQIsdp',
      protocolVersion: 3,
      clean: true,
      keepalive: 0,
      clientId: 'a',
    };
    for (const version of VERSIONS) checkDecodes(v3, expected, version);
  });
});

describe('packets that do not exist at the level', () => {
  it.each([3, 4] as const)('rejects AUTH at level %i (packet type 15 is reserved before 5.0)', (version) => {
    expectRejected(hex('F0 00'), version, { reasonCode: MALFORMED, code: 'CODEC_MALFORMED' });
  });

  it('rejects a CONNACK return code above 5 at level 4', () => {
    expectRejected(hex('20 02 00 06'), 4, { reasonCode: MALFORMED });
  });

  it('rejects reserved CONNACK acknowledge flags', () => {
    expectRejected(hex('20 02 02 00'), 4, { reasonCode: MALFORMED });
    expectRejected(hex('20 03 80 00 00'), 5, { reasonCode: MALFORMED });
  });
});

describe('maximum packet size', () => {
  it('rejects a 10 MB PUBLISH at its fixed header, before any payload arrives', () => {
    // 10,485,760 = 0x00A00000 as a variable byte integer: 80 80 80 05.
    const decoder = new PacketDecoder({ protocolVersion: 4 });
    const seen: Packet[] = [];
    const err = expectCodecError(() => decoder.feed(hex('30 80 80 80 05'), (p) => seen.push(p)), {
      reasonCode: TOO_LARGE,
      code: 'CODEC_TOO_LARGE',
    });
    expect(err).toBeInstanceOf(CodecError);
    expect(seen).toStrictEqual([]);
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(5);
    // The decoder stays failed.
    expectCodecError(() => decoder.feed(hex('C0 00'), (p) => seen.push(p)), { reasonCode: TOO_LARGE });
  });

  it('rejects it when the fixed header arrives one byte at a time', () => {
    const decoder = new PacketDecoder({ protocolVersion: 5 });
    const header = hex('30 80 80 80 05');
    for (let i = 0; i < header.length - 1; i++) decoder.feed(header.subarray(i, i + 1), () => undefined);
    expect(decoder.bufferedBytes).toBe(4);
    expectCodecError(() => decoder.feed(header.subarray(4), () => undefined), { reasonCode: TOO_LARGE });
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(5);
  });

  it('counts the whole packet, fixed header included, against maxPacketSize', () => {
    // PUBLISH "a" with a 95-byte payload: 2 + 3 + 95 = 100 bytes.
    const frame = bytes('30 62 00 01 61', Buffer.alloc(95, 1));
    const exact = new PacketDecoder({ protocolVersion: 4, maxPacketSize: 100 });
    const seen: Packet[] = [];
    exact.feed(frame, (p) => seen.push(p));
    expect(seen).toHaveLength(1);
    const smaller = new PacketDecoder({ protocolVersion: 4, maxPacketSize: 99 });
    expectCodecError(() => smaller.feed(frame.subarray(0, 2), () => undefined), { reasonCode: TOO_LARGE });
  });

  it('uses 1 MiB by default', () => {
    const decoder = new PacketDecoder();
    expect(decoder.maxPacketSize).toBe(1024 * 1024);
    expect(decoder.protocolVersion).toBe(4);
    // 1 MiB - 4 bytes of remaining length = 1,048,572 = FC FF 3F: exactly 1 MiB in all.
    decoder.feed(hex('30 FC FF 3F'), () => undefined);
    expect(decoder.bufferedBytes).toBe(4);
    const over = new PacketDecoder();
    expectCodecError(() => over.feed(hex('30 FD FF 3F'), () => undefined), { reasonCode: TOO_LARGE });
  });
});

describe('the encoder refuses packets it cannot put on the wire (CODEC_UNENCODABLE)', () => {
  const publish = { type: 'publish', topic: 't', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false } as const;
  const cases: [string, Packet, 3 | 4 | 5, number, string][] = [
    ['[MQTT-3.3.1-2] DUP on QoS 0', { ...publish, dup: true }, 4, MALFORMED, 'MQTT-3.3.1-2'],
    ['[MQTT-1.5.3-2] U+0000 in a topic', { ...publish, topic: 'a\u0000' }, 4, MALFORMED, 'MQTT-1.5.3-2'],
    ['[MQTT-1.5.3-1] an unpaired surrogate in a topic', { ...publish, topic: '\udc00' }, 4, MALFORMED, 'MQTT-1.5.3-1'],
    [
      '[MQTT-2.3.1-1] a QoS 1 PUBLISH without a packet identifier',
      { ...publish, qos: 1 },
      4,
      PROTOCOL_ERROR,
      'MQTT-2.3.1-1',
    ],
    [
      '[MQTT-2.3.1-1] packet identifier 0 in PUBACK',
      { type: 'puback', packetId: 0 },
      4,
      PROTOCOL_ERROR,
      'MQTT-2.3.1-1',
    ],
    ['[MQTT-2.3.1-1] packet identifier 65536', { type: 'puback', packetId: 65536 }, 4, PROTOCOL_ERROR, 'MQTT-2.3.1-1'],
    [
      '[MQTT-3.8.3-3] a SUBSCRIBE without subscriptions',
      { type: 'subscribe', packetId: 1, subscriptions: [] },
      4,
      PROTOCOL_ERROR,
      'MQTT-3.8.3-3',
    ],
    [
      '[MQTT-3.10.3-2] an UNSUBSCRIBE without topics',
      { type: 'unsubscribe', packetId: 1, topics: [] },
      5,
      PROTOCOL_ERROR,
      'MQTT-3.10.3-2',
    ],
    ['[MQTT-4.7.3-1] an empty topic at level 4', { ...publish, topic: '' }, 4, PROTOCOL_ERROR, 'MQTT-4.7.3-1'],
    [
      '[MQTT-3.1.2-22] a password without a user name at level 4',
      {
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 0,
        clientId: 'c',
        password: Buffer.from('pw'),
      },
      4,
      MALFORMED,
      'MQTT-3.1.2-22',
    ],
  ];
  it.each(cases)('%s', (_title, packet, version, reasonCode, specRule) => {
    expectCodecError(() => encodePacket(packet, version), { reasonCode, specRule, code: 'CODEC_UNENCODABLE' });
  });

  it('refuses a property the packet may not carry, a reason code it may not carry, and AUTH before 5.0', () => {
    const unencodable = { code: 'CODEC_UNENCODABLE' };
    expect(() =>
      encodePacket({ type: 'puback', packetId: 1, reasonCode: 0, properties: { topicAlias: 1 } } as Packet, 5),
    ).toThrow(CodecError);
    expectCodecError(() => encodePacket({ type: 'puback', packetId: 1, reasonCode: 0x92 }, 5), {
      reasonCode: PROTOCOL_ERROR,
      ...unencodable,
    });
    expectCodecError(() => encodePacket({ type: 'auth', reasonCode: 0 }, 4), { reasonCode: MALFORMED, ...unencodable });
    expectCodecError(() => encodePacket({ ...publish, properties: { topicAlias: 0 } }, 5), {
      reasonCode: PROTOCOL_ERROR,
      ...unencodable,
    });
  });

  it('refuses a string longer than 65,535 bytes', () => {
    expectCodecError(() => encodePacket({ ...publish, topic: 'x'.repeat(65_536) }, 4), {
      reasonCode: MALFORMED,
      code: 'CODEC_UNENCODABLE',
    });
  });

  it('encodeInto throws a RangeError when the packet does not fit, and writes nothing', () => {
    const buffer = Buffer.alloc(4, 0xee);
    expect(() => encodeInto({ type: 'puback', packetId: 1 }, buffer, 1, 4)).toThrow(RangeError);
    expect(buffer.toString('hex')).toBe('eeeeeeee');
  });
});
