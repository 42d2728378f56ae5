/**
 * Differential tests against mqtt-packet 9 (the codec of MQTT.js and Aedes):
 * - what we encode, mqtt-packet parses to the same packet;
 * - what mqtt-packet generates, we decode to the same packet.
 * A small mapper translates between the two shapes (cmd/messageId/returnCode/granted/nl/rap/rh, user
 * properties as an object, a lone subscription identifier as a number).
 *
 * mqtt-packet deviates from the specification in places; each deviation found is pinned by an explicit
 * test at the end of this file that shows mqtt-packet's behaviour next to ours. The generators used
 * for the comparison are narrowed where a deviation would make the two disagree on valid input:
 * - user property names are distinct and not array-index-like: mqtt-packet keeps user properties in a
 *   plain object, which merges repeated names and moves integer-like names ("1") first, so the wire
 *   order of [MQTT-3.1.3-10] cannot survive it (deviation 1);
 * - a CONNECT with an empty client id has Clean Start set, and a 5.0 password comes with a user name:
 *   mqtt-packet refuses to generate the other (valid 5.0) combinations (deviation 12);
 * - the two-byte AUTH (F0 00, Success without properties) is left out when mqtt-packet parses: it
 *   rejects that valid short form (deviation 10).
 */
import fc from 'fast-check';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import {
  PacketDecoder,
  decodePacket,
  encodePacket,
  type AllProperties,
  type Packet,
  type ProtocolVersion,
  type UserProperty,
} from '../../src/codec/index.js';
import { packetOfTypeArb, typesFor, type ArbOptions } from './arbitraries.js';
import {
  MALFORMED,
  PROTOCOL_ERROR,
  TOO_LARGE,
  UNSUPPORTED_PROTOCOL,
  VERSIONS,
  canon,
  expectCodecError,
  hex,
} from './helpers.js';

type Loose = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------
// The mapper between our packets and mqtt-packet's.

const RENAMED: Record<string, string> = { subscriptionIdentifierAvailable: 'subscriptionIdentifiersAvailable' };
const RENAMED_BACK: Record<string, string> = { subscriptionIdentifiersAvailable: 'subscriptionIdentifierAvailable' };

function propertiesToTheirs(properties: AllProperties | undefined): Loose | undefined {
  if (properties === undefined) return undefined;
  const out: Loose = {};
  for (const [name, value] of Object.entries(properties) as [string, unknown][]) {
    if (value === undefined) continue;
    if (name === 'userProperties') {
      const object: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
      for (const [key, v] of value as UserProperty[]) {
        const current = object[key];
        object[key] = current === undefined ? v : Array.isArray(current) ? [...current, v] : [current, v];
      }
      out.userProperties = object;
    } else if (name === 'subscriptionIdentifier') {
      const ids = value as number[];
      out.subscriptionIdentifier = ids.length === 1 ? ids[0] : ids;
    } else {
      out[RENAMED[name] ?? name] = value;
    }
  }
  return out;
}

function propertiesFromTheirs(properties: unknown): AllProperties | undefined {
  if (properties === undefined) return undefined;
  const out: AllProperties & Loose = {};
  for (const [name, value] of Object.entries(properties as Loose)) {
    if (name === 'userProperties') {
      const pairs: UserProperty[] = [];
      for (const [key, v] of Object.entries(value as Record<string, string | string[]>)) {
        for (const one of Array.isArray(v) ? v : [v]) pairs.push([key, one]);
      }
      out.userProperties = pairs;
    } else if (name === 'subscriptionIdentifier') {
      out.subscriptionIdentifier = Array.isArray(value) ? (value as number[]) : [value as number];
    } else {
      out[RENAMED_BACK[name] ?? name] = value;
    }
  }
  return out;
}

