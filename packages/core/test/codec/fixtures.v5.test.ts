/**
 * Byte-exact fixtures for every MQTT 5.0 packet, including every property each packet allows.
 * Expected bytes are written by hand from the spec (section 2.2.2.2: property identifier, then value).
 *
 * Properties are listed in ascending identifier order, the order our encoder writes them in; repeated
 * properties (User Property, Subscription Identifier) keep their order.
 */
import { describe, expect, it } from 'vitest';
import { decodePacket, encodePacket, type Packet } from '../../src/codec/index.js';
import { bytes, canon, checkDecodes, checkFixture, hex, utf8 } from './helpers.js';

describe('CONNECT 5.0', () => {
  it('minimal: no properties (property length 00)', () => {
    checkFixture(
      { type: 'connect', protocolName: 'MQTT', protocolVersion: 5, clean: true, keepalive: 0, clientId: '' },
      hex('10 0D | 00 04 4D 51 54 54 | 05 | 02 | 00 00 | 00 | 00 00'),
      5,
    );
  });

  it('every CONNECT property and every will property', () => {
    const packet: Packet = {
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      clean: false,
      keepalive: 30,
      clientId: 'c1',
      properties: {
        sessionExpiryInterval: 120,
        authenticationMethod: 'PLAIN',
        authenticationData: hex('01 02'),
        requestProblemInformation: false,
        requestResponseInformation: true,
        receiveMaximum: 20,
        topicAliasMaximum: 10,
        userProperties: [
          ['k', 'v'],
          ['k', 'v2'],
        ],
        maximumPacketSize: 4096,
      },
      will: {
        topic: 'w/t',
        payload: utf8('bye'),
        qos: 2,
        retain: true,
        properties: {
          payloadFormatIndicator: true,
          messageExpiryInterval: 60,
          contentType: 'txt',
          responseTopic: 'r/t',
          correlationData: hex('CA FE'),
          willDelayInterval: 5,
          userProperties: [['a', 'b']],
        },
      },
      username: 'u',
      password: utf8('pw'),
    };
    const wire = bytes(
      '10 75', // remaining length 117
      '00 04 4D 51 54 54 | 05 | F4 | 00 1E', // flags: user name, password, will retain, will QoS 2, will
      '30', // property length 48
      '11 00 00 00 78', // Session Expiry Interval 120
      '15 00 05 50 4C 41 49 4E', // Authentication Method "PLAIN"
      '16 00 02 01 02', // Authentication Data 01 02
      '17 00', // Request Problem Information 0
      '19 01', // Request Response Information 1
      '21 00 14', // Receive Maximum 20
      '22 00 0A', // Topic Alias Maximum 10
      '26 00 01 6B 00 01 76', // User Property k=v
      '26 00 01 6B 00 02 76 32', // User Property k=v2 (names may repeat)
      '27 00 00 10 00', // Maximum Packet Size 4096
      '00 02 63 31', // client id "c1"
      '24', // will property length 36
      '01 01', // Payload Format Indicator 1
      '02 00 00 00 3C', // Message Expiry Interval 60
      '03 00 03 74 78 74', // Content Type "txt"
      '08 00 03 72 2F 74', // Response Topic "r/t"
      '09 00 02 CA FE', // Correlation Data
      '18 00 00 00 05', // Will Delay Interval 5
      '26 00 01 61 00 01 62', // User Property a=b
      '00 03 77 2F 74', // will topic
      '00 03 62 79 65', // will payload
      '00 01 75', // user name
      '00 02 70 77', // password
    );
    checkFixture(packet, wire, 5);
  });

  it('a password without a user name is allowed in 5.0 (flags 42)', () => {
    checkFixture(
      {
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 5,
        clean: true,
        keepalive: 0,
        clientId: 'c',
        password: utf8('token'),
      },
      bytes('10 15', '00 04 4D 51 54 54 | 05 | 42 | 00 00 | 00', '00 01 63', '00 05 74 6F 6B 65 6E'),
      5,
    );
  });
});

