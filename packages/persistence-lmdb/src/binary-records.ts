import type { PersistedDelivery, PersistedInflight, PersistedMessage, PersistedQueued, QoS } from '@midge/mqtt-core';
import { asBinary, type Database } from 'lmdb';
import type { StoredInflight } from './records.js';

/**
 * The layout of queue and inflight records (format 2). They are written once or twice per QoS 1/2 message to a
 * persistent session, so they take the store's hot path: MessagePack spent more time on them than anything else
 * in the store, and repeated their field names in every record. Here the fixed fields are bytes at fixed
 * places, the topic and payload are copied once, and only the rare parts (v5 properties, subscription
 * identifiers) go through MessagePack.
 *
 * A record is framed as a MessagePack bin 32 (0xc6, big-endian length), written as it is (`asBinary`): the
 * table's MessagePack decoder hands it back as a Buffer, while a format 1 record (a MessagePack map) decodes
 * to an object. Readers take both, so a store written by format 1 needs no migration.
 *
 * Delivery (integers little-endian):
 *
 *     u8 kind = 1 | u8 flags | u16 topic bytes | topic (UTF-8) | u32 payload bytes | payload
 *     [f64 expiresAt, flag 0x40] [u32 bytes + MessagePack { properties?, subscriptionIds? }, flag 0x80]
 *
 * flags: delivery QoS (bits 0-1), delivery RETAIN (0x04), message QoS (bits 3-4), message RETAIN (0x20).
 *
 * Inflight: `u8 kind = 2 | u8 flags | u16 packet id | f64 order | [f64 seq, flag 0x02] | delivery`, flags:
 * 0x01 state 'pubrel' (else 'publish'), 0x02 seq present.
 *
 * Format 3 adds two records to the queue table (queue-chunks.ts says when they are written): a chunk,
 * `u8 kind = 3 | u8 0 | u16 0 | u32 count` then per delivery `f64 seq | u32 record bytes | delivery record`
 * (without its frame), and a removed marker, `u8 kind = 4`.
 */

