import { describe, expect, it } from 'vitest';
import type { Packet, ProtocolVersion, PublishPacket } from './packets.js';
import type { CodecError } from './errors.js';
import { decodePacket } from './decoder.js';
import { encodeInto, encodePacket, encodedLength } from './encoder.js';
import { encodePublishOnce } from './fanout.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/[\s|]/g, ''), 'hex');

const publish = (fields: Partial<PublishPacket> = {}): PublishPacket => ({
  type: 'publish',
  topic: 't',
  payload: Buffer.from('x'),
  qos: 0,
  retain: false,
  dup: false,
  ...fields,
});

function unencodable(fields: Partial<CodecError> = {}): CodecError {
  return expect.objectContaining({ code: 'CODEC_UNENCODABLE', ...fields }) as CodecError;
}

/** One packet of every type per version, in canonical form. */
const SAMPLES: [ProtocolVersion, Packet][] = [
  [
    3,
    {
      type: 'connect',
      protocolName: 'MQIsdp',
      protocolVersion: 3,
      clean: true,
      keepalive: 5,
      clientId: 'c',
      username: 'u',
      password: hex('00'),
    },
  ],
  [
    4,
    {
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      clean: false,
      keepalive: 0,
      clientId: '',
      will: { topic: 'w', payload: hex(''), qos: 2, retain: true },
    },
  ],
  [
    5,
    {
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      clean: true,
      keepalive: 65535,
      clientId: 'é',
      password: hex('01'),
      properties: { sessionExpiryInterval: 1 },
      will: { topic: 'w', payload: hex('02'), qos: 1, retain: false, properties: { willDelayInterval: 2 } },
    },
  ],
  [4, { type: 'connack', sessionPresent: true, reasonCode: 0 }],
  [5, { type: 'connack', sessionPresent: false, reasonCode: 0x87, properties: { reasonString: 'no' } }],
  [4, publish({ qos: 2, dup: true, retain: true, packetId: 65535 })],
  [5, publish({ qos: 1, packetId: 1, properties: { subscriptionIdentifier: [1, 2], contentType: 'c' } })],
  [4, { type: 'puback', packetId: 1 }],
  [5, { type: 'pubrec', packetId: 2, reasonCode: 0x80 }],
  [5, { type: 'pubrel', packetId: 3, reasonCode: 0, properties: { reasonString: 'r' } }],
  [3, { type: 'pubcomp', packetId: 4 }],
  [
    4,
    {
      type: 'subscribe',
      packetId: 5,
      subscriptions: [
        { topic: 'a/+', qos: 1 },
        { topic: '#', qos: 0 },
      ],
    },
  ],
  [
    5,
    {
      type: 'subscribe',
      packetId: 5,
      subscriptions: [{ topic: 'a', qos: 2, noLocal: true, retainAsPublished: false, retainHandling: 1 }],
      properties: { subscriptionIdentifier: [7] },
    },
  ],
  [4, { type: 'suback', packetId: 6, reasonCodes: [0, 0x80] }],
  [5, { type: 'suback', packetId: 6, reasonCodes: [0x9e] }],
  [4, { type: 'unsubscribe', packetId: 7, topics: ['a', 'b'] }],
  [5, { type: 'unsubscribe', packetId: 7, topics: ['a'], properties: { userProperties: [['k', 'v']] } }],
  [4, { type: 'unsuback', packetId: 8 }],
  [5, { type: 'unsuback', packetId: 8, reasonCodes: [0x11] }],
  [4, { type: 'pingreq' }],
  [5, { type: 'pingresp' }],
  [4, { type: 'disconnect' }],
  [5, { type: 'disconnect', reasonCode: 0x8e, properties: { serverReference: 's' } }],
  [5, { type: 'auth', reasonCode: 0x19, properties: { authenticationData: hex('aa') } }],
];