describe('CONNACK 5.0', () => {
  it('minimal: success, no properties', () => {
    checkFixture({ type: 'connack', sessionPresent: false, reasonCode: 0 }, hex('20 03 00 00 00'), 5);
  });

  it('Unsupported Protocol Version (0x84)', () => {
    checkFixture({ type: 'connack', sessionPresent: false, reasonCode: 0x84 }, hex('20 03 00 84 00'), 5);
  });

  it('every CONNACK property', () => {
    const packet: Packet = {
      type: 'connack',
      sessionPresent: true,
      reasonCode: 0,
      properties: {
        sessionExpiryInterval: 0,
        assignedClientIdentifier: 'id',
        serverKeepAlive: 60,
        authenticationMethod: 'M',
        authenticationData: hex('FF'),
        responseInformation: 'r',
        serverReference: 's',
        reasonString: 'ok',
        receiveMaximum: 65535,
        topicAliasMaximum: 5,
        maximumQoS: 1,
        retainAvailable: false,
        userProperties: [['x', 'y']],
        maximumPacketSize: 65536,
        wildcardSubscriptionAvailable: true,
        subscriptionIdentifierAvailable: false,
        sharedSubscriptionAvailable: true,
      },
    };
    const wire = bytes(
      '20 41', // remaining length 65
      '01 00', // Session Present, reason code 0
      '3E', // property length 62
      '11 00 00 00 00', // Session Expiry Interval 0
      '12 00 02 69 64', // Assigned Client Identifier "id"
      '13 00 3C', // Server Keep Alive 60
      '15 00 01 4D', // Authentication Method "M"
      '16 00 01 FF', // Authentication Data FF
      '1A 00 01 72', // Response Information "r"
      '1C 00 01 73', // Server Reference "s"
      '1F 00 02 6F 6B', // Reason String "ok"
      '21 FF FF', // Receive Maximum 65535
      '22 00 05', // Topic Alias Maximum 5
      '24 01', // Maximum QoS 1
      '25 00', // Retain Available 0
      '26 00 01 78 00 01 79', // User Property x=y
      '27 00 01 00 00', // Maximum Packet Size 65536
      '28 01', // Wildcard Subscription Available 1
      '29 00', // Subscription Identifiers Available 0
      '2A 01', // Shared Subscription Available 1
    );
    checkFixture(packet, wire, 5);
  });
});

describe('PUBLISH 5.0', () => {
  it('QoS 0 without properties (property length 00)', () => {
    checkFixture(
      { type: 'publish', topic: 'a/b', payload: utf8('hi'), qos: 0, retain: false, dup: false },
      hex('30 08 | 00 03 61 2F 62 | 00 | 68 69'),
      5,
    );
  });

  it('every PUBLISH property, two subscription identifiers', () => {
    const packet: Packet = {
      type: 'publish',
      topic: 'a/b',
      payload: utf8('hi'),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 10,
      properties: {
        payloadFormatIndicator: false,
        messageExpiryInterval: 86400,
        contentType: 'text',
        responseTopic: 'reply',
        correlationData: hex('01 02 03'),
        subscriptionIdentifier: [1, 268_435_455],
        topicAlias: 7,
        userProperties: [['k', 'v']],
      },
    };
    const wire = bytes(
      '32 37', // QoS 1, remaining length 55
      '00 03 61 2F 62 | 00 0A', // topic "a/b", packet id 10
      '2D', // property length 45
      '01 00', // Payload Format Indicator 0
      '02 00 01 51 80', // Message Expiry Interval 86400
      '03 00 04 74 65 78 74', // Content Type "text"
      '08 00 05 72 65 70 6C 79', // Response Topic "reply"
      '09 00 03 01 02 03', // Correlation Data
      '0B 01', // Subscription Identifier 1
      '0B FF FF FF 7F', // Subscription Identifier 268,435,455 (4-byte variable byte integer)
      '23 00 07', // Topic Alias 7
      '26 00 01 6B 00 01 76', // User Property k=v
      '68 69', // payload
    );
    checkFixture(packet, wire, 5);
  });

  it('User Properties keep their wire order, with repeated names', () => {
    const packet: Packet = {
      type: 'publish',
      topic: 't',
      payload: Buffer.alloc(0),
      qos: 0,
      retain: true,
      dup: false,
      properties: {
        userProperties: [
          ['b', '1'],
          ['a', '2'],
          ['b', '3'],
        ],
      },
    };
    checkFixture(
      packet,
      bytes('31 19', '00 01 74', '15', '26 00 01 62 00 01 31', '26 00 01 61 00 01 32', '26 00 01 62 00 01 33'),
      5,
    );
  });
});

