import type { ProtocolVersion, PublishPacket } from './packets.js';
import { lastPacketIdOffset, measurePublish, writePublish } from './encode-body.js';
import { tooLarge, unencodable } from './fail.js';
import { MAX_VARINT, varintLength } from './varint.js';
import { allocate } from './slab.js';

/** A PUBLISH encoded once for many receivers; only its packet identifier (and DUP) differ per receiver. */
export interface EncodedPublish {
  readonly bytes: Buffer;
  /** Offset of the 2-byte packet id, -1 for QoS 0. */
  readonly packetIdOffset: number;
}

/**
 * Encodes a PUBLISH for every receiver of the same (QoS, retain, properties) variant. `packet.packetId`
 * is ignored: QoS > 0 gets a placeholder 0 that `withPacketId` or `stampPacketId` replaces.
 */
export function encodePublishOnce(packet: PublishPacket, protocolVersion: ProtocolVersion = 4): EncodedPublish {
  const remaining = measurePublish(packet, protocolVersion, false);
  if (remaining > MAX_VARINT)
    tooLarge(`a remaining length of ${remaining} bytes exceeds the MQTT limit of ${MAX_VARINT}`);
  const bytes = allocate(1 + varintLength(remaining) + remaining);
  writePublish(packet, bytes, 0, remaining, protocolVersion, 0);
  return { bytes, packetIdOffset: lastPacketIdOffset };
}

/**
 * A copy of the encoded PUBLISH with `packetId` stamped in and the DUP flag set as `dup` says. Like
 * encodePacket's result, it may share a larger allocation: copy it before keeping it long-term.
 */
export function withPacketId(encoded: EncodedPublish, packetId: number, dup = false): Buffer {
  const source = encoded.bytes;
  const bytes = allocate(source.length);
  bytes.set(source, 0);
  if (encoded.packetIdOffset < 0) {
    if (dup) unencodable('PUBLISH with QoS 0 must not set DUP', 0x81, 'MQTT-3.3.1-2');
  } else {
    stampPacketId(bytes, encoded.packetIdOffset, packetId);
    const flags = bytes[0] as number;
    bytes[0] = dup ? flags | 0x08 : flags & 0xf7;
  }
  return bytes;
}

/** Writes `packetId` (1..65535) into an encoded PUBLISH in place. */
export function stampPacketId(bytes: Buffer, packetIdOffset: number, packetId: number): void {
  if (!(packetId >>> 0 === packetId && packetId !== 0 && packetId <= 0xffff)) {
    unencodable(`packet identifier ${packetId} is not 1..65535`, 0x82, 'MQTT-2.3.1-1');
  }
  if (!(packetIdOffset >= 0 && packetIdOffset + 2 <= bytes.length)) {
    throw new RangeError(`packet identifier offset ${packetIdOffset} is outside the ${bytes.length}-byte packet`);
  }
  bytes[packetIdOffset] = packetId >>> 8;
  bytes[packetIdOffset + 1] = packetId & 0xff;
}
