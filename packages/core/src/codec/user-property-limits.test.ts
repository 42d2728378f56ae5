import { describe, expect, it } from 'vitest';
import type { Packet, PublishPacket } from './packets.js';
import { CodecError } from './errors.js';
import { decodePacket, PacketDecoder, type PacketDecoderOptions } from './decoder.js';
import { encodePacket } from './encoder.js';

function pairs(n: number, name = 'k', value = 'v'): [string, string][] {
  return Array.from({ length: n }, () => [name, value]);
}

function publishWith(userProperties: [string, string][]): PublishPacket {
  return {
    type: 'publish',
    topic: 't',
    payload: Buffer.from('p'),
    qos: 0,
    retain: false,
    dup: false,
    properties: { userProperties },
  };
}

/** Feeds one v5 packet to a decoder with `options`; returns the packet or the CodecError. */
function decodeV5(packet: Packet, options: PacketDecoderOptions): Packet | CodecError {
  const decoder = new PacketDecoder({ protocolVersion: 5, ...options });
  const out: Packet[] = [];
  try {
    decoder.feed(encodePacket(packet, 5), (p) => out.push(p));
  } catch (err) {
    if (err instanceof CodecError) return err;
    throw err;
  }
  return out[0]!;
}

const tooLarge = expect.objectContaining({ code: 'CODEC_TOO_LARGE', reasonCode: 0x95 }) as CodecError;

describe('User Property caps (max_user_properties, max_user_properties_bytes)', () => {
  it('accepts up to maxUserProperties and refuses one more with 0x95', () => {
    expect(decodeV5(publishWith(pairs(3)), { maxUserProperties: 3 })).toMatchObject({ type: 'publish' });
    expect(decodeV5(publishWith(pairs(4)), { maxUserProperties: 3 })).toEqual(tooLarge);
  });

  it('counts name and value bytes, without the length prefixes, against maxUserPropertiesBytes', () => {
    // 3 pairs of 2 + 3 bytes = 15 bytes.
    expect(decodeV5(publishWith(pairs(3, 'ab', 'cde')), { maxUserPropertiesBytes: 15 })).toMatchObject({
      type: 'publish',
    });
    expect(decodeV5(publishWith(pairs(3, 'ab', 'cdef')), { maxUserPropertiesBytes: 15 })).toEqual(tooLarge);
    // UTF-8 bytes, not characters: 'é' is two bytes.
    expect(decodeV5(publishWith([['é', '']]), { maxUserPropertiesBytes: 1 })).toEqual(tooLarge);
  });

  it('counts a CONNECT and its will properties together', () => {
    const connect: Packet = {
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      clean: true,
      keepalive: 0,
      clientId: 'c',
      properties: { userProperties: pairs(2) },
      will: { topic: 'w', payload: Buffer.from('x'), qos: 0, retain: false, properties: { userProperties: pairs(2) } },
    };
    expect(decodeV5(connect, { maxUserProperties: 4 })).toMatchObject({ type: 'connect' });
    expect(decodeV5(connect, { maxUserProperties: 3 })).toEqual(tooLarge);
  });

  it('limits each packet on its own: a packet under the cap after one over it on another decoder decodes', () => {
    const limited = new PacketDecoder({ protocolVersion: 5, maxUserProperties: 1 });
    expect(() => limited.feed(encodePacket(publishWith(pairs(2)), 5), () => undefined)).toThrow(CodecError);
    const out: Packet[] = [];
    const decoder = new PacketDecoder({ protocolVersion: 5, maxUserProperties: 2 });
    const two = encodePacket(publishWith(pairs(2)), 5);
    decoder.feed(Buffer.concat([two, two, two]), (p) => out.push(p));
    expect(out).toHaveLength(3);
  });

  it('0 or no option is unlimited, and decodePacket has no caps', () => {
    expect(decodeV5(publishWith(pairs(1000)), {})).toMatchObject({ type: 'publish' });
    expect(decodeV5(publishWith(pairs(1000)), { maxUserProperties: 0, maxUserPropertiesBytes: 0 })).toMatchObject({
      type: 'publish',
    });
    expect(decodePacket(encodePacket(publishWith(pairs(1000)), 5), 5)).toMatchObject({ type: 'publish' });
  });
});

describe('PacketDecoder before CONNACK', () => {
  const v5Connect = (size: number): Buffer =>
    encodePacket(
      {
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 5,
        clean: true,
        keepalive: 0,
        clientId: 'x'.repeat(size),
      },
      5,
    );

  it('a CONNECT over maxPacketSize is refused at its fixed header, and shows it is MQTT 5 when the level is in the chunk', () => {
    const decoder = new PacketDecoder({ maxPacketSize: 1000 });
    expect(() => decoder.feed(v5Connect(2000).subarray(0, 20), () => undefined)).toThrow(tooLarge);
    expect(decoder.protocolVersion).toBe(5);
    const v4 = new PacketDecoder({ maxPacketSize: 1000 });
    const v4Connect = encodePacket({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 0,
      clientId: 'x'.repeat(2000),
    });
    expect(() => v4.feed(v4Connect, () => undefined)).toThrow(tooLarge);
    expect(v4.protocolVersion).toBe(4);
  });

  it('heldBytes is the memory kept for an unfinished packet; 0 once it completes', () => {
    const decoder = new PacketDecoder();
    const frame = v5Connect(1000);
    decoder.feed(frame.subarray(0, 10), () => undefined);
    expect(decoder.bufferedBytes).toBe(10);
    expect(decoder.heldBytes).toBe(frame.length); // a small frame's buffer is allocated whole
    decoder.feed(frame.subarray(10), () => undefined);
    expect(decoder.heldBytes).toBe(0);
  });
});