describe('PUBACK, PUBREC, PUBREL, PUBCOMP 5.0', () => {
  it('reason 0 and no properties: the short form (remaining length 2)', () => {
    checkFixture({ type: 'puback', packetId: 10, reasonCode: 0 }, hex('40 02 00 0A'), 5);
    checkFixture({ type: 'pubrec', packetId: 10, reasonCode: 0 }, hex('50 02 00 0A'), 5);
    checkFixture({ type: 'pubrel', packetId: 10, reasonCode: 0 }, hex('62 02 00 0A'), 5);
    checkFixture({ type: 'pubcomp', packetId: 10, reasonCode: 0 }, hex('70 02 00 0A'), 5);
  });

  it('a reason code without properties omits the property length (remaining length 3)', () => {
    checkFixture({ type: 'puback', packetId: 10, reasonCode: 0x10 }, hex('40 03 00 0A 10'), 5);
    checkFixture({ type: 'pubrec', packetId: 10, reasonCode: 0x97 }, hex('50 03 00 0A 97'), 5);
    checkFixture({ type: 'pubrel', packetId: 10, reasonCode: 0x92 }, hex('62 03 00 0A 92'), 5);
    checkFixture({ type: 'pubcomp', packetId: 10, reasonCode: 0x92 }, hex('70 03 00 0A 92'), 5);
  });

  it('every ack property: Reason String and User Property', () => {
    const properties = { reasonString: 'bad', userProperties: [['k', 'v'] as const] };
    const tail = '0D | 1F 00 03 62 61 64 | 26 00 01 6B 00 01 76'; // property length 13
    checkFixture({ type: 'puback', packetId: 10, reasonCode: 0x99, properties }, hex(`40 11 00 0A 99 ${tail}`), 5);
    checkFixture({ type: 'pubrec', packetId: 10, reasonCode: 0x80, properties }, hex(`50 11 00 0A 80 ${tail}`), 5);
    checkFixture({ type: 'pubrel', packetId: 10, reasonCode: 0x92, properties }, hex(`62 11 00 0A 92 ${tail}`), 5);
    checkFixture({ type: 'pubcomp', packetId: 10, reasonCode: 0, properties }, hex(`70 11 00 0A 00 ${tail}`), 5);
  });

  it('decodes the longer equivalent forms to the canonical packet (reason 00, property length 00)', () => {
    checkDecodes(hex('40 03 00 0A 00'), { type: 'puback', packetId: 10, reasonCode: 0 }, 5);
    checkDecodes(hex('40 04 00 0A 00 00'), { type: 'puback', packetId: 10, reasonCode: 0 }, 5);
    checkDecodes(hex('62 04 00 0A 92 00'), { type: 'pubrel', packetId: 10, reasonCode: 0x92 }, 5);
    // ...and the encoder always writes the shortest form.
    expect(encodePacket({ type: 'puback', packetId: 10, reasonCode: 0 }, 5).toString('hex')).toBe('4002000a');
  });
});