/** MessagePack for the rare parts: the table's own encoder. */
export interface MessagePack {
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

/** The MessagePack codec lmdb-js made for a table (each table has one; they are configured alike). */
export function messagePackOf(db: Database): MessagePack {
  const { encoder, decoder } = db as {
    encoder?: { encode(value: unknown): Uint8Array };
    decoder?: { decode(bytes: Uint8Array): unknown };
  };
  if (encoder === undefined || decoder === undefined)
    throw new Error('lmdb-js opened a table without its MessagePack codec');
  return { encode: (value) => encoder.encode(value), decode: (bytes) => decoder.decode(bytes) };
}

const BIN32 = 0xc6;
const FRAME = 5;
const KIND_DELIVERY = 1;
const KIND_INFLIGHT = 2;
const KIND_CHUNK = 3;
const KIND_REMOVED = 4;
/** A chunk: `u8 kind | u8 0 | u16 0 | u32 count`, then per delivery `f64 seq | u32 bytes | delivery record`. */
const CHUNK_HEADER = 8;
const CHUNK_ENTRY_HEADER = 12;

const RETAIN = 0x04;
const MESSAGE_RETAIN = 0x20;
const EXPIRES = 0x40;
const EXTRAS = 0x80;

const PUBREL = 0x01;
const HAS_SEQ = 0x02;
const INFLIGHT_HEADER = 12;

interface Extras {
  properties?: PersistedMessage['properties'];
  subscriptionIds?: readonly number[];
}

/** What lmdb-js stores as it is. */
export type BinaryValue = ReturnType<typeof asBinary>;

export function encodeDelivery(d: PersistedDelivery, pack: MessagePack): BinaryValue {
  return asBinary(deliveryFrame(d, pack));
}

/** A delivery record with its frame, as `encodeDelivery` stores it (a chunk takes its bytes after the frame). */
export function deliveryFrame(d: PersistedDelivery, pack: MessagePack): Buffer {
  const topic = utf8Length(d.message.topic);
  const extras = extrasOf(d, pack);
  const out = frame(deliveryLength(d.message, topic, extras));
  writeDelivery(out, FRAME, d, topic, extras);
  return out;
}

/** The bytes a framed record (`deliveryFrame`) adds to a chunk: its sequence number, length and record. */
export function chunkEntryBytes(framed: Buffer): number {
  return CHUNK_ENTRY_HEADER + framed.length - FRAME;
}

/** The bytes of a chunk holding nothing yet: its frame and header. */
export const EMPTY_CHUNK_BYTES = FRAME + CHUNK_HEADER;

/**
 * Writes a framed record (`deliveryFrame`) as a chunk's delivery `seq` at `at` of `out` (a chunk being
 * assembled, frame and header first: `EMPTY_CHUNK_BYTES`); returns where the next one goes.
 */
export function writeChunkEntry(out: Buffer, at: number, seq: number, framed: Buffer): number {
  out.writeDoubleLE(seq, at);
  out.writeUInt32LE(framed.length - FRAME, at + 8);
  framed.copy(out, at + CHUNK_ENTRY_HEADER, FRAME);
  return at + CHUNK_ENTRY_HEADER + framed.length - FRAME;
}

/** The stored value of a chunk: a copy of the first `length` bytes of `assembled`, which hold `count` deliveries. */
export function chunkValue(assembled: Buffer, length: number, count: number): BinaryValue {
  const out = Buffer.allocUnsafe(length);
  assembled.copy(out, 0, 0, length);
  out[0] = BIN32;
  out.writeUInt32BE(length - FRAME, 1);
  out[FRAME] = KIND_CHUNK;
  out[FRAME + 1] = 0;
  out.writeUInt16LE(0, FRAME + 2);
  out.writeUInt32LE(count, FRAME + 4);
  return asBinary(out);
}

/**
 * The deliveries of a stored chunk numbered above `afterSeq` and not `removed`, oldest first, each payload a
 * copy of its own (the chunk is not held); the others are skipped undecoded.
 */
export function decodeChunk(
  value: unknown,
  unpack: MessagePack,
  afterSeq = -Infinity,
  removed?: ReadonlySet<number>,
): PersistedQueued[] {
  const out: PersistedQueued[] = [];
  for (const { seq, bytes, at, length } of chunkEntries(value))
    if (seq > afterSeq && removed?.has(seq) !== true) {
      const record = Buffer.from(bytes.subarray(at, at + length));
      out.push({ seq, delivery: readDelivery(record, 0, unpack) });
    }
  return out;
}

/** The sequence numbers of a stored chunk, without decoding its deliveries. */
export function chunkSeqs(value: unknown): number[] {
  return [...chunkEntries(value)].map((e) => e.seq);
}

/** Each delivery of a stored chunk: its number and where its record is (`length` bytes at `at` of `bytes`). */
function* chunkEntries(value: unknown): Generator<{ seq: number; bytes: Buffer; at: number; length: number }> {
  const bytes = value instanceof Uint8Array ? asBuffer(value) : undefined;
  if (bytes === undefined || bytes[0] !== KIND_CHUNK) throw unknownRecord('queue', bytes ?? Buffer.alloc(1));
  const count = bytes.readUInt32LE(4);
  let at = CHUNK_HEADER;
  for (let i = 0; i < count; i++) {
    const length = bytes.readUInt32LE(at + 8);
    yield { seq: bytes.readDoubleLE(at), bytes, at: at + CHUNK_ENTRY_HEADER, length };
    at += CHUNK_ENTRY_HEADER + length;
  }
}

/** The value of a removed-from-its-chunk marker (queue-chunks.ts). */
export function removedMarker(): BinaryValue {
  const out = frame(1);
  out[FRAME] = KIND_REMOVED;
  return asBinary(out);
}

/** `i` with its place in the send order (packet ids wrap around, so they do not give it). */
export function encodeInflight(i: PersistedInflight, order: number, pack: MessagePack): BinaryValue {
  const topic = utf8Length(i.delivery.message.topic);
  const extras = extrasOf(i.delivery, pack);
  const header = i.seq === undefined ? INFLIGHT_HEADER : INFLIGHT_HEADER + 8;
  const out = frame(header + deliveryLength(i.delivery.message, topic, extras));
  out[FRAME] = KIND_INFLIGHT;
  out[FRAME + 1] = (i.state === 'pubrel' ? PUBREL : 0) | (i.seq === undefined ? 0 : HAS_SEQ);
  out[FRAME + 2] = i.packetId & 0xff;
  out[FRAME + 3] = i.packetId >>> 8;
  out.writeDoubleLE(order, FRAME + 4);
  if (i.seq !== undefined) out.writeDoubleLE(i.seq, FRAME + INFLIGHT_HEADER);
  writeDelivery(out, FRAME + header, i.delivery, topic, extras);
  return asBinary(out);
}

/** A queue table value as stored: a format 2 record, or the delivery object of format 1. */
export function decodeDelivery(value: unknown, unpack: MessagePack): PersistedDelivery {
  if (!(value instanceof Uint8Array)) return value as PersistedDelivery;
  const bytes = asBuffer(value);
  if (bytes[0] !== KIND_DELIVERY) throw unknownRecord('queue', bytes);
  return readDelivery(bytes, 0, unpack);
}

/** An inflight table value as stored: a format 2 record, or the object of format 1. */
export function decodeInflight(value: unknown, unpack: MessagePack): StoredInflight {
  if (!(value instanceof Uint8Array)) return value as StoredInflight;
  const bytes = asBuffer(value);
  if (bytes[0] !== KIND_INFLIGHT) throw unknownRecord('inflight', bytes);
  const flags = bytes[1] ?? 0;
  const packetId = bytes.readUInt16LE(2);
  const order = bytes.readDoubleLE(4);
  const state = (flags & PUBREL) !== 0 ? 'pubrel' : 'publish';
  if ((flags & HAS_SEQ) === 0)
    return { packetId, delivery: readDelivery(bytes, INFLIGHT_HEADER, unpack), state, order };
  const seq = bytes.readDoubleLE(INFLIGHT_HEADER);
  return { packetId, delivery: readDelivery(bytes, INFLIGHT_HEADER + 8, unpack), state, order, seq };
}

/** The packet id and send order of an inflight value, without decoding its delivery. */
export function inflightPlace(value: unknown): { packetId: number; order: number } {
  if (!(value instanceof Uint8Array)) return value as StoredInflight;
  const bytes = asBuffer(value);
  if (bytes[0] !== KIND_INFLIGHT) throw unknownRecord('inflight', bytes);
  return { packetId: bytes.readUInt16LE(2), order: bytes.readDoubleLE(4) };
}

/** The rare parts of a delivery, as MessagePack; undefined when it has none (the usual case). */
function extrasOf(d: PersistedDelivery, pack: MessagePack): Uint8Array | undefined {
  const m = d.message;
  if (m.properties === undefined && d.subscriptionIds === undefined) return undefined;
  const e: Extras = {};
  if (m.properties !== undefined) e.properties = m.properties;
  if (d.subscriptionIds !== undefined) e.subscriptionIds = d.subscriptionIds;
  return pack.encode(e);
}

/** The most bytes a topic takes in MQTT, and in a record's 16-bit length field. */
const MAX_TOPIC_BYTES = 0xffff;

function deliveryLength(m: PersistedMessage, topic: number, extras: Uint8Array | undefined): number {
  if (topic > MAX_TOPIC_BYTES)
    throw new RangeError(`its topic takes ${topic} bytes, more than MQTT allows (${MAX_TOPIC_BYTES})`);
  const length = 8 + topic + m.payload.length + (m.expiresAt === undefined ? 0 : 8);
  return extras === undefined ? length : length + 4 + extras.length;
}

/** Measuring and copying short ASCII strings (the usual topic) in JavaScript saves two calls into C++. */
const SHORT_STRING = 256;

/** The UTF-8 length of `s`; it equals `s.length` exactly when `s` is ASCII. */
function utf8Length(s: string): number {
  const n = s.length;
  if (n > SHORT_STRING) return Buffer.byteLength(s);
  for (let i = 0; i < n; i++) if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s);
  return n;
}

