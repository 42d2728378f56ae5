import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Packet, ProtocolVersion } from './packets.js';
import { CodecError } from './errors.js';
import { DEFAULT_MAX_PACKET_SIZE, PacketDecoder, decodePacket } from './decoder.js';
import { encodePacket } from './encoder.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/[\s|]/g, ''), 'hex');

const V4_PACKETS: Packet[] = [
  { type: 'connect', protocolName: 'MQTT', protocolVersion: 4, clean: true, keepalive: 30, clientId: 'c' },
  { type: 'publish', topic: 'a/b', payload: Buffer.from('hello'), qos: 0, retain: false, dup: false },
  { type: 'publish', topic: 'x', payload: Buffer.alloc(300, 7), qos: 1, retain: true, dup: false, packetId: 9 },
  { type: 'subscribe', packetId: 2, subscriptions: [{ topic: 'a/#', qos: 2 }] },
  { type: 'pingreq' },
  { type: 'pubrel', packetId: 9 },
  { type: 'disconnect' },
];

const V5_PACKETS: Packet[] = [
  {
    type: 'publish',
    topic: 'a',
    payload: Buffer.alloc(200, 1),
    qos: 2,
    retain: false,
    dup: true,
    packetId: 1,
    properties: { userProperties: [['k', 'v']], correlationData: Buffer.from('id') },
  },
  { type: 'puback', packetId: 3, reasonCode: 0x10 },
  { type: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'm' } },
  { type: 'disconnect', reasonCode: 0 },
];

function streamOf(packets: Packet[], version: ProtocolVersion): { stream: Buffer; sizes: number[] } {
  const frames = packets.map((p) => encodePacket(p, version));
  return { stream: Buffer.concat(frames), sizes: frames.map((f) => f.length) };
}

/** Feeds `chunks` and collects every packet with its frame size; packets are compared after all feeds. */
function feedAll(decoder: PacketDecoder, chunks: Buffer[]): [Packet, number][] {
  const seen: [Packet, number][] = [];
  for (const chunk of chunks) decoder.feed(chunk, (packet, frameBytes) => seen.push([packet, frameBytes]));
  return seen;
}