describe('SUBSCRIBE 5.0', () => {
  it('every subscription option and every SUBSCRIBE property', () => {
    const packet: Packet = {
      type: 'subscribe',
      packetId: 10,
      properties: { subscriptionIdentifier: [300], userProperties: [['k', 'v']] },
      subscriptions: [
        { topic: 'a/+', qos: 1, noLocal: true, retainAsPublished: false, retainHandling: 0 },
        { topic: 'c/#', qos: 2, noLocal: false, retainAsPublished: true, retainHandling: 2 },
        { topic: 'd', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 1 },
      ],
    };
    const wire = bytes(
      '82 1D', // remaining length 29
      '00 0A', // packet id
      '0A', // property length 10
      '0B AC 02', // Subscription Identifier 300 (variable byte integer AC 02)
      '26 00 01 6B 00 01 76', // User Property k=v
      '00 03 61 2F 2B | 05', // "a/+": QoS 1 (01) | No Local (04)
      '00 03 63 2F 23 | 2A', // "c/#": QoS 2 (02) | Retain As Published (08) | Retain Handling 2 (20)
      '00 01 64 | 10', // "d": QoS 0 | Retain Handling 1 (10)
    );
    checkFixture(packet, wire, 5);
  });

  it('no properties, default options', () => {
    checkFixture(
      {
        type: 'subscribe',
        packetId: 1,
        subscriptions: [{ topic: 'a/b', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
      },
      hex('82 09 | 00 01 | 00 | 00 03 61 2F 62 01'),
      5,
    );
  });
});

describe('SUBACK 5.0', () => {
  it('reason codes with every SUBACK property', () => {
    checkFixture(
      {
        type: 'suback',
        packetId: 10,
        reasonCodes: [0x00, 0x01, 0x02, 0x80, 0xa2],
        properties: { reasonString: 'r', userProperties: [['k', 'v']] },
      },
      bytes('90 13', '00 0A', '0B', '1F 00 01 72', '26 00 01 6B 00 01 76', '00 01 02 80 A2'),
      5,
    );
  });

  it('no properties (property length 00 is always present)', () => {
    checkFixture({ type: 'suback', packetId: 10, reasonCodes: [1] }, hex('90 04 00 0A 00 01'), 5);
  });
});

describe('UNSUBSCRIBE and UNSUBACK 5.0', () => {
  it('UNSUBSCRIBE with a User Property', () => {
    checkFixture(
      { type: 'unsubscribe', packetId: 10, topics: ['a/b', 'c/#'], properties: { userProperties: [['k', 'v']] } },
      bytes('A2 14', '00 0A', '07 | 26 00 01 6B 00 01 76', '00 03 61 2F 62', '00 03 63 2F 23'),
      5,
    );
  });

  it('UNSUBSCRIBE without properties', () => {
    checkFixture({ type: 'unsubscribe', packetId: 10, topics: ['a'] }, hex('A2 06 00 0A 00 00 01 61'), 5);
  });

  it('UNSUBACK with one reason code per filter, no properties', () => {
    checkFixture({ type: 'unsuback', packetId: 10, reasonCodes: [0x00, 0x11] }, hex('B0 05 00 0A 00 00 11'), 5);
  });

  it('UNSUBACK with every property', () => {
    checkFixture(
      {
        type: 'unsuback',
        packetId: 10,
        reasonCodes: [0x87],
        properties: { reasonString: 'r', userProperties: [['k', 'v']] },
      },
      bytes('B0 0F', '00 0A', '0B | 1F 00 01 72 | 26 00 01 6B 00 01 76', '87'),
      5,
    );
  });
});

describe('PINGREQ and PINGRESP 5.0', () => {
  it('are the same two bytes as before', () => {
    checkFixture({ type: 'pingreq' }, hex('C0 00'), 5);
    checkFixture({ type: 'pingresp' }, hex('D0 00'), 5);
  });
});

describe('DISCONNECT 5.0', () => {
  it('reason 0 without properties: remaining length 0, decoded with reasonCode 0', () => {
    checkFixture({ type: 'disconnect', reasonCode: 0 }, hex('E0 00'), 5);
  });

  it('a reason code alone (remaining length 1)', () => {
    checkFixture({ type: 'disconnect', reasonCode: 0x04 }, hex('E0 01 04'), 5);
  });

  it('every DISCONNECT property', () => {
    checkFixture(
      {
        type: 'disconnect',
        reasonCode: 0x9c,
        properties: {
          sessionExpiryInterval: 3600,
          serverReference: 'srv',
          reasonString: 'bye',
          userProperties: [['k', 'v']],
        },
      },
      bytes(
        'E0 1A', // remaining length 26
        '9C', // Use another server
        '18', // property length 24
        '11 00 00 0E 10', // Session Expiry Interval 3600
        '1C 00 03 73 72 76', // Server Reference "srv"
        '1F 00 03 62 79 65', // Reason String "bye"
        '26 00 01 6B 00 01 76', // User Property k=v
      ),
      5,
    );
  });

  it('decodes E0 01 00 and E0 02 00 00 to the canonical packet', () => {
    checkDecodes(hex('E0 01 00'), { type: 'disconnect', reasonCode: 0 }, 5);
    checkDecodes(hex('E0 02 00 00'), { type: 'disconnect', reasonCode: 0 }, 5);
  });
});

describe('AUTH 5.0', () => {
  it('Success without properties: remaining length 0', () => {
    checkFixture({ type: 'auth', reasonCode: 0 }, hex('F0 00'), 5);
  });

  it('Continue authentication without properties keeps its property length (3.15.2.1)', () => {
    checkFixture({ type: 'auth', reasonCode: 0x18 }, hex('F0 02 18 00'), 5);
  });

  it('every AUTH property', () => {
    checkFixture(
      {
        type: 'auth',
        reasonCode: 0x18,
        properties: {
          authenticationMethod: 'SCRAM',
          authenticationData: hex('01 02 03'),
          reasonString: 'hi',
          userProperties: [['k', 'v']],
        },
      },
      bytes(
        'F0 1C', // remaining length 28
        '18', // Continue authentication
        '1A', // property length 26
        '15 00 05 53 43 52 41 4D', // Authentication Method "SCRAM"
        '16 00 03 01 02 03', // Authentication Data
        '1F 00 02 68 69', // Reason String "hi"
        '26 00 01 6B 00 01 76', // User Property k=v
      ),
      5,
    );
  });
});

describe('property values at their limits', () => {
  it('four-byte integers up to 2^32-1 and two-byte integers up to 65535', () => {
    const packet: Packet = {
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      clean: true,
      keepalive: 0,
      clientId: '',
      properties: {
        sessionExpiryInterval: 0xffffffff,
        receiveMaximum: 1,
        topicAliasMaximum: 65535,
        maximumPacketSize: 1,
      },
    };
    checkFixture(
      packet,
      bytes(
        '10 1D',
        '00 04 4D 51 54 54 05 02 00 00',
        '10',
        '11 FF FF FF FF',
        '21 00 01',
        '22 FF FF',
        '27 00 00 00 01',
        '00 00',
      ),
      5,
    );
  });

  it('a Subscription Identifier of 1, 127, 128, 16383, 16384 uses 1, 1, 2, 2, 3 bytes', () => {
    const cases: [number, string][] = [
      [1, '01'],
      [127, '7F'],
      [128, '80 01'],
      [16_383, 'FF 7F'],
      [16_384, '80 80 01'],
    ];
    for (const [id, varint] of cases) {
      const propertyBytes = hex(`0B ${varint}`);
      const wire = bytes(
        [0x82, 2 + 1 + propertyBytes.length + 4],
        '00 01',
        [propertyBytes.length],
        propertyBytes,
        '00 01 61 00',
      );
      checkFixture(
        {
          type: 'subscribe',
          packetId: 1,
          properties: { subscriptionIdentifier: [id] },
          subscriptions: [{ topic: 'a', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
        },
        wire,
        5,
      );
    }
  });
});

describe('decoding uses the version it is given', () => {
  it('the same PUBACK bytes mean different packets at levels 4 and 5', () => {
    expect(canon(decodePacket(hex('40 02 00 0A'), 4))).toStrictEqual({ type: 'puback', packetId: 10 });
    expect(canon(decodePacket(hex('40 02 00 0A'), 5))).toStrictEqual({ type: 'puback', packetId: 10, reasonCode: 0 });
  });

  it('the same PUBLISH packet encodes with a property length only at level 5', () => {
    const packet: Packet = { type: 'publish', topic: 't', payload: utf8('x'), qos: 0, retain: false, dup: false };
    expect(encodePacket(packet, 4).toString('hex')).toBe(hex('30 04 00 01 74 78').toString('hex'));
    expect(encodePacket(packet, 5).toString('hex')).toBe(hex('30 05 00 01 74 00 78').toString('hex'));
  });
});