function writeDelivery(
  out: Buffer,
  at: number,
  d: PersistedDelivery,
  topic: number,
  extras: Uint8Array | undefined,
): void {
  const m = d.message;
  out[at] = KIND_DELIVERY;
  out[at + 1] =
    d.qos |
    (d.retain ? RETAIN : 0) |
    (m.qos << 3) |
    (m.retain ? MESSAGE_RETAIN : 0) |
    (m.expiresAt === undefined ? 0 : EXPIRES) |
    (extras === undefined ? 0 : EXTRAS);
  out[at + 2] = topic & 0xff;
  out[at + 3] = topic >>> 8;
  at += 4;
  const t = m.topic;
  if (topic === t.length && topic <= SHORT_STRING) for (let i = 0; i < topic; i++) out[at + i] = t.charCodeAt(i);
  else out.write(t, at, topic, 'utf8');
  at += topic;
  const payload = m.payload;
  out.writeUInt32LE(payload.length, at);
  out.set(payload, at + 4);
  at += 4 + payload.length;
  if (m.expiresAt !== undefined) {
    out.writeDoubleLE(m.expiresAt, at);
    at += 8;
  }
  if (extras !== undefined) {
    out.writeUInt32LE(extras.length, at);
    out.set(extras, at + 4);
  }
}

