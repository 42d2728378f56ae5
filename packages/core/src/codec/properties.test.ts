import { describe, expect, it } from 'vitest';
import type { AllProperties, Packet, PropertyName } from './packets.js';
import type { CodecError } from './errors.js';
import { decodePacket } from './decoder.js';
import { encodePacket } from './encoder.js';
import { PROPERTIES, carrierBit, propertyById, propertyByName, type PropertyCarrier } from './properties.js';
import { readProperties } from './properties-decode.js';
import { measureProperties, writeProperties } from './properties-encode.js';
import { Reader } from './reader.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s/g, ''), 'hex');

/** A sample value for each property and its wire bytes, written by hand. */
const SAMPLES: Record<PropertyName, [value: unknown, wire: string]> = {
  payloadFormatIndicator: [true, '01 01'],
  messageExpiryInterval: [0xfffffffe, '02 ff ff ff fe'],
  contentType: ['text/é', '03 00 07 74 65 78 74 2f c3 a9'],
  responseTopic: ['r/t', '08 00 03 72 2f 74'],
  correlationData: [hex('00 ff'), '09 00 02 00 ff'],
  subscriptionIdentifier: [[268_435_455], '0b ff ff ff 7f'],
  sessionExpiryInterval: [3600, '11 00 00 0e 10'],
  assignedClientIdentifier: ['id', '12 00 02 69 64'],
  serverKeepAlive: [65535, '13 ff ff'],
  authenticationMethod: ['M', '15 00 01 4d'],
  authenticationData: [hex('01'), '16 00 01 01'],
  requestProblemInformation: [false, '17 00'],
  willDelayInterval: [5, '18 00 00 00 05'],
  requestResponseInformation: [true, '19 01'],
  responseInformation: ['r', '1a 00 01 72'],
  serverReference: ['s', '1c 00 01 73'],
  reasonString: ['why', '1f 00 03 77 68 79'],
  receiveMaximum: [1, '21 00 01'],
  topicAliasMaximum: [0, '22 00 00'],
  topicAlias: [7, '23 00 07'],
  maximumQoS: [0, '24 00'],
  retainAvailable: [false, '25 00'],
  userProperties: [
    [
      ['k', 'v'],
      ['k', ''],
    ],
    '26 00 01 6b 00 01 76 26 00 01 6b 00 00',
  ],
  maximumPacketSize: [1, '27 00 00 00 01'],
  wildcardSubscriptionAvailable: [true, '28 01'],
  subscriptionIdentifierAvailable: [false, '29 00'],
  sharedSubscriptionAvailable: [true, '2a 01'],
};

const CARRIERS: PropertyCarrier[] = [
  'connect',
  'will',
  'connack',
  'publish',
  'puback',
  'pubrec',
  'pubrel',
  'pubcomp',
  'subscribe',
  'suback',
  'unsubscribe',
  'unsuback',
  'disconnect',
  'auth',
];

