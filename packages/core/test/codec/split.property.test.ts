/**
 * A concatenated stream of generated packets, fed in any chunk split (including 1-byte chunks), decodes
 * to the same packets in the same order, with the same frame sizes. PUBLISH payloads are compared only
 * after the whole stream has been fed, so a payload that aliased a reused internal buffer would show up.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PacketDecoder, encodePacket, type Packet, type ProtocolVersion } from '../../src/codec/index.js';
import { packetArb, publishArb } from './arbitraries.js';
import { VERSIONS, canon } from './helpers.js';

/** Cut `stream` at the given points (sorted, deduplicated, inside the stream). */
function cut(stream: Buffer, points: number[]): Buffer[] {
  const sorted = [...new Set(points.map((p) => p % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of sorted) {
    chunks.push(stream.subarray(from, p));
    from = p;
  }
  chunks.push(stream.subarray(from));
  return chunks;
}

/**
 * Feed `chunks` to a fresh decoder. Returns a deep snapshot of each packet taken inside the callback,
 * the packets themselves (to be compared once everything was fed) and the frame sizes.
 */
function feedAll(
  version: ProtocolVersion,
  chunks: Buffer[],
): { snapshots: Packet[]; live: Packet[]; sizes: number[]; decoder: PacketDecoder } {
  const decoder = new PacketDecoder({ protocolVersion: version });
  const snapshots: Packet[] = [];
  const live: Packet[] = [];
  const sizes: number[] = [];
  for (const chunk of chunks) {
    decoder.feed(chunk, (packet, frameBytes) => {
      live.push(packet);
      snapshots.push(canon(structuredCloneWithBuffers(packet)));
      sizes.push(frameBytes);
    });
  }
  return { snapshots, live, sizes, decoder };
}

/** A deep copy that keeps Buffers as Buffers (structuredClone turns them into Uint8Arrays). */
function structuredCloneWithBuffers<T>(value: T): T {
  if (Buffer.isBuffer(value)) return Buffer.from(value) as T;
  if (Array.isArray(value)) return value.map(structuredCloneWithBuffers) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = structuredCloneWithBuffers(v);
    return out as T;
  }
  return value;
}

const RUNS = 200;

describe.each(VERSIONS)('level %i', (version: ProtocolVersion) => {
  const streamArb = fc.array(packetArb(version), { minLength: 1, maxLength: 12 });

  it('any chunk split decodes to the same packets in order', () => {
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 30 }), (packets, points) => {
        const frames = packets.map((p) => encodePacket(p, version));
        const stream = Buffer.concat(frames);
        const { snapshots, live, sizes, decoder } = feedAll(version, cut(Buffer.from(stream), points));
        expect(snapshots).toStrictEqual(packets);
        expect(sizes).toStrictEqual(frames.map((f) => f.length));
        expect(decoder.bufferedBytes).toBe(0);
        // Compared after the whole stream was fed: nothing emitted earlier was overwritten later.
        expect(canon(live)).toStrictEqual(packets);
      }),
      { numRuns: RUNS },
    );
  });

  it('1-byte chunks decode to the same packets in order', () => {
    fc.assert(
      fc.property(streamArb, (packets) => {
        const stream = Buffer.concat(packets.map((p) => encodePacket(p, version)));
        const chunks: Buffer[] = [];
        for (let i = 0; i < stream.length; i++) chunks.push(Buffer.from([stream[i]!]));
        const { live, decoder } = feedAll(version, chunks);
        expect(canon(live)).toStrictEqual(packets);
        expect(decoder.bufferedBytes).toBe(0);
      }),
      { numRuns: 100 },
    );
  });

  it('bufferedBytes is the size of the unfinished tail after each chunk', () => {
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 10 }), (packets, points) => {
        const frames = packets.map((p) => encodePacket(p, version));
        const ends: number[] = [];
        let total = 0;
        for (const f of frames) ends.push((total += f.length));
        const stream = Buffer.concat(frames);
        const decoder = new PacketDecoder({ protocolVersion: version });
        let fed = 0;
        for (const chunk of cut(stream, points)) {
          decoder.feed(chunk, () => undefined);
          fed += chunk.length;
          const complete = ends.filter((e) => e <= fed).at(-1) ?? 0;
          expect(decoder.bufferedBytes).toBe(fed - complete);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('PUBLISH payloads assembled across chunks stay intact after later feeds', () => {
    // Larger payloads and many cuts: most packets span chunks and are assembled from the decoder's
    // buffered tail. Every payload is compared only once the whole stream has been fed, so a decoder
    // that reused its tail buffer under an already emitted payload would fail here.
    fc.assert(
      fc.property(
        fc.array(publishArb(version, { maxPayloadLength: 600 }), { minLength: 2, maxLength: 8 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 40 }),
        (packets, points) => {
          const stream = Buffer.concat(packets.map((p) => encodePacket(p, version)));
          const chunks = cut(stream, points).map((c) => Buffer.from(c));
          const decoder = new PacketDecoder({ protocolVersion: version });
          const live: Packet[] = [];
          for (const chunk of chunks) decoder.feed(chunk, (p) => live.push(p));
          expect(canon(live)).toStrictEqual(packets);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