/** Drop undefined values, so a missing optional field is absent on both sides. */
function defined(value: Loose): Loose {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

export function toMqttPacket(packet: Packet, version: ProtocolVersion): mqttPacket.Packet {
  const v5 = version === 5;
  let out: Loose;
  switch (packet.type) {
    case 'connect':
      out = {
        cmd: 'connect',
        protocolId: packet.protocolName,
        protocolVersion: packet.protocolVersion,
        clean: packet.clean,
        keepalive: packet.keepalive,
        clientId: packet.clientId,
        will:
          packet.will &&
          defined({
            topic: packet.will.topic,
            payload: packet.will.payload,
            qos: packet.will.qos,
            retain: packet.will.retain,
            properties: propertiesToTheirs(packet.will.properties),
          }),
        username: packet.username,
        password: packet.password,
        properties: propertiesToTheirs(packet.properties),
      };
      break;
    case 'connack':
      out = {
        cmd: 'connack',
        sessionPresent: packet.sessionPresent,
        [v5 ? 'reasonCode' : 'returnCode']: packet.reasonCode,
        properties: propertiesToTheirs(packet.properties),
      };
      break;
    case 'publish':
      out = {
        cmd: 'publish',
        topic: packet.topic,
        payload: packet.payload,
        qos: packet.qos,
        retain: packet.retain,
        dup: packet.dup,
        messageId: packet.packetId,
        properties: propertiesToTheirs(packet.properties),
      };
      break;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      out = {
        cmd: packet.type,
        messageId: packet.packetId,
        reasonCode: packet.reasonCode,
        properties: propertiesToTheirs(packet.properties),
      };
      break;
    case 'subscribe':
      out = {
        cmd: 'subscribe',
        messageId: packet.packetId,
        subscriptions: packet.subscriptions.map((s) =>
          defined({ topic: s.topic, qos: s.qos, nl: s.noLocal, rap: s.retainAsPublished, rh: s.retainHandling }),
        ),
        properties: propertiesToTheirs(packet.properties),
      };
      break;
    case 'suback':
      out = {
        cmd: 'suback',
        messageId: packet.packetId,
        granted: packet.reasonCodes,
        properties: propertiesToTheirs(packet.properties),
      };
      break;
    case 'unsubscribe':
      out = {
        cmd: 'unsubscribe',
        messageId: packet.packetId,
        unsubscriptions: packet.topics,
        properties: propertiesToTheirs(packet.properties),
      };
      break;
    case 'unsuback':
      out = {
        cmd: 'unsuback',
        messageId: packet.packetId,
        granted: packet.reasonCodes,
        properties: propertiesToTheirs(packet.properties),
      };
      break;
    case 'pingreq':
    case 'pingresp':
      out = { cmd: packet.type };
      break;
    case 'disconnect':
    case 'auth':
      out = { cmd: packet.type, reasonCode: packet.reasonCode, properties: propertiesToTheirs(packet.properties) };
      break;
  }
  return defined(out) as unknown as mqttPacket.Packet;
}

export function fromMqttPacket(input: mqttPacket.Packet, version: ProtocolVersion): Packet {
  const p = input as unknown as Loose;
  const v5 = version === 5;
  const properties = propertiesFromTheirs(p.properties);
  let out: Loose;
  switch (p.cmd) {
    case 'connect': {
      const will = p.will as Loose | undefined;
      out = {
        type: 'connect',
        protocolName: p.protocolId,
        protocolVersion: p.protocolVersion,
        clean: p.clean,
        keepalive: p.keepalive,
        clientId: p.clientId,
        will:
          will &&
          defined({
            topic: will.topic,
            payload: will.payload,
            qos: will.qos,
            retain: will.retain,
            properties: propertiesFromTheirs(will.properties),
          }),
        username: p.username,
        password: p.password,
        properties,
      };
      break;
    }
    case 'connack':
      out = {
        type: 'connack',
        sessionPresent: p.sessionPresent,
        reasonCode: v5 ? p.reasonCode : p.returnCode,
        properties,
      };
      break;
    case 'publish':
      out = {
        type: 'publish',
        topic: p.topic,
        payload: p.payload,
        qos: p.qos,
        retain: p.retain,
        dup: p.dup,
        packetId: p.messageId,
        properties,
      };
      break;
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      out = { type: p.cmd, packetId: p.messageId, reasonCode: p.reasonCode, properties };
      break;
    case 'subscribe':
      out = {
        type: 'subscribe',
        packetId: p.messageId,
        subscriptions: (p.subscriptions as Loose[]).map((s) =>
          v5
            ? { topic: s.topic, qos: s.qos, noLocal: s.nl, retainAsPublished: s.rap, retainHandling: s.rh }
            : { topic: s.topic, qos: s.qos },
        ),
        properties,
      };
      break;
    case 'suback':
      out = { type: 'suback', packetId: p.messageId, reasonCodes: p.granted, properties };
      break;
    case 'unsubscribe':
      out = { type: 'unsubscribe', packetId: p.messageId, topics: p.unsubscriptions, properties };
      break;
    case 'unsuback':
      out = { type: 'unsuback', packetId: p.messageId, reasonCodes: p.granted, properties };
      break;
    case 'pingreq':
    case 'pingresp':
      out = { type: p.cmd };
      break;
    case 'disconnect':
    case 'auth':
      out = { type: p.cmd, reasonCode: p.reasonCode, properties };
      break;
    default:
      throw new Error(`unexpected mqtt-packet cmd ${String(p.cmd)}`);
  }
  return defined(out) as unknown as Packet;
}

/** Parse `bytes` with a fresh mqtt-packet parser; returns its packets and errors. */
function theirParse(bytes: Buffer, version: ProtocolVersion): { packets: mqttPacket.Packet[]; errors: string[] } {
  const parser = mqttPacket.parser({ protocolVersion: version });
  const packets: mqttPacket.Packet[] = [];
  const errors: string[] = [];
  parser.on('packet', (p) => packets.push(p));
  parser.on('error', (e: Error) => errors.push(e.message));
  parser.parse(bytes);
  return { packets, errors };
}

function theirGenerate(packet: mqttPacket.Packet, version: ProtocolVersion): Buffer {
  return mqttPacket.generate(packet, { protocolVersion: version });
}

function ourDecodeAll(bytes: Buffer, version: ProtocolVersion): Packet[] {
  const decoder = new PacketDecoder({ protocolVersion: version });
  const out: Packet[] = [];
  decoder.feed(bytes, (p) => out.push(canon(p)));
  return out;
}

// ---------------------------------------------------------------------------------------------------
// The comparison over generated packets.

const DIFF_OPTIONS: ArbOptions = { distinctUserPropertyNames: true };
const RUNS = 150;

function comparableArb(type: Packet['type'], version: ProtocolVersion): fc.Arbitrary<Packet> {
  return packetOfTypeArb(type, version, DIFF_OPTIONS).map((p) => {
    if (p.type !== 'connect') return p;
    const out = { ...p };
    if (out.clientId === '') out.clean = true; // deviation 12
    if (out.password !== undefined && out.username === undefined) out.username = 'u'; // deviation 12
    return out;
  });
}

describe.each(VERSIONS)('level %i', (version: ProtocolVersion) => {
  describe.each(typesFor(version))('%s', (type) => {
    it('mqtt-packet parses what we encode to the same packet', () => {
      const arb = comparableArb(type, version).filter(
        (p) => !(p.type === 'auth' && p.reasonCode === 0 && p.properties === undefined), // deviation 10
      );
      fc.assert(
        fc.property(arb, (packet) => {
          const { packets, errors } = theirParse(encodePacket(packet, version), version);
          expect(errors).toStrictEqual([]);
          expect(packets).toHaveLength(1);
          expect(fromMqttPacket(packets[0]!, version)).toStrictEqual(packet);
        }),
        { numRuns: RUNS },
      );
    });

    it('we decode what mqtt-packet generates to the same packet', () => {
      fc.assert(
        fc.property(comparableArb(type, version), (packet) => {
          const bytes = theirGenerate(toMqttPacket(packet, version), version);
          expect(canon(decodePacket(bytes, version))).toStrictEqual(packet);
        }),
        { numRuns: RUNS },
      );
    });
  });

  it('a stream mqtt-packet generates decodes to the same packets (one buffer, many packets)', () => {
    fc.assert(
      fc.property(
        fc
          .array(fc.constantFrom(...typesFor(version)), { minLength: 1, maxLength: 8 })
          .chain((types) => fc.tuple(...types.map((t) => comparableArb(t, version)))),
        (packets) => {
          const stream = Buffer.concat(packets.map((p) => theirGenerate(toMqttPacket(p, version), version)));
          expect(ourDecodeAll(stream, version)).toStrictEqual(packets);
        },
      ),
      { numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Deviations of mqtt-packet 9.0.2 from the specification, each shown next to our behaviour.

describe('mqtt-packet deviations (pinned; ours follows the spec)', () => {
  it('1. user properties lose their order: names are grouped and integer-like names move first [MQTT-3.1.3-10]', () => {
    // b=1, a=2, b=3 on the wire.
    const wire = hex('31 19 00 01 74 15 26 00 01 62 00 01 31 26 00 01 61 00 01 32 26 00 01 62 00 01 33');
    const theirs = theirParse(wire, 5).packets[0] as unknown as Loose;
    expect({ ...((theirs.properties as Loose).userProperties as Loose) }).toStrictEqual({ b: ['1', '3'], a: '2' });
    expect(canon(decodePacket(wire, 5))).toMatchObject({
      properties: {
        userProperties: [
          ['b', '1'],
          ['a', '2'],
          ['b', '3'],
        ],
      },
    });
    // Generating from an object: the integer-like name "1" is written before "z".
    const generated = theirGenerate(
      toMqttPacket(
        {
          type: 'publish',
          topic: 't',
          payload: Buffer.alloc(0),
          qos: 0,
          retain: false,
          dup: false,
          properties: {
            userProperties: [
              ['z', '1'],
              ['1', '2'],
            ],
          },
        },
        5,
      ),
      5,
    );
    expect(canon(decodePacket(generated, 5))).toMatchObject({
      properties: {
        userProperties: [
          ['1', '2'],
          ['z', '1'],
        ],
      },
    });
  });

  it('2. accepts DUP on a QoS 0 PUBLISH, and generates it [MQTT-3.3.1-2]', () => {
    const wire = hex('38 05 00 03 61 2F 62');
    expect(theirParse(wire, 4).packets[0]).toMatchObject({ cmd: 'publish', qos: 0, dup: true });
    expectCodecError(() => decodePacket(wire, 4), { reasonCode: MALFORMED, specRule: 'MQTT-3.3.1-2' });
    const packet = { cmd: 'publish', topic: 'a', payload: Buffer.alloc(0), qos: 0, retain: false, dup: true } as const;
    expect(theirGenerate(packet, 4).toString('hex')).toBe('3803000161');
    expectCodecError(
      () =>
        encodePacket({ type: 'publish', topic: 'a', payload: Buffer.alloc(0), qos: 0, retain: false, dup: true }, 4),
      { reasonCode: MALFORMED, specRule: 'MQTT-3.3.1-2', code: 'CODEC_UNENCODABLE' },
    );
  });

  it('3. accepts wildcards in a PUBLISH topic name [MQTT-3.3.2-2]', () => {
    const wire = hex('30 05 00 03 61 2F 23');
    expect(theirParse(wire, 4).packets[0]).toMatchObject({ cmd: 'publish', topic: 'a/#' });
    expectCodecError(() => decodePacket(wire, 4), { reasonCode: 0x90, specRule: 'MQTT-3.3.2-2' });
  });

  it('4. accepts ill-formed UTF-8 (replaced by U+FFFD) and U+0000 [MQTT-1.5.3-1] [MQTT-1.5.3-2]', () => {
    expect(theirParse(hex('30 04 00 02 C3 28'), 4).packets[0]).toMatchObject({ topic: '\ufffd(' });
    expectCodecError(() => decodePacket(hex('30 04 00 02 C3 28'), 4), {
      reasonCode: MALFORMED,
      specRule: 'MQTT-1.5.3-1',
    });
    expect(theirParse(hex('30 05 00 03 61 00 62'), 4).packets[0]).toMatchObject({ topic: 'a\u0000b' });
    expectCodecError(() => decodePacket(hex('30 05 00 03 61 00 62'), 4), {
      reasonCode: MALFORMED,
      specRule: 'MQTT-1.5.3-2',
    });
    // Generating: a lone surrogate silently becomes U+FFFD (EF BF BD); we refuse to encode it.
    const lone = {
      cmd: 'publish',
      topic: 'a\ud800',
      payload: Buffer.alloc(0),
      qos: 0,
      retain: false,
      dup: false,
    } as const;
    expect(theirGenerate(lone, 4).toString('hex')).toBe('3006000461efbfbd');
    expectCodecError(
      () =>
        encodePacket(
          { type: 'publish', topic: 'a\ud800', payload: Buffer.alloc(0), qos: 0, retain: false, dup: false },
          4,
        ),
      { reasonCode: MALFORMED, code: 'CODEC_UNENCODABLE' },
    );
  });

  it('5. accepts packet identifier 0 [MQTT-2.3.1-1]', () => {
    expect(theirParse(hex('40 02 00 00'), 4).packets[0]).toMatchObject({ cmd: 'puback', messageId: 0 });
    expectCodecError(() => decodePacket(hex('40 02 00 00'), 4), { reasonCode: MALFORMED, specRule: 'MQTT-2.3.1-1' });
  });

  it('6. accepts SUBSCRIBE and UNSUBSCRIBE without topic filters [MQTT-3.8.3-3] [MQTT-3.10.3-2]', () => {
    expect(theirParse(hex('82 02 00 01'), 4).packets[0]).toMatchObject({ cmd: 'subscribe', subscriptions: [] });
    expectCodecError(() => decodePacket(hex('82 02 00 01'), 4), {
      reasonCode: PROTOCOL_ERROR,
      specRule: 'MQTT-3.8.3-3',
    });
    expect(theirParse(hex('A2 02 00 01'), 4).packets[0]).toMatchObject({ cmd: 'unsubscribe', unsubscriptions: [] });
    expectCodecError(() => decodePacket(hex('A2 02 00 01'), 4), {
      reasonCode: PROTOCOL_ERROR,
      specRule: 'MQTT-3.10.3-2',
    });
  });

  it('7. turns a repeated single-valued property into an array instead of a protocol error (3.3.2.3.3)', () => {
    const wire = hex('30 0E 00 01 74 0A 02 00 00 00 01 02 00 00 00 02');
    expect(theirParse(wire, 5).packets[0]).toMatchObject({ properties: { messageExpiryInterval: [1, 2] } });
    expectCodecError(() => decodePacket(wire, 5), { reasonCode: PROTOCOL_ERROR });
  });

  it('8. accepts a property on a packet that may not carry it (2.2.2.2: malformed)', () => {
    const wire = hex('40 07 00 01 00 03 23 00 01'); // Topic Alias in PUBACK
    expect(theirParse(wire, 5).packets[0]).toMatchObject({ cmd: 'puback', properties: { topicAlias: 1 } });
    expectCodecError(() => decodePacket(wire, 5), { reasonCode: MALFORMED });
  });

  it('9. accepts a protocol name that does not match the level, and level 0x84 as "bridge mode" [MQTT-3.1.2-2]', () => {
    // Known upstream: https://github.com/mqttjs/mqtt-packet/issues/157
    const mqisdp4 = hex('10 0E 00 06 4D 51 49 73 64 70 04 02 00 00 00 00');
    expect(theirParse(mqisdp4, 4).packets[0]).toMatchObject({ protocolId: 'MQIsdp', protocolVersion: 4 });
    expectCodecError(() => decodePacket(mqisdp4, 4), { reasonCode: UNSUPPORTED_PROTOCOL, specRule: 'MQTT-3.1.2-2' });
    const mqtt3 = hex('10 0C 00 04 4D 51 54 54 03 02 00 00 00 00');
    expect(theirParse(mqtt3, 3).packets[0]).toMatchObject({ protocolId: 'MQTT', protocolVersion: 3 });
    expectCodecError(() => decodePacket(mqtt3, 3), { reasonCode: UNSUPPORTED_PROTOCOL, specRule: 'MQTT-3.1.2-2' });
    const bridge = hex('10 0C 00 04 4D 51 54 54 84 02 00 00 00 00');
    expect(theirParse(bridge, 4).packets[0]).toMatchObject({ protocolVersion: 4, bridgeMode: true });
    expectCodecError(() => decodePacket(bridge, 4), { reasonCode: UNSUPPORTED_PROTOCOL, specRule: 'MQTT-3.1.2-2' });
  });

  it('10. rejects the valid two-byte AUTH (Success, no properties: 3.15.2.1)', () => {
    expect(theirParse(hex('F0 00'), 5).errors).toStrictEqual(['Invalid auth reason code']);
    expect(canon(decodePacket(hex('F0 00'), 5))).toStrictEqual({ type: 'auth', reasonCode: 0 });
  });

  it('11. reads past a zero-length 5.0 DISCONNECT into the next packet of the same chunk', () => {
    // E0 00 (DISCONNECT, Normal disconnection) then C0 00 (PINGREQ): mqtt-packet takes C0 as the reason code.
    expect(theirParse(hex('E0 00 C0 00'), 5).errors).toStrictEqual(['Invalid disconnect reason code']);
    expect(ourDecodeAll(hex('E0 00 C0 00'), 5)).toStrictEqual([
      { type: 'disconnect', reasonCode: 0 },
      { type: 'pingreq' },
    ]);
  });

  it('12. refuses to generate valid 5.0 CONNECTs: empty client id without Clean Start, password without user name', () => {
    expect(() => theirGenerate({ cmd: 'connect', protocolVersion: 5, clientId: '', clean: false }, 5)).toThrow(
      /clientId must be given/,
    );
    expect(() =>
      theirGenerate({ cmd: 'connect', protocolVersion: 5, clientId: 'c', password: Buffer.from('x') }, 5),
    ).toThrow(/Username is required/);
    const ours: Packet = {
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      clean: false,
      keepalive: 0,
      clientId: '',
      password: Buffer.from('x'),
    };
    expect(canon(decodePacket(encodePacket(ours), 5))).toStrictEqual(ours);
  });

  it('13. accepts a boolean property byte other than 0 or 1 (3.3.2.3.2: protocol error)', () => {
    const wire = hex('30 06 00 01 74 02 01 02'); // Payload Format Indicator 2
    expect(theirParse(wire, 5).packets[0]).toMatchObject({ properties: { payloadFormatIndicator: true } });
    expectCodecError(() => decodePacket(wire, 5), { reasonCode: PROTOCOL_ERROR });
    const zero = hex('20 06 00 00 03 21 00 00'); // Receive Maximum 0
    expect(theirParse(zero, 5).packets[0]).toMatchObject({ properties: { receiveMaximum: 0 } });
    expectCodecError(() => decodePacket(zero, 5), { reasonCode: PROTOCOL_ERROR });
  });

  it('14. accepts non-minimal variable byte integers [MQTT-1.5.5-1]', () => {
    expect(theirParse(hex('C0 80 00'), 4).packets[0]).toMatchObject({ cmd: 'pingreq' });
    expectCodecError(() => decodePacket(hex('C0 80 00'), 4), { reasonCode: MALFORMED, specRule: 'MQTT-1.5.5-1' });
  });

  it('15. ignores bytes left over after the last field, and an empty 3.1.1 topic [MQTT-4.7.3-1]', () => {
    expect(theirParse(hex('C0 01 00'), 4).packets[0]).toMatchObject({ cmd: 'pingreq' });
    expectCodecError(() => decodePacket(hex('C0 01 00'), 4), { reasonCode: MALFORMED });
    expect(theirParse(hex('40 03 00 0A 00'), 4).packets[0]).toMatchObject({ cmd: 'puback', messageId: 10 });
    expectCodecError(() => decodePacket(hex('40 03 00 0A 00'), 4), { reasonCode: MALFORMED });
    expect(theirParse(hex('30 02 00 00'), 4).packets[0]).toMatchObject({ cmd: 'publish', topic: '' });
    expectCodecError(() => decodePacket(hex('30 02 00 00'), 4), {
      reasonCode: PROTOCOL_ERROR,
      specRule: 'MQTT-4.7.3-1',
    });
  });

  it('16. accepts CONNECT flag combinations the spec forbids [MQTT-3.1.2-14] [MQTT-3.1.2-22]', () => {
    const willQoS3 = hex('10 11 00 04 4D 51 54 54 04 1E 00 00 00 00 00 01 77 00 00');
    expect(theirParse(willQoS3, 4).packets[0]).toMatchObject({ will: { qos: 3 } });
    expectCodecError(() => decodePacket(willQoS3, 4), { reasonCode: MALFORMED, specRule: 'MQTT-3.1.2-14' });
    const passwordOnly = hex('10 10 00 04 4D 51 54 54 04 42 00 00 00 00 00 02 70 77');
    expect(theirParse(passwordOnly, 4).packets[0]).toMatchObject({ password: Buffer.from('pw') });
    expectCodecError(() => decodePacket(passwordOnly, 4), { reasonCode: MALFORMED, specRule: 'MQTT-3.1.2-22' });
  });

  it('17. accepts reserved 3.1.1 CONNACK return codes and a 5.0 UNSUBACK without reason codes', () => {
    expect(theirParse(hex('20 02 00 06'), 4).packets[0]).toMatchObject({ returnCode: 6 });
    expectCodecError(() => decodePacket(hex('20 02 00 06'), 4), { reasonCode: MALFORMED });
    expect(theirParse(hex('B0 03 00 01 00'), 5).packets[0]).toMatchObject({ cmd: 'unsuback', granted: [] });
    expectCodecError(() => decodePacket(hex('B0 03 00 01 00'), 5), { reasonCode: PROTOCOL_ERROR });
  });

  it('18. has no maximum packet size: a 10 MB announcement just waits for its bytes', () => {
    const header = hex('30 80 80 80 05');
    const theirs = theirParse(header, 4);
    expect(theirs).toStrictEqual({ packets: [], errors: [] });
    const decoder = new PacketDecoder({ protocolVersion: 4 });
    expectCodecError(() => decoder.feed(header, () => undefined), { reasonCode: TOO_LARGE });
  });
});

describe('encoding differences that are not deviations (both forms are valid)', () => {
  it('a 5.0 ack with a reason code and no properties: mqtt-packet writes a property length, we omit it', () => {
    const theirs = theirGenerate({ cmd: 'puback', messageId: 1, reasonCode: 0x10 }, 5);
    expect(theirs.toString('hex')).toBe('400400011000');
    expect(encodePacket({ type: 'puback', packetId: 1, reasonCode: 0x10 }, 5).toString('hex')).toBe('4003000110');
    expect(canon(decodePacket(theirs, 5))).toStrictEqual({ type: 'puback', packetId: 1, reasonCode: 0x10 });
  });

  it('a 5.0 DISCONNECT and AUTH with Success and no properties: mqtt-packet writes 2 bytes, we write none', () => {
    expect(theirGenerate({ cmd: 'disconnect', reasonCode: 0 }, 5).toString('hex')).toBe('e0020000');
    expect(encodePacket({ type: 'disconnect', reasonCode: 0 }, 5).toString('hex')).toBe('e000');
    expect(theirGenerate({ cmd: 'auth', reasonCode: 0 }, 5).toString('hex')).toBe('f0020000');
    expect(encodePacket({ type: 'auth', reasonCode: 0 }, 5).toString('hex')).toBe('f000');
  });
});