describe('encoder', () => {
  it.each(SAMPLES.map(([version, packet]) => [packet.type, version, packet] as const))(
    '%s at level %i round-trips through the decoder',
    (_type, version, packet) => {
      const wire = encodePacket(packet, version);
      expect(wire.length).toBe(encodedLength(packet, version));
      expect(decodePacket(wire, version)).toStrictEqual(packet);
    },
  );

  it('encodeInto writes at the offset, returns the end offset and touches nothing else', () => {
    for (const [version, packet] of SAMPLES) {
      const length = encodedLength(packet, version);
      const buffer = Buffer.alloc(length + 10, 0xee);
      expect(encodeInto(packet, buffer, 4, version)).toBe(4 + length);
      expect(buffer.subarray(4, 4 + length).equals(encodePacket(packet, version))).toBe(true);
      expect([...buffer.subarray(0, 4), ...buffer.subarray(4 + length)].every((b) => b === 0xee)).toBe(true);
    }
  });

  it('encodeInto refuses a buffer that is too small with a RangeError, writing nothing', () => {
    const buffer = Buffer.alloc(6, 0xee);
    expect(() => encodeInto(publish(), buffer, 1)).toThrow(RangeError);
    expect(() => encodeInto(publish(), buffer, -1)).toThrow(RangeError);
    expect(buffer.every((b) => b === 0xee)).toBe(true);
    expect(encodeInto(publish(), buffer, 0)).toBe(6);
  });

  it('encodes a CONNECT with its own protocol version, whatever version it is given', () => {
    const connect: Packet = {
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      clean: true,
      keepalive: 0,
      clientId: '',
    };
    const expected = '100d00044d5154540502000000' + '0000';
    expect(encodePacket(connect, 4).toString('hex')).toBe(expected);
    expect(encodedLength(connect, 3)).toBe(15);
    const buffer = Buffer.alloc(15);
    encodeInto(connect, buffer, 0, 4);
    expect(buffer.toString('hex')).toBe(expected);
  });

  it('ignores v5-only fields at levels 3 and 4', () => {
    expect(
      encodePacket({ type: 'puback', packetId: 1, reasonCode: 0x80, properties: { reasonString: 'r' } }, 4).toString(
        'hex',
      ),
    ).toBe('40020001');
    expect(encodePacket(publish({ properties: { contentType: 'c' } }), 4).toString('hex')).toBe('3004000174' + '78');
    expect(encodePacket({ type: 'unsuback', packetId: 1, reasonCodes: [0] }, 4).toString('hex')).toBe('b0020001');
    expect(encodePacket({ type: 'disconnect', reasonCode: 4 }, 3).toString('hex')).toBe('e000');
  });

  describe('shortest forms in v5', () => {
    it.each([
      ['puback, Success, no properties', { type: 'puback', packetId: 1, reasonCode: 0 }, '40 02 00 01'],
      ['puback, reasonCode omitted', { type: 'puback', packetId: 1 }, '40 02 00 01'],
      ['pubrec with a reason code only', { type: 'pubrec', packetId: 1, reasonCode: 0x10 }, '50 03 00 01 10'],
      [
        'pubcomp, empty properties object',
        { type: 'pubcomp', packetId: 1, reasonCode: 0, properties: {} },
        '70 02 00 01',
      ],
      ['disconnect, Success', { type: 'disconnect', reasonCode: 0 }, 'e0 00'],
      ['disconnect, reasonCode omitted', { type: 'disconnect' }, 'e0 00'],
      ['disconnect with a reason code only', { type: 'disconnect', reasonCode: 0x04 }, 'e0 01 04'],
      ['auth, Success', { type: 'auth', reasonCode: 0 }, 'f0 00'],
      ['auth with a reason code keeps the property length', { type: 'auth', reasonCode: 0x18 }, 'f0 02 18 00'],
      ['suback always has the property length', { type: 'suback', packetId: 1, reasonCodes: [0] }, '90 04 00 01 00 00'],
      [
        'connack always has the property length',
        { type: 'connack', sessionPresent: false, reasonCode: 0 },
        '20 03 00 00 00',
      ],
    ] as [string, Packet, string][])('%s', (_title, packet, wire) => {
      expect(encodePacket(packet, 5).toString('hex')).toBe(hex(wire).toString('hex'));
    });
  });

  describe('refuses packets that cannot be put on the wire', () => {
    it('[MQTT-2.3.1-1] a QoS > 0 PUBLISH, an ack or a SUBSCRIBE without a packet identifier 1..65535', () => {
      for (const packetId of [undefined, 0, 65536, 1.5, -1]) {
        expect(() => encodePacket(publish({ qos: 1, packetId }))).toThrow(unencodable({ specRule: 'MQTT-2.3.1-1' }));
      }
      expect(() => encodePacket({ type: 'puback', packetId: 0 })).toThrow(unencodable({ specRule: 'MQTT-2.3.1-1' }));
      expect(() => encodePacket({ type: 'subscribe', packetId: 0, subscriptions: [{ topic: 'a', qos: 0 }] })).toThrow(
        unencodable({ specRule: 'MQTT-2.3.1-1' }),
      );
    });

    it('[MQTT-3.3.1-4] QoS 3; [MQTT-3.3.1-2] DUP on QoS 0', () => {
      expect(() => encodePacket(publish({ qos: 3 as 0, packetId: 1 }))).toThrow(
        unencodable({ specRule: 'MQTT-3.3.1-4' }),
      );
      expect(() => encodePacket(publish({ dup: true }))).toThrow(unencodable({ specRule: 'MQTT-3.3.1-2' }));
    });

    it('[MQTT-4.7.3-1] an empty topic, unless v5 with a Topic Alias', () => {
      expect(() => encodePacket(publish({ topic: '' }), 4)).toThrow(unencodable({ specRule: 'MQTT-4.7.3-1' }));
      expect(() => encodePacket(publish({ topic: '' }), 5)).toThrow(unencodable({ specRule: 'MQTT-4.7.3-1' }));
      expect(encodePacket(publish({ topic: '', properties: { topicAlias: 2 } }), 5).toString('hex')).toBe(
        '300700000323000278',
      );
    });

    it('a string over 65,535 bytes, counted in UTF-8 bytes', () => {
      expect(() => encodePacket(publish({ topic: 'x'.repeat(65_536) }))).toThrow(unencodable());
      expect(() => encodePacket(publish({ topic: 'é'.repeat(32_768) }))).toThrow(unencodable());
      expect(encodedLength(publish({ topic: 'x'.repeat(65_535) }))).toBe(1 + 3 + 2 + 65_535 + 1);
    });

    it('[MQTT-1.5.3-2] U+0000 and [MQTT-1.5.3-1] unpaired surrogates in a string', () => {
      expect(() => encodePacket(publish({ topic: 'a\u0000' }))).toThrow(unencodable({ specRule: 'MQTT-1.5.3-2' }));
      expect(() => encodePacket({ type: 'unsubscribe', packetId: 1, topics: ['\ud800'] })).toThrow(
        unencodable({ specRule: 'MQTT-1.5.3-1' }),
      );
    });

    it('binary data over 65,535 bytes', () => {
      const connect: Packet = {
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 0,
        clientId: 'c',
        username: 'u',
        password: Buffer.alloc(65_536),
      };
      expect(() => encodePacket(connect)).toThrow(unencodable());
    });

    it('a remaining length over 268,435,455 bytes', () => {
      // Only the length is read before the check, so a stand-in avoids allocating 256 MiB.
      const payload = { length: 268_435_456 } as Buffer;
      expect(() => encodedLength(publish({ payload }))).toThrow(
        expect.objectContaining({ code: 'CODEC_TOO_LARGE', reasonCode: 0x95 }) as CodecError,
      );
      // Topic "t" takes 3 bytes: one byte more than the limit.
      expect(() => encodePacket(publish({ payload: { length: 268_435_453 } as Buffer }))).toThrow(
        expect.objectContaining({ code: 'CODEC_TOO_LARGE' }) as CodecError,
      );
    });

    it('[MQTT-3.8.3-3] an empty SUBSCRIBE and [MQTT-3.10.3-2] an empty UNSUBSCRIBE', () => {
      expect(() => encodePacket({ type: 'subscribe', packetId: 1, subscriptions: [] })).toThrow(
        unencodable({ specRule: 'MQTT-3.8.3-3' }),
      );
      expect(() => encodePacket({ type: 'unsubscribe', packetId: 1, topics: [] })).toThrow(
        unencodable({ specRule: 'MQTT-3.10.3-2' }),
      );
    });

    it('subscription QoS 3 and retain handling 3', () => {
      expect(() =>
        encodePacket({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'a', qos: 3 as 0 }] }),
      ).toThrow(unencodable());
      expect(() =>
        encodePacket(
          { type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'a', qos: 0, retainHandling: 3 as 0 }] },
          5,
        ),
      ).toThrow(unencodable());
    });

    it('return and reason codes the packet may not carry', () => {
      expect(() => encodePacket({ type: 'connack', sessionPresent: false, reasonCode: 6 }, 4)).toThrow(unencodable());
      expect(() => encodePacket({ type: 'connack', sessionPresent: false, reasonCode: 0x10 }, 5)).toThrow(
        unencodable(),
      );
      expect(() => encodePacket({ type: 'suback', packetId: 1, reasonCodes: [3] }, 4)).toThrow(
        unencodable({ specRule: 'MQTT-3.9.3-2' }),
      );
      expect(() => encodePacket({ type: 'suback', packetId: 1, reasonCodes: [] }, 4)).toThrow(unencodable());
      expect(() => encodePacket({ type: 'puback', packetId: 1, reasonCode: 0x92 }, 5)).toThrow(unencodable());
      expect(() => encodePacket({ type: 'pubrel', packetId: 1, reasonCode: 256 }, 5)).toThrow(unencodable());
      expect(() => encodePacket({ type: 'unsuback', packetId: 1 }, 5)).toThrow(unencodable());
      expect(() => encodePacket({ type: 'disconnect', reasonCode: 0x18 }, 5)).toThrow(unencodable());
    });

    it('AUTH before MQTT 5', () => {
      expect(() => encodePacket({ type: 'auth', reasonCode: 0 }, 4)).toThrow(unencodable());
    });

    it('[MQTT-3.1.2-22] a v3/v4 password without a user name; protocol name and level that do not match', () => {
      const base = { type: 'connect', clean: true, keepalive: 0, clientId: 'c' } as const;
      expect(() => encodePacket({ ...base, protocolName: 'MQTT', protocolVersion: 4, password: hex('01') })).toThrow(
        unencodable({ specRule: 'MQTT-3.1.2-22' }),
      );
      expect(() => encodePacket({ ...base, protocolName: 'MQTT', protocolVersion: 3 })).toThrow(
        unencodable({ reasonCode: 0x84 }),
      );
      expect(() => encodePacket({ ...base, protocolName: 'MQIsdp', protocolVersion: 4 })).toThrow(
        unencodable({ reasonCode: 0x84 }),
      );
      expect(() => encodePacket({ ...base, protocolName: 'MQTT', protocolVersion: 4, keepalive: 65_536 })).toThrow(
        unencodable(),
      );
      expect(() =>
        encodePacket({
          ...base,
          protocolName: 'MQTT',
          protocolVersion: 4,
          will: { topic: 'w', payload: hex(''), qos: 3 as 0, retain: false },
        }),
      ).toThrow(unencodable({ specRule: 'MQTT-3.1.2-14' }));
    });

    it('an unknown packet type', () => {
      expect(() => encodePacket({ type: 'nope' } as unknown as Packet)).toThrow(unencodable());
    });
  });
});

describe('PUBLISH topic names on the way out', () => {
  it('[MQTT-3.3.2-2] refuses to encode a wildcard in a PUBLISH topic, in every encode path', () => {
    for (const topic of ['a/+', 'a/#', '+', 'x#y']) {
      const packet = publish({ topic });
      expect(() => encodePacket(packet), topic).toThrow(/must not contain \+ or #/);
      expect(() => encodePublishOnce(packet), topic).toThrow(/must not contain \+ or #/);
      expect(() => encodedLength(packet), topic).toThrow(/must not contain \+ or #/);
    }
    expect(() => encodePacket(publish({ topic: 'a/b c' }))).not.toThrow();
  });
});