/** A v5 packet of the carrier's type holding `properties` where that carrier keeps them. */
function packetWith(carrier: PropertyCarrier, properties: AllProperties): Packet {
  const connect = {
    type: 'connect',
    protocolName: 'MQTT',
    protocolVersion: 5,
    clean: true,
    keepalive: 0,
    clientId: 'c',
  } as const;
  switch (carrier) {
    case 'connect':
      return { ...connect, properties };
    case 'will':
      return { ...connect, will: { topic: 'w', payload: hex('01'), qos: 1, retain: false, properties } };
    case 'connack':
      return { type: 'connack', sessionPresent: false, reasonCode: 0, properties };
    case 'publish':
      return { type: 'publish', topic: 't', payload: hex('02'), qos: 0, retain: false, dup: false, properties };
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return { type: carrier, packetId: 1, reasonCode: 0, properties };
    case 'subscribe':
      return {
        type: 'subscribe',
        packetId: 1,
        subscriptions: [{ topic: 'a', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
        properties,
      };
    case 'suback':
      return { type: 'suback', packetId: 1, reasonCodes: [0], properties };
    case 'unsubscribe':
      return { type: 'unsubscribe', packetId: 1, topics: ['a'], properties };
    case 'unsuback':
      return { type: 'unsuback', packetId: 1, reasonCodes: [0], properties };
    case 'disconnect':
      return { type: 'disconnect', reasonCode: 0, properties };
    case 'auth':
      return { type: 'auth', reasonCode: 0, properties };
    case 'pingreq':
    case 'pingresp':
      throw new Error(`${carrier} carries no properties`);
  }
}

/** Runs readProperties over `[property length][bytes]` for `carrier`. */
function read(bytes: Buffer, carrier: PropertyCarrier): AllProperties | undefined {
  const frame = Buffer.concat([Buffer.from([bytes.length]), bytes]);
  const reader = new Reader();
  reader.reset(frame, 0, frame.length);
  const properties = readProperties(reader, carrierBit(carrier));
  expect(reader.pos).toBe(frame.length);
  return properties;
}

const malformed = (): CodecError =>
  expect.objectContaining({ code: 'CODEC_MALFORMED', reasonCode: 0x81 }) as CodecError;
const protocolError = (): CodecError =>
  expect.objectContaining({ code: 'CODEC_PROTOCOL', reasonCode: 0x82 }) as CodecError;

describe('the property table', () => {
  it('lists the 27 MQTT 5.0 properties once each, in identifier order', () => {
    expect(PROPERTIES).toHaveLength(27);
    const ids = PROPERTIES.map((p) => p.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(PROPERTIES.map((p) => p.name)).size).toBe(27);
    for (const p of PROPERTIES) {
      expect(propertyById(p.id)).toBe(p);
      expect(propertyByName(p.name)).toBe(p);
    }
    expect(propertyById(0x00)).toBeUndefined();
  });

  it('only User Property repeats everywhere, and Subscription Identifier only in PUBLISH', () => {
    const repeatable = PROPERTIES.filter((p) => p.repeatableIn.length > 0).map((p) => [p.name, p.repeatableIn]);
    expect(repeatable).toEqual([
      ['subscriptionIdentifier', ['publish']],
      ['userProperties', propertyByName('userProperties').carriers],
    ]);
  });
});

describe.each(PROPERTIES.map((p) => [`0x${p.id.toString(16).padStart(2, '0')} ${p.name}`, p] as const))(
  'property %s',
  (_title, property) => {
    const [value, wire] = SAMPLES[property.name];
    const sample = { [property.name]: value } as AllProperties;

    it.each(property.carriers)('round-trips in %s with the bytes the spec defines', (carrier) => {
      expect(measureProperties(sample, carrierBit(carrier))).toBe(hex(wire).length);
      const buffer = Buffer.alloc(hex(wire).length + 1);
      writeProperties(buffer, 0, sample, hex(wire).length);
      expect(buffer.subarray(1).toString('hex')).toBe(hex(wire).toString('hex'));
      expect(read(hex(wire), carrier)).toEqual(sample);
      const packet = packetWith(carrier, sample);
      expect(decodePacket(encodePacket(packet, 5), 5)).toEqual(packet);
    });

    const elsewhere = CARRIERS.filter((c) => !property.carriers.includes(c));
    if (elsewhere.length > 0) {
      it.each(elsewhere)('is malformed in %s, and the encoder refuses it there', (carrier) => {
        expect(() => read(hex(wire), carrier)).toThrow(malformed());
        expect(() => measureProperties(sample, carrierBit(carrier))).toThrow(
          expect.objectContaining({ code: 'CODEC_UNENCODABLE' }) as CodecError,
        );
      });
    }

    if (property.name !== 'userProperties') {
      it.each(property.carriers.filter((c) => !property.repeatableIn.includes(c)))(
        'appearing twice in %s is a protocol error',
        (carrier) => {
          const once = property.name === 'subscriptionIdentifier' ? '0b 01' : wire;
          expect(() => read(hex(`${once} ${once}`), carrier)).toThrow(protocolError());
        },
      );
    }
  },
);

describe('repeatable properties', () => {
  it('[MQTT-3.1.3-10] keeps User Properties in wire order, repeated names included', () => {
    const properties = read(hex('26 00 01 62 00 01 31 26 00 01 61 00 01 32 26 00 01 62 00 01 33'), 'publish');
    expect(properties?.userProperties).toEqual([
      ['b', '1'],
      ['a', '2'],
      ['b', '3'],
    ]);
  });

  it('PUBLISH keeps several Subscription Identifiers in wire order', () => {
    expect(read(hex('0b 05 0b 01 0b 80 01'), 'publish')).toEqual({ subscriptionIdentifier: [5, 1, 128] });
  });

  it('the encoder refuses several Subscription Identifiers outside PUBLISH', () => {
    expect(() => measureProperties({ subscriptionIdentifier: [1, 2] }, carrierBit('subscribe'))).toThrow(
      expect.objectContaining({ code: 'CODEC_UNENCODABLE', reasonCode: 0x82 }) as CodecError,
    );
  });
});

describe('property values', () => {
  it.each([
    ['Payload Format Indicator 2', '01 02', 'publish'],
    ['Request Problem Information 2', '17 02', 'connect'],
    ['Request Response Information FF', '19 ff', 'connect'],
    ['Maximum QoS 2', '24 02', 'connack'],
    ['Retain Available 2', '25 02', 'connack'],
    ['Wildcard Subscription Available 2', '28 02', 'connack'],
    ['Subscription Identifiers Available 2', '29 02', 'connack'],
    ['Shared Subscription Available 2', '2a 02', 'connack'],
    ['Receive Maximum 0', '21 00 00', 'connect'],
    ['Maximum Packet Size 0', '27 00 00 00 00', 'connack'],
    ['Subscription Identifier 0', '0b 00', 'subscribe'],
  ] as const)('rejects %s as a protocol error', (_title, wire, carrier) => {
    expect(() => read(hex(wire), carrier)).toThrow(protocolError());
  });

  it('[MQTT-3.3.2-8] rejects Topic Alias 0 with its own reason code, 0x94 Topic Alias invalid', () => {
    expect(() => read(hex('23 00 00'), 'publish')).toThrow(expect.objectContaining({ reasonCode: 0x94 }) as CodecError);
  });

  it('[MQTT-3.3.2-14] rejects a Response Topic with wildcards, also after a non-ASCII character', () => {
    expect(() => read(hex('08 00 03 61 2f 23'), 'publish')).toThrow(
      expect.objectContaining({ reasonCode: 0x82, specRule: 'MQTT-3.3.2-14' }) as CodecError,
    );
    expect(() => read(hex('08 00 03 c3 a9 2b'), 'will')).toThrow(protocolError());
  });

  it('reads four-byte integers above 2^31 as unsigned', () => {
    expect(read(hex('02 ff ff ff ff'), 'publish')).toEqual({ messageExpiryInterval: 0xffffffff });
  });

  it.each([
    ['receiveMaximum', 0],
    ['receiveMaximum', 65536],
    ['topicAlias', 0],
    ['serverKeepAlive', -1],
    ['serverKeepAlive', 1.5],
    ['maximumPacketSize', 0],
    ['sessionExpiryInterval', 2 ** 32],
    ['maximumQoS', 2],
  ] as const)('the encoder refuses %s = %d', (name, value) => {
    const carrier = propertyByName(name).carriers[0]!;
    expect(() => measureProperties({ [name]: value }, carrierBit(carrier))).toThrow(
      expect.objectContaining({ code: 'CODEC_UNENCODABLE' }) as CodecError,
    );
  });

  it.each([[[0]], [[268_435_456]]])('the encoder refuses the subscription identifier %j', (ids) => {
    expect(() => measureProperties({ subscriptionIdentifier: ids }, carrierBit('publish'))).toThrow(
      expect.objectContaining({ code: 'CODEC_UNENCODABLE' }) as CodecError,
    );
  });

  it('the encoder refuses strings and binary data over 65,535 bytes', () => {
    expect(() => measureProperties({ reasonString: 'x'.repeat(65_536) }, carrierBit('puback'))).toThrow(
      expect.objectContaining({ code: 'CODEC_UNENCODABLE' }) as CodecError,
    );
    expect(() => measureProperties({ correlationData: Buffer.alloc(65_536) }, carrierBit('publish'))).toThrow(
      expect.objectContaining({ code: 'CODEC_UNENCODABLE' }) as CodecError,
    );
    expect(measureProperties({ reasonString: 'x'.repeat(65_535) }, carrierBit('puback'))).toBe(1 + 2 + 65_535);
  });
});

describe('property list framing', () => {
  it('returns undefined for property length 0', () => {
    expect(read(hex(''), 'publish')).toBeUndefined();
  });

  it.each([
    ['the unknown identifier 0x00', '00 01'],
    ['the unknown identifier 0x04', '04 01'],
    ['the unknown identifier 0x2b', '2b 01'],
    ['a two-byte identifier', '81 01 01'],
  ])('rejects %s as malformed', (_title, wire) => {
    expect(() => read(hex(wire), 'publish')).toThrow(malformed());
  });

  it('rejects a property length past the end of the packet', () => {
    const frame = hex('05 01 01');
    const reader = new Reader();
    reader.reset(frame, 0, frame.length);
    expect(() => readProperties(reader, carrierBit('publish'))).toThrow(malformed());
  });

  it('rejects a value that straddles the property length, even when the packet has more bytes', () => {
    // Property length 3 but Message Expiry Interval needs 5 bytes; the payload after it must not be read.
    const frame = hex('03 02 00 00 00 00 61 62');
    const reader = new Reader();
    reader.reset(frame, 0, frame.length);
    expect(() => readProperties(reader, carrierBit('publish'))).toThrow(malformed());
  });

  it('restores the frame end after the property list', () => {
    const frame = hex('02 01 01 61 62');
    const reader = new Reader();
    reader.reset(frame, 0, frame.length);
    expect(readProperties(reader, carrierBit('publish'))).toEqual({ payloadFormatIndicator: true });
    expect([reader.pos, reader.end]).toEqual([3, 5]);
  });

  it('writes properties in identifier order whatever the object key order', () => {
    const properties: AllProperties = { userProperties: [['a', 'b']], contentType: 'c', payloadFormatIndicator: false };
    const length = measureProperties(properties, carrierBit('publish'));
    const buffer = Buffer.alloc(1 + length);
    writeProperties(buffer, 0, properties, length);
    expect(buffer.toString('hex')).toBe(hex('0d 01 00 03 00 01 63 26 00 01 61 00 01 62').toString('hex'));
  });
});
