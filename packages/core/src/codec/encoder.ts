import type { Packet, ProtocolVersion } from './packets.js';
import { measure, write } from './encode-body.js';
import { varintLength } from './varint.js';
import { allocate } from './slab.js';

/** The encoded size of `packet` in bytes, fixed header included. A CONNECT uses its own protocolVersion. */
export function encodedLength(packet: Packet, protocolVersion: ProtocolVersion = 4): number {
  const remaining = measure(packet, protocolVersion);
  return 1 + varintLength(remaining) + remaining;
}

/**
 * Writes `packet` into `buffer` at `offset` and returns the end offset. Throws CodecError for a packet
 * that cannot be encoded and RangeError when it does not fit.
 */
export function encodeInto(
  packet: Packet,
  buffer: Buffer,
  offset: number,
  protocolVersion: ProtocolVersion = 4,
): number {
  const version = packet.type === 'connect' ? packet.protocolVersion : protocolVersion;
  const remaining = measure(packet, version);
  const end = offset + 1 + varintLength(remaining) + remaining;
  if (!(offset >= 0 && end <= buffer.length)) {
    throw new RangeError(
      `a ${end - offset}-byte packet does not fit at offset ${offset} of a ${buffer.length}-byte buffer`,
    );
  }
  return write(packet, buffer, offset, remaining, version);
}

/**
 * Encodes `packet` into a Buffer of exactly its size. Like Buffer.allocUnsafe, the Buffer may be a
 * slice of a larger shared allocation: copy it before keeping it long-term.
 */
export function encodePacket(packet: Packet, protocolVersion: ProtocolVersion = 4): Buffer {
  const version = packet.type === 'connect' ? packet.protocolVersion : protocolVersion;
  const remaining = measure(packet, version);
  const buffer = allocate(1 + varintLength(remaining) + remaining);
  write(packet, buffer, 0, remaining, version);
  return buffer;
}
