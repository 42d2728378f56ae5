/**
 * The bytes one node sends the others through NATS for one message: the id of the node that sent it and
 * the message itself. The subject says where it goes (subject.ts); this says what it is.
 *
 *   byte 0        format version: 2 for a message with an id (what nodes send), 1 without (retained records)
 *   byte 1        N, the length in bytes of the sender's node id (UTF-8, at most 255 bytes)
 *   bytes 2..N+1  the node id
 *   version 2 only:
 *     byte N+2    flags: bit 0 set on a message sent again (its first sending may have arrived)
 *     4 bytes     the sender's incarnation (random at each start), big-endian
 *     6 bytes     the message's sequence number in that incarnation, big-endian
 *   the rest      one MQTT 5.0 PUBLISH packet as the Midge codec encodes it: topic, payload, QoS, retain
 *                 and the v5 properties (packet id 1 when QoS > 0; it means nothing here)
 *
 * The message travels as a PUBLISH packet so that everything MQTT can attach to a message (user
 * properties, content type, expiry...) crosses without a second format to keep in step with the codec.
 * The id (node, incarnation, sequence) lets a receiver drop a second copy of a message sent again after a
 * NATS server died (nats-link.ts keeps what the server has not confirmed).
 */
import { decodePacket, encodedLength, encodeInto } from '@midge/mqtt-core/codec';
import type { PublishPacket, PublishProperties } from '@midge/mqtt-core/codec';
import type { Message } from '@midge/mqtt-core';

/** Bumped on any incompatible change; a receiver refuses versions it does not know. */
export const WIRE_FORMAT_VERSION = 2;
/** The version of a frame without an id (the retained stream's records). */
const WITHOUT_ID = 1;
const ID_BYTES = 11;
const REDELIVERED = 1;
export const MAX_NODE_ID_BYTES = 255;
const HEADER_BYTES = 2;
/** Any id works: a PUBLISH above QoS 0 must carry one, and the receiver ignores it. */
const PLACEHOLDER_PACKET_ID = 1;

/** Which message of which start of its node a frame is. */
export interface MessageId {
  /** Random at each start of the sending node (0 to 2^32 - 1). */
  readonly incarnation: number;
  /** Counts the node's messages from 1 in that incarnation (below 2^48). */
  readonly seq: number;
}

export interface ClusterMessage {
  /** The `node` of the broker that sent it. */
  readonly node: string;
  readonly message: Message;
  /** Absent in a version 1 frame. */
  readonly id?: MessageId;
  /** Sent again: a first copy may have arrived. */
  readonly redelivered: boolean;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * One buffer holding `message` from `node`. Reads `message.payload` synchronously and keeps no reference
 * to it (it may be a view on socket memory the broker reuses after the event).
 *
 * @throws Error when the node id is longer than 255 bytes, or CodecError when the codec cannot encode the message.
 */
export function encodeClusterMessage(message: Message, node: string, id?: MessageId): Buffer {
  const idBytes = Buffer.byteLength(node, 'utf8');
  if (idBytes > MAX_NODE_ID_BYTES)
    throw new Error(`node id is ${idBytes} bytes long; at most ${MAX_NODE_ID_BYTES} fit`);
  const packet = toPublishPacket(message);
  const afterNode = HEADER_BYTES + idBytes;
  const start = id === undefined ? afterNode : afterNode + ID_BYTES;
  const buf = Buffer.allocUnsafe(start + encodedLength(packet, 5));
  buf[0] = id === undefined ? WITHOUT_ID : WIRE_FORMAT_VERSION;
  buf[1] = idBytes;
  buf.write(node, HEADER_BYTES, idBytes, 'utf8');
  if (id !== undefined) {
    buf[afterNode] = 0;
    buf.writeUInt32BE(id.incarnation, afterNode + 1);
    buf.writeUIntBE(id.seq, afterNode + 5, 6);
  }
  const end = encodeInto(packet, buf, start, 5);
  // encodedLength and encodeInto agree by contract; a mismatch would send garbage to the other nodes.
  if (end !== buf.length) throw new Error(`encoded ${end - start} bytes where ${buf.length - start} were expected`);
  return buf;
}

/**
 * The node id and message in `buf`. The payload is a view on `buf`.
 *
 * @throws Error (or the codec's CodecError) when `buf` is not a well-formed version 1 message.
 */
export function decodeClusterMessage(buf: Buffer): ClusterMessage {
  if (buf.length < HEADER_BYTES)
    throw new Error(`a cluster message has at least ${HEADER_BYTES} bytes; got ${buf.length}`);
  const version = buf[0];
  if (version !== WIRE_FORMAT_VERSION && version !== WITHOUT_ID)
    throw new Error(
      `unknown cluster message format version ${version} (this plugin reads ${WITHOUT_ID} and ${WIRE_FORMAT_VERSION})`,
    );
  const idBytes = buf[1] as number;
  const afterNode = HEADER_BYTES + idBytes;
  const start = version === WITHOUT_ID ? afterNode : afterNode + ID_BYTES;
  if (buf.length <= start)
    throw new Error(`truncated cluster message: ${buf.length} bytes, the header alone announces ${start}`);
  const node = strictUtf8.decode(buf.subarray(HEADER_BYTES, afterNode));
  const packet = decodePacket(buf.subarray(start), 5);
  if (packet.type !== 'publish')
    throw new Error(`a cluster message carries a PUBLISH packet, not ${packet.type.toUpperCase()}`);
  const { topic, payload, qos, retain, properties } = packet;
  const message =
    properties === undefined ? { topic, payload, qos, retain } : { topic, payload, qos, retain, properties };
  if (version === WITHOUT_ID) return { node, message, redelivered: false };
  return {
    node,
    message,
    id: { incarnation: buf.readUInt32BE(afterNode + 1), seq: buf.readUIntBE(afterNode + 5, 6) },
    redelivered: ((buf[afterNode] as number) & REDELIVERED) !== 0,
  };
}

/** A copy of a version 2 `frame` marked as sent again (the frame itself may still be queued elsewhere). */
export function redeliveredCopy(frame: Uint8Array): Buffer {
  const copy = Buffer.from(frame);
  if (copy[0] === WIRE_FORMAT_VERSION) {
    const flags = HEADER_BYTES + (copy[1] as number);
    copy[flags] = (copy[flags] as number) | REDELIVERED;
  }
  return copy;
}

function toPublishPacket(message: Message): PublishPacket {
  const { topic, payload, qos, retain } = message;
  const properties = sharedProperties(message.properties);
  const packet: PublishPacket = { type: 'publish', topic, payload, qos, retain, dup: false };
  if (qos > 0) packet.packetId = PLACEHOLDER_PACKET_ID;
  if (properties !== undefined) packet.properties = properties;
  return packet;
}

/**
 * The properties that belong to the message itself. A Topic Alias is bound to one client connection and
 * Subscription Identifiers to one receiver's subscriptions, so neither means anything on another node.
 */
function sharedProperties(properties: PublishProperties | undefined): PublishProperties | undefined {
  if (properties === undefined) return undefined;
  if (properties.topicAlias === undefined && properties.subscriptionIdentifier === undefined) {
    return Object.keys(properties).length === 0 ? undefined : properties;
  }
  const { topicAlias: _alias, subscriptionIdentifier: _ids, ...rest } = properties;
  return Object.keys(rest).length === 0 ? undefined : rest;
}