function readDelivery(bytes: Buffer, at: number, unpack: MessagePack): PersistedDelivery {
  const flags = bytes[at + 1] ?? 0;
  const topicEnd = at + 4 + bytes.readUInt16LE(at + 2);
  const topic = bytes.toString('utf8', at + 4, topicEnd);
  const payloadEnd = topicEnd + 4 + bytes.readUInt32LE(topicEnd);
  // A view on the decoder's own copy of the record: nobody else holds it.
  const payload = bytes.subarray(topicEnd + 4, payloadEnd);
  let message: PersistedMessage = {
    topic,
    payload,
    qos: ((flags >> 3) & 3) as QoS,
    retain: (flags & MESSAGE_RETAIN) !== 0,
  };
  let next = payloadEnd;
  if ((flags & EXPIRES) !== 0) {
    message = { ...message, expiresAt: bytes.readDoubleLE(next) };
    next += 8;
  }
  let extras: Extras = {};
  if ((flags & EXTRAS) !== 0) {
    const end = next + 4 + bytes.readUInt32LE(next);
    extras = unpack.decode(bytes.subarray(next + 4, end)) as Extras;
    if (extras.properties !== undefined) message = { ...message, properties: extras.properties };
  }
  const d: PersistedDelivery = { message, qos: (flags & 3) as QoS, retain: (flags & RETAIN) !== 0 };
  return extras.subscriptionIds === undefined ? d : { ...d, subscriptionIds: extras.subscriptionIds };
}

function frame(length: number): Buffer {
  const out = Buffer.allocUnsafe(FRAME + length);
  out[0] = BIN32;
  out.writeUInt32BE(length, 1);
  return out;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function unknownRecord(table: string, bytes: Buffer): Error {
  return new Error(
    `a record in the ${table} table has an unknown layout (kind ${String(bytes[0])}): it was written by a newer @midge/persistence-lmdb; upgrade this package`,
  );
}
