/**
 * Round-trip properties over generated valid packets of every type and version:
 * decode(encode(p)) deep-equals p, encodedLength agrees with encodeInto, and the encode-once fan-out
 * path (encodePublishOnce + withPacketId / stampPacketId) gives the same bytes as encodePacket.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PacketDecoder,
  decodePacket,
  encodeInto,
  encodePacket,
  encodePublishOnce,
  encodedLength,
  stampPacketId,
  withPacketId,
  type Packet,
  type ProtocolVersion,
  type PublishPacket,
} from '../../src/codec/index.js';
import { packetIdArb, packetOfTypeArb, publishArb, typesFor } from './arbitraries.js';
import { VERSIONS, canon } from './helpers.js';

const RUNS = 200;

describe.each(VERSIONS)('level %i', (version: ProtocolVersion) => {
  describe.each(typesFor(version))('%s', (type) => {
    it('decode(encode(p)) equals p, whole-frame and streamed', () => {
      fc.assert(
        fc.property(packetOfTypeArb(type, version), (packet) => {
          const wire = encodePacket(packet, version);
          expect(canon(decodePacket(wire, version))).toStrictEqual(packet);
          const decoder = new PacketDecoder({ protocolVersion: version });
          const seen: [Packet, number][] = [];
          decoder.feed(wire, (p, n) => seen.push([canon(p), n]));
          expect(seen).toStrictEqual([[packet, wire.length]]);
          expect(decoder.bufferedBytes).toBe(0);
        }),
        { numRuns: RUNS },
      );
    });

    it('encodedLength equals what encodeInto writes (it returns the end offset), at any offset, without touching other bytes', () => {
      fc.assert(
        fc.property(packetOfTypeArb(type, version), fc.nat(16), (packet, offset) => {
          const length = encodedLength(packet, version);
          const buffer = Buffer.alloc(offset + length + 8, 0xa5);
          const end = encodeInto(packet, buffer, offset, version);
          expect(end - offset).toBe(length);
          expect(buffer.subarray(offset, offset + length).equals(encodePacket(packet, version))).toBe(true);
          expect(buffer.subarray(0, offset).every((b) => b === 0xa5)).toBe(true);
          expect(buffer.subarray(offset + length).every((b) => b === 0xa5)).toBe(true);
        }),
        { numRuns: RUNS },
      );
    });
  });

  describe('encodePublishOnce', () => {
    it('withPacketId(encodePublishOnce(p), id, dup) equals encodePacket of p with that id and DUP', () => {
      fc.assert(
        fc.property(publishArb(version), packetIdArb, fc.boolean(), (packet, packetId, dup) => {
          const once = encodePublishOnce(packet, version);
          const template = Buffer.from(once.bytes);
          if (packet.qos === 0) {
            expect(once.packetIdOffset).toBe(-1);
            expect(once.bytes.equals(encodePacket(packet, version))).toBe(true);
            return;
          }
          const expected: PublishPacket = { ...packet, packetId, dup };
          const out = withPacketId(once, packetId, dup);
          expect(out.toString('hex')).toBe(encodePacket(expected, version).toString('hex'));
          expect(canon(decodePacket(out, version))).toStrictEqual(expected);
          // The shared template is left untouched for the next subscriber.
          expect(once.bytes.equals(template)).toBe(true);
          expect(out.readUInt16BE(once.packetIdOffset)).toBe(packetId);
        }),
        { numRuns: RUNS },
      );
    });

    it('withPacketId without dup clears a DUP flag set on the template', () => {
      fc.assert(
        fc.property(
          publishArb(version).filter((p) => p.qos > 0),
          packetIdArb,
          (packet, packetId) => {
            const once = encodePublishOnce({ ...packet, dup: true }, version);
            const out = withPacketId(once, packetId);
            expect(canon(decodePacket(out, version))).toStrictEqual({ ...packet, dup: false, packetId });
          },
        ),
        { numRuns: 50 },
      );
    });

    it('stampPacketId writes the id in place, leaving every other byte alone', () => {
      fc.assert(
        fc.property(
          publishArb(version).filter((p) => p.qos > 0),
          packetIdArb,
          (packet, packetId) => {
            const once = encodePublishOnce(packet, version);
            const copy = Buffer.from(once.bytes);
            stampPacketId(copy, once.packetIdOffset, packetId);
            expect(copy.toString('hex')).toBe(encodePacket({ ...packet, packetId }, version).toString('hex'));
          },
        ),
        { numRuns: RUNS },
      );
    });
  });
});

describe('a packet at the edge of the remaining-length ranges', () => {
  it.each([127, 128, 16_383, 16_384])('round-trips a PUBLISH with remaining length %i', (rl) => {
    const packet: PublishPacket = {
      type: 'publish',
      topic: 'a',
      payload: Buffer.alloc(rl - 3, 7),
      qos: 0,
      retain: false,
      dup: false,
    };
    const wire = encodePacket(packet, 4);
    expect(wire.length).toBe(1 + (rl < 128 ? 1 : rl < 16_384 ? 2 : 3) + rl);
    expect(canon(decodePacket(wire, 4))).toStrictEqual(packet);
  });
});
