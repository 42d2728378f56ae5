/**
 * Byte-exact fixtures for every packet type at levels 3 (MQTT 3.1, "MQIsdp") and 4 (MQTT 3.1.1).
 * Apart from CONNECT, the two levels share one wire format, so each non-CONNECT fixture runs at both.
 */
import { describe, expect, it } from 'vitest';
import { decodePacket, type Packet } from '../../src/codec/index.js';
import { bytes, canon, checkDecodes, checkFixture, decodeAll, hex, utf8 } from './helpers.js';

describe('CONNECT, level 4 (3.1.1)', () => {
  it('minimal: empty client id, clean session, keepalive 0', () => {
    checkFixture(
      { type: 'connect', protocolName: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0, clientId: '' },
      hex('10 0C | 00 04 4D 51 54 54 | 04 | 02 | 00 00 | 00 00'),
      4,
    );
  });

  it('persistent session, keepalive 65535, user name without password', () => {
    checkFixture(
      {
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 4,
        clean: false,
        keepalive: 65535,
        clientId: 'dev-1',
        username: 'alice',
      },
      bytes('10 18', '00 04 4D 51 54 54 | 04 | 80 | FF FF', '00 05 64 65 76 2D 31', '00 05 61 6C 69 63 65'),
      4,
    );
  });

  it('will QoS 2 retained with an empty payload, user name and empty password', () => {
    // flags: user name 80 | password 40 | will retain 20 | will QoS 2 (10) | will 04 | clean 02 = F6
    checkFixture(
      {
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 30,
        clientId: 'c',
        will: { topic: 'w', payload: Buffer.alloc(0), qos: 2, retain: true },
        username: 'u',
        password: Buffer.alloc(0),
      },
      bytes('10 17', '00 04 4D 51 54 54 | 04 | F6 | 00 1E', '00 01 63', '00 01 77', '00 00', '00 01 75', '00 00'),
      4,
    );
  });

  it('a binary password keeps every byte, including 00 and FF', () => {
    checkFixture(
      {
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 0,
        clientId: 'c',
        username: 'u',
        password: hex('00 FF 80 7F'),
      },
      bytes('10 16', '00 04 4D 51 54 54 | 04 | C2 | 00 00', '00 01 63', '00 01 75', '00 04 00 FF 80 7F'),
      4,
    );
  });
});

describe('CONNECT, level 3 (3.1, "MQIsdp")', () => {
  it('will QoS 1 retained, user name and password', () => {
    // flags: user name 80 | password 40 | will retain 20 | will QoS 1 (08) | will 04 = EC (clean session 0)
    checkFixture(
      {
        type: 'connect',
        protocolName: 'MQIsdp',
        protocolVersion: 3,
        clean: false,
        keepalive: 10,
        clientId: 'client',
        will: { topic: 'a/b', payload: utf8('gone'), qos: 1, retain: true },
        username: 'user',
        password: utf8('secret'),
      },
      bytes(
        '10 2D',
        '00 06 4D 51 49 73 64 70 | 03 | EC | 00 0A',
        '00 06 63 6C 69 65 6E 74',
        '00 03 61 2F 62',
        '00 04 67 6F 6E 65',
        '00 04 75 73 65 72',
        '00 06 73 65 63 72 65 74',
      ),
      3,
    );
  });
});

