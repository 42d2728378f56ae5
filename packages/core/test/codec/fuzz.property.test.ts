/**
 * Any byte sequence yields packets or a CodecError, never another exception (DESIGN.md section 3):
 * random bytes and mutated valid encodings (flipped, inserted, deleted, truncated bytes) are fed to a
 * decoder of each version, whole and in chunks. The decoder never buffers more than maxPacketSize,
 * and every run terminates (the feed loop is bounded by the input).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CodecError,
  PacketDecoder,
  decodePacket,
  encodePacket,
  type Packet,
  type ProtocolVersion,
} from '../../src/codec/index.js';
import { packetArb } from './arbitraries.js';
import { VERSIONS } from './helpers.js';

const MAX_PACKET_SIZE = 512;
const RUNS = 300;

type Outcome = { packets: Packet[]; error?: CodecError };

/** Feed `chunks`; any exception other than a CodecError fails the property. */
function feed(version: ProtocolVersion, chunks: Buffer[]): Outcome {
  const decoder = new PacketDecoder({ protocolVersion: version, maxPacketSize: MAX_PACKET_SIZE });
  const packets: Packet[] = [];
  for (const chunk of chunks) {
    try {
      decoder.feed(chunk, (packet, frameBytes) => {
        expect(frameBytes).toBeGreaterThanOrEqual(2);
        expect(frameBytes).toBeLessThanOrEqual(MAX_PACKET_SIZE);
        packets.push(packet);
      });
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      expect([0x81, 0x82, 0x84, 0x90, 0x95]).toContain(err.reasonCode);
      expect(err.code).toMatch(/^CODEC_/);
      return { packets, error: err };
    }
    expect(decoder.bufferedBytes).toBeLessThanOrEqual(MAX_PACKET_SIZE);
  }
  return { packets };
}

/** Decoding a single frame: a packet or a CodecError, nothing else. */
function decodeFrame(frame: Buffer, version: ProtocolVersion): void {
  try {
    decodePacket(frame, version);
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
  }
}

function chunked(stream: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  let k = 0;
  while (i < stream.length) {
    const size = 1 + ((sizes[k++ % Math.max(1, sizes.length)] ?? stream.length) % 64);
    out.push(stream.subarray(i, i + size));
    i += size;
  }
  return out;
}

type Mutation =
  | { kind: 'flip'; at: number; mask: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; value: number }
  | { kind: 'delete'; at: number }
  | { kind: 'truncate'; at: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(input: Buffer, mutations: Mutation[]): Buffer {
  let bytes = [...input];
  for (const m of mutations) {
    if (bytes.length === 0) break;
    const at = m.at % bytes.length;
    switch (m.kind) {
      case 'flip':
        bytes[at] = bytes[at]! ^ m.mask;
        break;
      case 'set':
        bytes[at] = m.value;
        break;
      case 'insert':
        bytes.splice(at, 0, m.value);
        break;
      case 'delete':
        bytes.splice(at, 1);
        break;
      case 'truncate':
        bytes = bytes.slice(0, at);
        break;
    }
  }
  return Buffer.from(bytes);
}

describe.each(VERSIONS)('level %i', (version: ProtocolVersion) => {
  it('random bytes give packets or a CodecError, whole and chunked', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.array(fc.nat(), { maxLength: 8 }), (raw, sizes) => {
        const stream = Buffer.from(raw);
        feed(version, [stream]);
        feed(version, chunked(stream, sizes));
        decodeFrame(stream, version);
      }),
      { numRuns: RUNS },
    );
  });

  it('random bytes after a plausible fixed header give packets or a CodecError', () => {
    // Random bytes rarely form a valid fixed header; these start with each packet type and flags and a
    // remaining length that matches the body, so the body decoders get exercised.
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 127 }), (first, body) => {
        const frame = Buffer.concat([Buffer.from([first, body.length]), Buffer.from(body)]);
        feed(version, [frame]);
        decodeFrame(frame, version);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('mutated valid encodings give packets or a CodecError', () => {
    fc.assert(
      fc.property(
        fc.array(packetArb(version, { maxPayloadLength: 32 }), { minLength: 1, maxLength: 4 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (packets, mutations, sizes) => {
          const valid = Buffer.concat(packets.map((p) => encodePacket(p, version)));
          const stream = mutate(valid, mutations);
          const whole = feed(version, [stream]);
          const pieces = feed(version, chunked(stream, sizes));
          // Chunking never changes the outcome.
          expect(pieces.packets).toStrictEqual(whole.packets);
          expect(pieces.error?.reasonCode).toBe(whole.error?.reasonCode);
          decodeFrame(stream, version);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a single mutated frame gives a packet or a CodecError from decodePacket', () => {
    fc.assert(
      fc.property(
        packetArb(version, { maxPayloadLength: 32 }),
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        (packet, mutations) => {
          decodeFrame(mutate(encodePacket(packet, version), mutations), version);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('a decoder that failed keeps failing with a CodecError', () => {
    const decoder = new PacketDecoder({ protocolVersion: version });
    expect(() => decoder.feed(Buffer.from([0x30 | 0x06, 0x00]), () => undefined)).toThrow(CodecError); // QoS 3
    expect(() => decoder.feed(Buffer.from([0xc0, 0x00]), () => undefined)).toThrow(CodecError);
  });
});

describe('maxPacketSize bounds the buffer', () => {
  it('a large announced remaining length is refused before its body arrives', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<ProtocolVersion>(3, 4, 5),
        fc.integer({ min: MAX_PACKET_SIZE + 1, max: 268_435_455 }),
        fc.integer({ min: 1, max: 15 }),
        (version, remaining, type) => {
          const header = [(type << 4) | (type === 6 || type === 8 || type === 10 ? 2 : 0)];
          let v = remaining;
          do {
            header.push((v & 127) | (v > 127 ? 128 : 0));
            v >>>= 7;
          } while (v > 0);
          const decoder = new PacketDecoder({ protocolVersion: version, maxPacketSize: MAX_PACKET_SIZE });
          let error: unknown;
          try {
            decoder.feed(Buffer.from(header), () => undefined);
          } catch (err) {
            error = err;
          }
          // 1 + header bytes + remaining > MAX_PACKET_SIZE: too large, unless the type is itself invalid
          // at this version (AUTH before 5.0), which may be reported first.
          expect(error).toBeInstanceOf(CodecError);
          if (!(type === 15 && version !== 5)) expect((error as CodecError).reasonCode).toBe(0x95);
          expect(decoder.bufferedBytes).toBeLessThanOrEqual(8);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
