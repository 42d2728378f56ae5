import { describe, expect, it } from 'vitest';
import type { ProtocolVersion, PublishPacket } from './packets.js';
import { CodecError } from './errors.js';
import { decodePacket } from './decoder.js';
import { encodePacket } from './encoder.js';
import { encodePublishOnce, stampPacketId, withPacketId } from './fanout.js';

const message = (qos: 0 | 1 | 2, fields: Partial<PublishPacket> = {}): PublishPacket => ({
  type: 'publish',
  topic: 'sensors/é/1',
  payload: Buffer.from('21.5'),
  qos,
  retain: false,
  dup: false,
  ...fields,
});

describe.each([3, 4, 5] as ProtocolVersion[])('fan-out at level %i', (version) => {
  // Spread so that v3/v4 packets have no properties key at all (the canonical form).
  const withProperties =
    version === 5
      ? { properties: { userProperties: [['k', 'v']] as [string, string][], messageExpiryInterval: 9 } }
      : {};

  it('QoS 0: the bytes of encodePacket and no packet identifier', () => {
    const packet = message(0, { retain: true, ...withProperties });
    const once = encodePublishOnce(packet, version);
    expect(once.packetIdOffset).toBe(-1);
    expect(once.bytes.equals(encodePacket(packet, version))).toBe(true);
    expect(withPacketId(once, 1).equals(once.bytes)).toBe(true);
  });

  it.each([1, 2] as const)('QoS %i: ignores packet.packetId, writes a placeholder 0 and reports its offset', (qos) => {
    const once = encodePublishOnce(message(qos, { packetId: 77, ...withProperties }), version);
    expect(once.bytes.readUInt16BE(once.packetIdOffset)).toBe(0);
    // Fixed header 2 bytes, then the topic: 2-byte length and 12 UTF-8 bytes.
    expect(once.packetIdOffset).toBe(2 + 2 + Buffer.byteLength('sensors/é/1'));
  });

  it.each([1, 2] as const)('QoS %i: withPacketId gives the bytes of encodePacket with that id and DUP', (qos) => {
    const packet = message(qos, withProperties);
    const once = encodePublishOnce(packet, version);
    const template = Buffer.from(once.bytes);
    for (const [packetId, dup] of [
      [1, false],
      [65535, true],
      [0x1234, false],
    ] as const) {
      const expected: PublishPacket = { ...packet, packetId, dup };
      const out = withPacketId(once, packetId, dup);
      expect(out.toString('hex')).toBe(encodePacket(expected, version).toString('hex'));
      expect(decodePacket(out, version)).toStrictEqual(expected);
    }
    // The shared bytes stay untouched for the next receiver.
    expect(once.bytes.equals(template)).toBe(true);
  });

  it('withPacketId without dup clears a DUP flag the template carries', () => {
    const once = encodePublishOnce(message(1, { dup: true, ...withProperties }), version);
    expect(decodePacket(withPacketId(once, 5), version)).toMatchObject({ dup: false, packetId: 5 });
  });

  it('stampPacketId writes the identifier in place', () => {
    const once = encodePublishOnce(message(2, withProperties), version);
    const bytes = Buffer.from(once.bytes);
    stampPacketId(bytes, once.packetIdOffset, 0xabcd);
    expect(bytes.toString('hex')).toBe(
      encodePacket(message(2, { ...withProperties, packetId: 0xabcd }), version).toString('hex'),
    );
  });
});

describe('fan-out validation', () => {
  it('[MQTT-2.3.1-1] refuses packet identifiers outside 1..65535', () => {
    const once = encodePublishOnce(message(1));
    for (const packetId of [0, 65536, -1, 2.5]) {
      expect(() => withPacketId(once, packetId)).toThrow(
        expect.objectContaining({ code: 'CODEC_UNENCODABLE', specRule: 'MQTT-2.3.1-1' }) as CodecError,
      );
    }
  });

  it('[MQTT-3.3.1-2] refuses DUP on QoS 0', () => {
    expect(() => withPacketId(encodePublishOnce(message(0)), 1, true)).toThrow(
      expect.objectContaining({ specRule: 'MQTT-3.3.1-2' }) as CodecError,
    );
  });

  it('stampPacketId refuses an offset outside the packet', () => {
    const bytes = Buffer.alloc(4);
    expect(() => stampPacketId(bytes, -1, 1)).toThrow(RangeError);
    expect(() => stampPacketId(bytes, 3, 1)).toThrow(RangeError);
  });

  it('encodePublishOnce validates like encodePacket', () => {
    expect(() => encodePublishOnce(message(0, { dup: true }))).toThrow(CodecError);
    expect(() => encodePublishOnce(message(0, { topic: '' }))).toThrow(CodecError);
    expect(() => encodePublishOnce(message(0, { payload: { length: 268_435_456 } as Buffer }))).toThrow(
      expect.objectContaining({ code: 'CODEC_TOO_LARGE' }) as CodecError,
    );
  });
});