/** Fixtures whose bytes are the same at levels 3 and 4. */
const shared: [title: string, packet: Packet, wire: string][] = [
  ['CONNACK accepted', { type: 'connack', sessionPresent: false, reasonCode: 0 }, '20 02 00 00'],
  [
    'CONNACK refused: bad user name or password (4)',
    { type: 'connack', sessionPresent: false, reasonCode: 4 },
    '20 02 00 04',
  ],
  ['CONNACK refused: not authorized (5)', { type: 'connack', sessionPresent: false, reasonCode: 5 }, '20 02 00 05'],
  [
    'PUBLISH QoS 0 "a/b" payload "hi"',
    { type: 'publish', topic: 'a/b', payload: utf8('hi'), qos: 0, retain: false, dup: false },
    '30 07 | 00 03 61 2F 62 | 68 69',
  ],
  [
    'PUBLISH QoS 0 retained with an empty payload',
    { type: 'publish', topic: 'a/b', payload: Buffer.alloc(0), qos: 0, retain: true, dup: false },
    '31 05 | 00 03 61 2F 62',
  ],
  [
    'PUBLISH QoS 1 DUP retained, packet id 0x1234',
    { type: 'publish', topic: 'a/b', payload: utf8('hi'), qos: 1, retain: true, dup: true, packetId: 0x1234 },
    '3B 09 | 00 03 61 2F 62 | 12 34 | 68 69',
  ],
  [
    'PUBLISH QoS 2, packet id 65535, binary payload',
    { type: 'publish', topic: 't', payload: hex('00 FF 00'), qos: 2, retain: false, dup: false, packetId: 65535 },
    '34 08 | 00 01 74 | FF FF | 00 FF 00',
  ],
  [
    'PUBLISH QoS 2 DUP, packet id 1',
    { type: 'publish', topic: 't', payload: Buffer.alloc(0), qos: 2, retain: false, dup: true, packetId: 1 },
    '3C 05 | 00 01 74 | 00 01',
  ],
  ['PUBACK packet id 10', { type: 'puback', packetId: 10 }, '40 02 00 0A'],
  ['PUBREC packet id 65535', { type: 'pubrec', packetId: 65535 }, '50 02 FF FF'],
  ['PUBREL packet id 1 (flags 0010)', { type: 'pubrel', packetId: 1 }, '62 02 00 01'],
  ['PUBCOMP packet id 0x0102', { type: 'pubcomp', packetId: 0x0102 }, '70 02 01 02'],
  [
    'SUBSCRIBE with wildcard filters (flags 0010)',
    {
      type: 'subscribe',
      packetId: 7,
      subscriptions: [
        { topic: 'a/+/c', qos: 0 },
        { topic: '#', qos: 1 },
        { topic: 'sport/tennis/#', qos: 2 },
      ],
    },
    '82 1F | 00 07 | 00 05 61 2F 2B 2F 63 00 | 00 01 23 01 | 00 0E 73 70 6F 72 74 2F 74 65 6E 6E 69 73 2F 23 02',
  ],
  ['SUBACK one granted QoS 1', { type: 'suback', packetId: 7, reasonCodes: [1] }, '90 03 00 07 01'],
  [
    'UNSUBSCRIBE one filter (flags 0010)',
    { type: 'unsubscribe', packetId: 0x0101, topics: ['a/#'] },
    'A2 07 | 01 01 | 00 03 61 2F 23',
  ],
  ['UNSUBACK packet id 7', { type: 'unsuback', packetId: 7 }, 'B0 02 00 07'],
  ['PINGREQ', { type: 'pingreq' }, 'C0 00'],
  ['PINGRESP', { type: 'pingresp' }, 'D0 00'],
  ['DISCONNECT', { type: 'disconnect' }, 'E0 00'],
];

describe.each([3, 4] as const)('every other packet at level %i', (version) => {
  it.each(shared)('%s', (_title, packet, wire) => {
    checkFixture(packet, hex(wire), version);
  });
});

describe('CONNACK Session Present', () => {
  it('level 4: byte 1 bit 0 is Session Present', () => {
    checkFixture({ type: 'connack', sessionPresent: true, reasonCode: 0 }, hex('20 02 01 00'), 4);
  });
});

describe('fields that exist only in 5.0 are absent at levels 3 and 4', () => {
  it('a 3.1.1 PUBACK has no reasonCode and no properties', () => {
    const packet = decodePacket(hex('40 02 00 0A'), 4);
    expect(canon(packet)).toStrictEqual({ type: 'puback', packetId: 10 });
    expect(packet).not.toHaveProperty('reasonCode', expect.anything());
    expect(packet).not.toHaveProperty('properties', expect.anything());
  });

  it('a 3.1.1 SUBSCRIBE entry has no v5 subscription options', () => {
    const [packet] = decodeAll(hex('82 06 00 01 00 01 61 01'), 4);
    expect(packet).toStrictEqual({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'a', qos: 1 }] });
  });

  it('a 3.1.1 DISCONNECT has no reasonCode', () => {
    checkDecodes(hex('E0 00'), { type: 'disconnect' }, 4);
  });
});

describe('a stream of several packets', () => {
  it('decodes back-to-back packets of one chunk in order, with their frame sizes', () => {
    const stream = hex('C0 00 | 30 07 00 03 61 2F 62 68 69 | 40 02 00 0A | D0 00');
    expect(decodeAll(stream, 4)).toStrictEqual([
      { type: 'pingreq' },
      { type: 'publish', topic: 'a/b', payload: utf8('hi'), qos: 0, retain: false, dup: false },
      { type: 'puback', packetId: 10 },
      { type: 'pingresp' },
    ]);
  });
});
