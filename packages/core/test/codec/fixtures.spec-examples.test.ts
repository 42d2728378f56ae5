/**
 * Byte-exact fixtures taken from the examples of the MQTT 3.1, 3.1.1 and 5.0 specifications.
 * Every expected byte is written by hand from the spec text.
 */
import { describe, expect, it } from 'vitest';
import {
  PacketDecoder,
  decodePacket,
  encodePacket,
  encodedLength,
  type Packet,
  type PublishPacket,
} from '../../src/codec/index.js';
import { bytes, canon, checkFixture, hex, utf8 } from './helpers.js';

describe('3.1.1 section 1.5.3 / 5.0 section 1.5.4: UTF-8 encoded strings', () => {
  it("encodes 'A\u{2A6D4}' (U+0041, U+2A6D4) as 00 05 41 F0 AA 9B 94", () => {
    const packet: PublishPacket = {
      type: 'publish',
      topic: 'A\u{2A6D4}',
      payload: Buffer.alloc(0),
      qos: 0,
      retain: false,
      dup: false,
    };
    for (const version of [3, 4] as const) checkFixture(packet, hex('30 07 | 00 05 41 F0 AA 9B 94'), version);
    // 5.0 adds a property length (0) after the topic.
    checkFixture(packet, hex('30 08 | 00 05 41 F0 AA 9B 94 | 00'), 5);
  });

  it('carries the same example as a client identifier', () => {
    const packet: Packet = {
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 0,
      clientId: 'A\u{2A6D4}',
    };
    checkFixture(packet, hex('10 11 | 00 04 4D 51 54 54 04 02 00 00 | 00 05 41 F0 AA 9B 94'), 4);
  });
});

describe('3.1.1 section 2.2.3 / 5.0 section 1.5.5: Remaining Length table', () => {
  /** A QoS 0 PUBLISH to topic "a" (3 bytes of variable header at level 4) whose remaining length is `rl`. */
  function publishWithRemainingLength(rl: number): PublishPacket {
    return { type: 'publish', topic: 'a', payload: Buffer.alloc(rl - 3, 0x5a), qos: 0, retain: false, dup: false };
  }
  const rows: [rl: number, encoded: string][] = [
    [3, '03'], // the smallest PUBLISH; 0 is covered by PINGREQ below
    [127, '7F'],
    [128, '80 01'],
    [16_383, 'FF 7F'],
    [16_384, '80 80 01'],
    [2_097_151, 'FF FF 7F'],
    [2_097_152, '80 80 80 01'],
  ];
  it.each(rows)('remaining length %i is encoded as %s', (rl, encoded) => {
    const packet = publishWithRemainingLength(rl);
    const header = hex(`30 ${encoded} 00 01 61`);
    const wire = encodePacket(packet, 4);
    expect(wire.length).toBe(header.length + rl - 3);
    expect(encodedLength(packet, 4)).toBe(wire.length);
    expect(wire.subarray(0, header.length).toString('hex')).toBe(header.toString('hex'));
    expect(wire.subarray(header.length).equals(packet.payload)).toBe(true);

    const hand = Buffer.concat([header, Buffer.alloc(rl - 3, 0x5a)]);
    const decoder = new PacketDecoder({ protocolVersion: 4, maxPacketSize: 4 * 1024 * 1024 });
    const seen: [Packet, number][] = [];
    decoder.feed(hand, (p, n) => seen.push([canon(p), n]));
    expect(seen).toHaveLength(1);
    const [[decoded, frameBytes]] = seen as [[PublishPacket, number]];
    expect(frameBytes).toBe(hand.length);
    // Deep equality on megabyte buffers is slow: compare the payload bytes natively.
    expect(decoded.payload.equals(packet.payload)).toBe(true);
    expect({ ...decoded, payload: null }).toStrictEqual({ ...packet, payload: null });
  });

  it('remaining length 0 (00) is PINGREQ C0 00', () => {
    checkFixture({ type: 'pingreq' }, hex('C0 00'), 4);
  });

  it('accepts the largest remaining length 268,435,455 (FF FF FF 7F) in the fixed header', () => {
    const decoder = new PacketDecoder({ protocolVersion: 4, maxPacketSize: 268_435_455 + 5 });
    const seen: Packet[] = [];
    decoder.feed(hex('30 FF FF FF 7F 00 01 61 5A 5A'), (p) => seen.push(p));
    expect(seen).toStrictEqual([]);
    expect(decoder.bufferedBytes).toBeGreaterThan(0);
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(10);
  });
});