function pairs(packets: Packet[], sizes: number[]): [Packet, number][] {
  return packets.map((p, i) => [p, sizes[i]!]);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('PacketDecoder', () => {
  it('emits every packet of one chunk in order, with its frame size', () => {
    const { stream, sizes } = streamOf(V4_PACKETS, 4);
    const decoder = new PacketDecoder();
    expect(feedAll(decoder, [stream])).toStrictEqual(pairs(V4_PACKETS, sizes));
    expect(decoder.bufferedBytes).toBe(0);
  });

  it.each([
    [4, V4_PACKETS],
    [5, V5_PACKETS],
  ] as const)('decodes the same packets from 1-byte chunks (level %i)', (version, packets) => {
    const { stream, sizes } = streamOf(packets, version);
    const chunks = [...stream].map((byte) => Buffer.from([byte]));
    const decoder = new PacketDecoder({ protocolVersion: version });
    expect(feedAll(decoder, chunks)).toStrictEqual(pairs(packets, sizes));
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('decodes the same packets whatever single split point divides the stream', () => {
    const { stream, sizes } = streamOf(V4_PACKETS, 4);
    for (let at = 0; at <= stream.length; at++) {
      const decoder = new PacketDecoder();
      const chunks = [Buffer.from(stream.subarray(0, at)), Buffer.from(stream.subarray(at))];
      expect(feedAll(decoder, chunks)).toStrictEqual(pairs(V4_PACKETS, sizes));
    }
  });

  it('joins a multi-byte remaining length split across chunks', () => {
    const packet: Packet = {
      type: 'publish',
      topic: 't',
      payload: Buffer.alloc(20_000, 3),
      qos: 0,
      retain: false,
      dup: false,
    };
    const frame = encodePacket(packet, 4);
    expect(frame.subarray(0, 4).toString('hex')).toBe('30a39c01');
    const decoder = new PacketDecoder();
    const chunks = [
      frame.subarray(0, 2),
      frame.subarray(2, 3),
      frame.subarray(3, 4),
      frame.subarray(4, 5000),
      frame.subarray(5000),
    ];
    expect(
      feedAll(
        decoder,
        chunks.map((c) => Buffer.from(c)),
      ),
    ).toStrictEqual([[packet, frame.length]]);
  });

  it('reports the bytes of the unfinished packet', () => {
    const decoder = new PacketDecoder();
    decoder.feed(hex('c0 00 30'), () => undefined);
    expect(decoder.bufferedBytes).toBe(1);
    decoder.feed(hex('05 00 01'), () => undefined);
    expect(decoder.bufferedBytes).toBe(4);
    decoder.feed(hex('74 68 69 c0'), () => undefined);
    expect(decoder.bufferedBytes).toBe(1);
  });

  it('decodes packets larger than the whole-tail limit that arrive in many chunks', () => {
    const packet: Packet = {
      type: 'publish',
      topic: 'big',
      payload: Buffer.from(Array.from({ length: 300_000 }, (_, i) => i & 0xff)),
      qos: 1,
      retain: false,
      dup: false,
      packetId: 5,
    };
    const frame = encodePacket(packet, 4);
    const chunks: Buffer[] = [];
    for (let i = 0; i < frame.length; i += 7_001) chunks.push(Buffer.from(frame.subarray(i, i + 7_001)));
    const decoder = new PacketDecoder();
    expect(feedAll(decoder, chunks)).toStrictEqual([[packet, frame.length]]);
  });

  describe('payload views', () => {
    it('a PUBLISH wholly inside the chunk gets a view on that chunk, not a copy', () => {
      const chunk = hex('30 05 00 01 74 68 69 c0 00');
      let payload: Buffer | undefined;
      new PacketDecoder().feed(chunk, (p) => {
        if (p.type === 'publish') payload = p.payload;
      });
      expect(payload!.buffer).toBe(chunk.buffer);
      expect(payload!.byteOffset).toBe(chunk.byteOffset + 5);
    });

    it('a PUBLISH assembled from several chunks keeps its payload after later packets are buffered', () => {
      const packets: Packet[] = [1, 2, 3, 4].map((n) => ({
        type: 'publish',
        topic: 't',
        payload: Buffer.alloc(50, n),
        qos: 0,
        retain: false,
        dup: false,
      }));
      const { stream } = streamOf(packets, 4);
      const decoder = new PacketDecoder();
      const seen: Packet[] = [];
      // Chunks of 30 bytes: every packet straddles a chunk boundary.
      for (let i = 0; i < stream.length; i += 30)
        decoder.feed(Buffer.from(stream.subarray(i, i + 30)), (p) => seen.push(p));
      expect(seen).toStrictEqual(packets);
    });
  });

  describe('maximum packet size', () => {
    it('defaults to 1 MiB, fixed header included', () => {
      const decoder = new PacketDecoder();
      expect(decoder.maxPacketSize).toBe(DEFAULT_MAX_PACKET_SIZE);
      expect(DEFAULT_MAX_PACKET_SIZE).toBe(1024 * 1024);
      // Remaining length 1,048,572 (fc ff 3f) + 4 header bytes = 1 MiB exactly.
      decoder.feed(hex('30 fc ff 3f'), () => undefined);
      expect(decoder.bufferedBytes).toBe(4);
      expect(() => new PacketDecoder().feed(hex('30 fd ff 3f'), () => undefined)).toThrow(
        expect.objectContaining({ code: 'CODEC_TOO_LARGE', reasonCode: 0x95 }) as CodecError,
      );
    });

    it('rejects a fixed header announcing a huge packet before buffering anything', () => {
      const allocate = vi.spyOn(Buffer, 'allocUnsafe');
      const decoder = new PacketDecoder({ maxPacketSize: 1000 });
      // 268,435,455 bytes announced; only the fixed header is fed.
      expect(() => decoder.feed(hex('30 ff ff ff 7f'), () => undefined)).toThrow(
        expect.objectContaining({ code: 'CODEC_TOO_LARGE', reasonCode: 0x95 }) as CodecError,
      );
      expect(allocate).not.toHaveBeenCalled();
      expect(decoder.bufferedBytes).toBe(0);
    });

    it('rejects it when the fixed header arrives one byte at a time, holding at most 5 bytes', () => {
      const allocate = vi.spyOn(Buffer, 'allocUnsafe');
      const decoder = new PacketDecoder({ maxPacketSize: 1000 });
      for (const byte of [0x30, 0xff, 0xff, 0xff]) decoder.feed(Buffer.from([byte]), () => undefined);
      expect(decoder.bufferedBytes).toBe(4);
      expect(() => decoder.feed(Buffer.from([0x7f]), () => undefined)).toThrow(
        expect.objectContaining({ reasonCode: 0x95 }) as CodecError,
      );
      for (const [size] of allocate.mock.calls) expect(size).toBeLessThanOrEqual(5);
    });

    it('accepts a packet of exactly maxPacketSize and rejects one byte more', () => {
      const frame = hex('30 05 00 01 74 68 69');
      expect(feedAll(new PacketDecoder({ maxPacketSize: 7 }), [frame])).toHaveLength(1);
      expect(() => new PacketDecoder({ maxPacketSize: 6 }).feed(frame, () => undefined)).toThrow(
        expect.objectContaining({ reasonCode: 0x95 }) as CodecError,
      );
    });

    it('a peer announcing a large packet and stalling pins memory in proportion to what it sent', () => {
      const allocate = vi.spyOn(Buffer, 'allocUnsafe');
      const decoder = new PacketDecoder({ maxPacketSize: 16 * 1024 * 1024 });
      // 10 MB announced (80 80 80 05), 10 bytes sent.
      decoder.feed(hex('30 80 80 80 05 00 01 74 00 00'), () => undefined);
      expect(decoder.bufferedBytes).toBe(10);
      for (const [size] of allocate.mock.calls) expect(size).toBeLessThanOrEqual(64 * 1024);
    });
  });

  describe('failure', () => {
    it('throws a CodecError, emits nothing after it, and throws the same error on every later feed', () => {
      const decoder = new PacketDecoder();
      const seen: Packet[] = [];
      let first: unknown;
      try {
        decoder.feed(hex('c0 00 36 05 00 01 74 00 01 c0 00'), (p) => seen.push(p));
      } catch (error) {
        first = error;
      }
      expect(first).toBeInstanceOf(CodecError);
      expect(seen).toStrictEqual([{ type: 'pingreq' }]);
      expect(() => decoder.feed(hex('c0 00'), (p) => seen.push(p))).toThrow(first);
      expect(seen).toHaveLength(1);
      expect(decoder.bufferedBytes).toBe(0);
    });

    it('[MQTT-1.5.5-1] rejects a remaining length longer than 4 bytes without waiting for a fifth', () => {
      const decoder = new PacketDecoder({ maxPacketSize: 300_000_000 });
      expect(() => decoder.feed(hex('30 ff ff ff ff'), () => undefined)).toThrow(
        expect.objectContaining({ code: 'CODEC_MALFORMED', reasonCode: 0x81 }) as CodecError,
      );
    });

    it('an exception from onPacket propagates and leaves the decoder usable', () => {
      const decoder = new PacketDecoder();
      expect(() =>
        decoder.feed(hex('c0 00 d0 00'), () => {
          throw new Error('handler');
        }),
      ).toThrow('handler');
      expect(feedAll(decoder, [hex('c0 00')])).toStrictEqual([[{ type: 'pingreq' }, 2]]);
    });
  });

  describe('protocol version', () => {
    it('defaults to 4 and can be set by the client', () => {
      const decoder = new PacketDecoder();
      expect(decoder.protocolVersion).toBe(4);
      decoder.protocolVersion = 5;
      expect(feedAll(decoder, [hex('40 02 00 01')])).toStrictEqual([
        [{ type: 'puback', packetId: 1, reasonCode: 0 }, 4],
      ]);
    });

    it('a decoded CONNECT sets it, for the packets after it in the same chunk', () => {
      const connect: Packet = {
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 5,
        clean: true,
        keepalive: 0,
        clientId: 'c',
      };
      const decoder = new PacketDecoder();
      const seen = feedAll(decoder, [Buffer.concat([encodePacket(connect), hex('40 03 00 01 10')])]);
      expect(decoder.protocolVersion).toBe(5);
      expect(seen.map(([p]) => p)).toStrictEqual([connect, { type: 'puback', packetId: 1, reasonCode: 0x10 }]);
    });

    it('a CONNECT assembled from the tail sets it too', () => {
      const connect = encodePacket({
        type: 'connect',
        protocolName: 'MQIsdp',
        protocolVersion: 3,
        clean: true,
        keepalive: 0,
        clientId: 'c',
      });
      const decoder = new PacketDecoder({ protocolVersion: 5 });
      decoder.feed(connect.subarray(0, 5), () => undefined);
      decoder.feed(connect.subarray(5), () => undefined);
      expect(decoder.protocolVersion).toBe(3);
    });
  });
});

describe('decodePacket', () => {
  it('decodes exactly one complete packet', () => {
    expect(decodePacket(hex('40 02 00 0a'))).toStrictEqual({ type: 'puback', packetId: 10 });
    expect(decodePacket(hex('40 02 00 0a'), 5)).toStrictEqual({ type: 'puback', packetId: 10, reasonCode: 0 });
  });

  it.each([
    ['an empty buffer', ''],
    ['a lone first byte', '40'],
    ['an unfinished remaining length', '30 80'],
    ['a frame shorter than its remaining length', '40 02 00'],
    ['bytes after the packet', '40 02 00 0a c0'],
    ['a fifth remaining-length byte', '30 80 80 80 80 01 00'],
  ])('rejects %s as malformed', (_title, wire) => {
    expect(() => decodePacket(hex(wire), 4)).toThrow(
      expect.objectContaining({ code: 'CODEC_MALFORMED', reasonCode: 0x81 }) as CodecError,
    );
  });

  it('never throws anything but a CodecError for truncations and bit flips of valid packets', () => {
    const { stream } = streamOf([...V4_PACKETS], 4);
    const frames = [...V4_PACKETS.map((p) => encodePacket(p, 4)), ...V5_PACKETS.map((p) => encodePacket(p, 5))];
    for (const frame of [...frames, stream]) {
      for (let i = 0; i < frame.length; i++) {
        for (const mutated of [
          frame.subarray(0, i),
          flip(frame, i, 0x01),
          flip(frame, i, 0x80),
          flip(frame, i, 0xff),
        ]) {
          for (const version of [3, 4, 5] as const) {
            try {
              decodePacket(mutated, version);
            } catch (error) {
              expect(error).toBeInstanceOf(CodecError);
            }
            try {
              new PacketDecoder({ protocolVersion: version, maxPacketSize: 4096 }).feed(mutated, () => undefined);
            } catch (error) {
              expect(error).toBeInstanceOf(CodecError);
            }
          }
        }
      }
    }
  });
});

function flip(frame: Buffer, at: number, mask: number): Buffer {
  const copy = Buffer.from(frame);
  copy[at] = copy[at]! ^ mask;
  return copy;
}

describe('PacketDecoder role', () => {
  const connect5 = encodePacket(
    { type: 'connect', protocolName: 'MQTT', protocolVersion: 5, clean: true, keepalive: 0, clientId: 'c' },
    5,
  );

  function failure(decoder: PacketDecoder, chunk: Buffer): unknown {
    try {
      decoder.feed(chunk, () => {});
    } catch (error) {
      return error;
    }
    return undefined;
  }

  it.each([
    ['CONNACK', '20 03 00 00 00'],
    ['SUBACK', '90 04 00 01 00 00'],
    ['UNSUBACK', 'b0 04 00 01 00 00'],
    ['PINGRESP', 'd0 00'],
  ])('server: a %s from a client is a protocol error (0x82), even with an unparsable body', (_name, wire) => {
    const decoder = new PacketDecoder({ role: 'server' });
    decoder.feed(connect5, () => {});
    expect(failure(decoder, hex(wire))).toMatchObject({ code: 'CODEC_PROTOCOL', reasonCode: 0x82 });
    // Refused at the fixed header: a body that is not there yet (or would be malformed) changes nothing.
    const early = new PacketDecoder({ role: 'server' });
    early.feed(connect5, () => {});
    expect(failure(early, hex(wire).subarray(0, 1))).toMatchObject({ reasonCode: 0x82 });
    expect(early.bufferedBytes).toBe(0);
  });

  it('[MQTT-3.1.0-2] server: any CONNECT after the first is a protocol error, whatever its level or name', () => {
    for (const second of [
      '10 0d 00 04 4d 51 54 54 06 02 00 00 00 00 00',
      '10 0c 00 04 4d 51 54 58 04 02 00 00 00 00',
      '10 00',
    ]) {
      const decoder = new PacketDecoder({ role: 'server' });
      const seen: Packet[] = [];
      let thrown: unknown;
      try {
        decoder.feed(Buffer.concat([connect5, hex(second)]), (p) => seen.push(p));
      } catch (error) {
        thrown = error;
      }
      expect(seen.map((p) => p.type)).toEqual(['connect']);
      expect(thrown).toMatchObject({ code: 'CODEC_PROTOCOL', reasonCode: 0x82, specRule: 'MQTT-3.1.0-2' });
      // The first CONNECT set the version; the second did not change it.
      expect(decoder.protocolVersion).toBe(5);
    }
  });

  it('client: CONNECT, SUBSCRIBE, UNSUBSCRIBE and PINGREQ from a server are protocol errors', () => {
    for (const wire of ['10 00', '82 00', 'a2 00', 'c0 00']) {
      expect(failure(new PacketDecoder({ role: 'client' }), hex(wire))).toMatchObject({ reasonCode: 0x82 });
    }
    expect(feedAll(new PacketDecoder({ role: 'client' }), [hex('d0 00')])).toEqual([[{ type: 'pingresp' }, 2]]);
  });

  it('without a role every packet type decodes (test clients, tools)', () => {
    expect(feedAll(new PacketDecoder(), [hex('d0 00 c0 00')]).map(([p]) => p.type)).toEqual(['pingresp', 'pingreq']);
  });
});