describe('3.1.1 section 3.1.2.10, figure 3.6: CONNECT variable header example', () => {
  // Protocol Name "MQTT", Protocol Level 4, Connect Flags CE (user name, password, will QoS 1, will flag,
  // clean session), Keep Alive 10.
  it('decodes and encodes "MQTT" level 4, flags CE, keepalive 10', () => {
    const packet: Packet = {
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 10,
      clientId: 'c1',
      will: { topic: 'w/t', payload: utf8('bye'), qos: 1, retain: false },
      username: 'u',
      password: utf8('pw'),
    };
    const wire = bytes(
      '10 1F',
      '00 04 4D 51 54 54 | 04 | CE | 00 0A', // the spec example
      '00 02 63 31', // client id "c1"
      '00 03 77 2F 74', // will topic "w/t"
      '00 03 62 79 65', // will payload "bye"
      '00 01 75', // user name "u"
      '00 02 70 77', // password "pw"
    );
    checkFixture(packet, wire, 4);
  });
});

describe('5.0 section 3.1.2.11, figure 3-8: CONNECT variable header example', () => {
  // "MQTT", level 5, flags CE, keep alive 10, properties length 5, Session Expiry Interval (0x11) = 10.
  it('decodes and encodes "MQTT" level 5, flags CE, keepalive 10, Session Expiry Interval 10', () => {
    const packet: Packet = {
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      clean: true,
      keepalive: 10,
      clientId: 'c1',
      will: { topic: 'w/t', payload: utf8('bye'), qos: 1, retain: false },
      username: 'u',
      password: utf8('pw'),
      properties: { sessionExpiryInterval: 10 },
    };
    const wire = bytes(
      '10 26',
      '00 04 4D 51 54 54 | 05 | CE | 00 0A | 05 | 11 00 00 00 0A', // the spec example
      '00 02 63 31', // client id "c1"
      '00', // will properties: none
      '00 03 77 2F 74', // will topic
      '00 03 62 79 65', // will payload
      '00 01 75', // user name
      '00 02 70 77', // password
    );
    checkFixture(packet, wire, 5);
    // A CONNECT carries its own level: encoding ignores the version argument, and decoding at level 4
    // still reads a 5.0 CONNECT.
    expect(encodePacket(packet, 4).toString('hex')).toBe(wire.toString('hex'));
    expect(canon(decodePacket(wire, 4))).toStrictEqual(packet);
  });

  it('switches a decoder to the CONNECT level for the packets that follow', () => {
    const connect = bytes('10 0D', '00 04 4D 51 54 54 05 02 00 00 00', '00 00');
    const puback = hex('40 03 00 0A 10'); // only meaningful at level 5 (reason code 0x10)
    const decoder = new PacketDecoder({ protocolVersion: 4 });
    const seen: Packet[] = [];
    decoder.feed(Buffer.concat([connect, puback]), (p) => seen.push(canon(p)));
    expect(decoder.protocolVersion).toBe(5);
    expect(seen).toStrictEqual([
      { type: 'connect', protocolName: 'MQTT', protocolVersion: 5, clean: true, keepalive: 0, clientId: '' },
      { type: 'puback', packetId: 10, reasonCode: 0x10 },
    ]);
  });
});

describe('3.1 (MQIsdp): CONNECT example', () => {
  // 3.1 section 3.1: protocol name "MQIsdp", version 3, flags, keep alive.
  it('decodes and encodes "MQIsdp" level 3, clean session, keepalive 60', () => {
    const packet: Packet = {
      type: 'connect',
      protocolName: 'MQIsdp',
      protocolVersion: 3,
      clean: true,
      keepalive: 60,
      clientId: 'abc',
    };
    checkFixture(packet, bytes('10 11', '00 06 4D 51 49 73 64 70 | 03 | 02 | 00 3C', '00 03 61 62 63'), 3);
  });
});

describe('3.1.1 section 3.3.2.3 / 3.8.3 / 3.9.3 / 3.10.3: variable header and payload examples', () => {
  it('PUBLISH topic "a/b" packet identifier 10 (figure 3.11)', () => {
    checkFixture(
      { type: 'publish', topic: 'a/b', payload: Buffer.alloc(0), qos: 1, retain: false, dup: false, packetId: 10 },
      hex('32 07 | 00 03 61 2F 62 | 00 0A'),
      4,
    );
  });

  it('SUBSCRIBE "a/b" QoS 1, "c/d" QoS 2 (figure 3.22)', () => {
    checkFixture(
      {
        type: 'subscribe',
        packetId: 10,
        subscriptions: [
          { topic: 'a/b', qos: 1 },
          { topic: 'c/d', qos: 2 },
        ],
      },
      hex('82 0E | 00 0A | 00 03 61 2F 62 01 | 00 03 63 2F 64 02'),
      4,
    );
  });

  it('SUBACK granted QoS 0, QoS 2, failure 0x80 (figure 3.26)', () => {
    checkFixture({ type: 'suback', packetId: 10, reasonCodes: [0, 2, 0x80] }, hex('90 05 | 00 0A | 00 02 80'), 4);
  });

  it('UNSUBSCRIBE "a/b", "c/d" (figure 3.30)', () => {
    checkFixture(
      { type: 'unsubscribe', packetId: 10, topics: ['a/b', 'c/d'] },
      hex('A2 0C | 00 0A | 00 03 61 2F 62 | 00 03 63 2F 64'),
      4,
    );
  });
});
