import type { Packet, ProtocolVersion } from './packets.js';
import { CodecError, CodecErrorCode } from './errors.js';
import { decodeBody } from './decode-body.js';
import { malformed, tooLarge } from './fail.js';
import { PacketType } from './packets.js';
import { readVarint, varintSize, varintValue } from './varint.js';
import { beginPacket, NO_USER_PROPERTY_LIMITS, type UserPropertyLimits } from './user-property-limits.js';

export const DEFAULT_MAX_PACKET_SIZE = 1024 * 1024;

/** Up to this frame size the tail is allocated whole at once; above it, it grows with the bytes received. */
const WHOLE_TAIL_LIMIT = 64 * 1024;
/** Fixed header: one byte, then at most four bytes of remaining length. */
const MAX_FIXED_HEADER = 5;

const EMPTY = Buffer.alloc(0);

export interface PacketDecoderOptions {
  /** Largest accepted packet in bytes, fixed header included. Default 1 MiB. */
  maxPacketSize?: number;
  /** The version non-CONNECT packets are decoded with until a CONNECT sets it. Default 4. */
  protocolVersion?: ProtocolVersion;
  /**
   * Whose packets this decoder reads. 'server' (a broker reading a client): packet types only a server
   * sends (CONNACK, SUBACK, UNSUBACK, PINGRESP) and any CONNECT after the first one are Protocol Errors,
   * rejected at the fixed header before their body is read or buffered. 'client': CONNECT, SUBSCRIBE,
   * UNSUBSCRIBE and PINGREQ are. Default: every packet type is decoded.
   */
  role?: 'server' | 'client';
  /** MQTT 5: most User Properties in one packet (a will counts with its CONNECT); over it, 0x95. 0 or absent = unlimited. */
  maxUserProperties?: number;
  /** MQTT 5: most bytes of User Property names and values in one packet; over it, 0x95. 0 or absent = unlimited. */
  maxUserPropertiesBytes?: number;
}

/** Packet types, one bit each (1 << type), that only a server sends, and that only a client sends. */
const SERVER_ONLY =
  (1 << PacketType.connack) | (1 << PacketType.suback) | (1 << PacketType.unsuback) | (1 << PacketType.pingresp);
const CLIENT_ONLY =
  (1 << PacketType.connect) | (1 << PacketType.subscribe) | (1 << PacketType.unsubscribe) | (1 << PacketType.pingreq);
const TYPE_NAMES = [
  'reserved',
  'CONNECT',
  'CONNACK',
  'PUBLISH',
  'PUBACK',
  'PUBREC',
  'PUBREL',
  'PUBCOMP',
  'SUBSCRIBE',
  'SUBACK',
  'UNSUBSCRIBE',
  'UNSUBACK',
  'PINGREQ',
  'PINGRESP',
  'DISCONNECT',
  'AUTH',
] as const;

/**
 * The streaming decoder of one connection. Feed it socket chunks; it emits every complete packet and
 * keeps only the bytes of an unfinished one.
 *
 * Decoded packets hold views (`subarray`), not copies: a PUBLISH payload, AUTH data and the like point
 * into the chunk given to `feed`, or, for a packet that spanned chunks, into a buffer the decoder gave
 * that packet alone. Nothing writes to either after the packet is emitted (the next unfinished packet
 * gets a new buffer), so a view stays valid; whoever keeps one long copies it anyway, because the view
 * keeps its whole chunk (up to 64 KiB) in memory.
 */
export class PacketDecoder {
  /** Set from each decoded CONNECT (server side); a client sets it itself. */
  protocolVersion: ProtocolVersion;
  maxPacketSize: number;

  /** The unfinished packet: its bytes so far are tail[0, tailLength). */
  #tail: Buffer = EMPTY;
  #tailLength = 0;
  /** The unfinished packet's total size, or 0 while its fixed header is still incomplete. */
  #frameLength = 0;
  /** The unfinished packet's fixed header size, once known. */
  #headerLength = 0;
  #error: CodecError | undefined = undefined;
  /** Packet types (1 << type) refused at the fixed header; a server adds CONNECT once it has seen one. */
  #refused: number;
  readonly #role: 'server' | 'client' | undefined;

  readonly #userPropertyLimits: UserPropertyLimits;

  constructor(options: PacketDecoderOptions = {}) {
    this.maxPacketSize = options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
    const maxCount = options.maxUserProperties ?? 0;
    const maxBytes = options.maxUserPropertiesBytes ?? 0;
    this.#userPropertyLimits =
      maxCount === 0 && maxBytes === 0 ? NO_USER_PROPERTY_LIMITS : Object.freeze({ maxCount, maxBytes });
    this.protocolVersion = options.protocolVersion ?? 4;
    this.#role = options.role;
    this.#refused = options.role === 'server' ? SERVER_ONLY : options.role === 'client' ? CLIENT_ONLY : 0;
  }

  /** Bytes held from an unfinished packet. */
  get bufferedBytes(): number {
    return this.#tailLength;
  }

  /** Memory held for an unfinished packet: its buffer's size, which may run ahead of `bufferedBytes`. */
  get heldBytes(): number {
    return this.#tail.length;
  }

  /**
   * Decodes every complete packet in `chunk`, calling `onPacket` synchronously and in order, and keeps
   * only an unfinished tail. Throws CodecError; from then on the decoder is failed and every later call
   * throws the same error. An exception from `onPacket` propagates and drops the rest of the chunk.
   */
  feed(chunk: Buffer, onPacket: (packet: Packet, frameBytes: number) => void): void {
    if (this.#error !== undefined) throw this.#error;
    const length = chunk.length;
    let offset = 0;
    if (this.#tailLength > 0) {
      offset = this.#fillTail(chunk);
      const frameLength = this.#frameLength;
      if (frameLength === 0 || this.#tailLength < frameLength) return;
      const frame = this.#tail;
      // A fresh tail next time: the packet may hold views on this one.
      this.#tail = EMPTY;
      this.#tailLength = 0;
      this.#frameLength = 0;
      onPacket(this.#decode(frame, this.#headerLength, frameLength, frame[0] as number), frameLength);
    }
    while (offset < length) {
      const firstByte = chunk[offset] as number;
      if ((this.#refused & (1 << (firstByte >>> 4))) !== 0) throw this.#fail(this.#refusal(firstByte >>> 4));
      const packed = this.#readRemainingLength(chunk, offset + 1, length);
      if (packed < 0) {
        this.#startTail(chunk, offset, 0);
        return;
      }
      const bodyStart = offset + 1 + varintSize(packed);
      const end = bodyStart + varintValue(packed);
      if (end > length) {
        this.#headerLength = bodyStart - offset;
        this.#startTail(chunk, offset, end - offset);
        return;
      }
      const packet = this.#decode(chunk, bodyStart, end, firstByte);
      const frameLength = end - offset;
      offset = end;
      onPacket(packet, frameLength);
    }
  }

  /** Reads a remaining length and checks the packet size before any of its bytes are kept. */
  #readRemainingLength(buffer: Buffer, offset: number, end: number): number {
    let packed: number;
    try {
      packed = readVarint(buffer, offset, end);
      if (packed >= 0) {
        const frameLength = 1 + varintSize(packed) + varintValue(packed);
        if (frameLength > this.maxPacketSize) {
          if ((buffer[offset - 1] as number) >>> 4 === PacketType.connect)
            this.#noteConnectVersion(buffer, offset + varintSize(packed), end);
          tooLarge(`a ${frameLength}-byte packet exceeds the maximum packet size of ${this.maxPacketSize} bytes`);
        }
      }
    } catch (error) {
      throw this.#fail(error);
    }
    return packed;
  }

  #decode(buffer: Buffer, bodyStart: number, end: number, firstByte: number): Packet {
    let packet: Packet;
    try {
      beginPacket(this.#userPropertyLimits);
      packet = decodeBody(buffer, bodyStart, end, firstByte, this.protocolVersion);
    } catch (error) {
      if (firstByte >>> 4 === PacketType.connect) this.#noteConnectVersion(buffer, bodyStart, end);
      throw this.#fail(error);
    }
    if (packet.type === 'connect') {
      this.protocolVersion = packet.protocolVersion;
      // [MQTT-3.1.0-2]: whatever a second CONNECT holds (another level, another name), it is a Protocol Error.
      if (this.#role === 'server') this.#refused |= 1 << PacketType.connect;
    }
    return packet;
  }

  /**
   * A CONNECT failed (too large, over a User Property limit, ...): if the bytes at hand show it is an
   * MQTT 5 one, `protocolVersion` becomes 5, so the server can refuse it with a v5 CONNACK reason code.
   */
  #noteConnectVersion(buffer: Buffer, bodyStart: number, end: number): void {
    // Protocol name "MQTT" (00 04 4d 51 54 54), then the level.
    if (end - bodyStart < 7 || buffer.readUInt32BE(bodyStart + 2) !== 0x4d515454 || buffer[bodyStart + 1] !== 4) return;
    if (buffer[bodyStart] === 0 && buffer[bodyStart + 6] === 5) this.protocolVersion = 5;
  }

  /** The Protocol Error (0x82) for a packet type this decoder's role refuses. */
  #refusal(type: number): CodecError {
    if (type === PacketType.connect && this.#role === 'server') {
      return new CodecError(CodecErrorCode.protocol, 'a second CONNECT', 0x82, 'MQTT-3.1.0-2');
    }
    const sender = this.#role === 'server' ? 'client' : 'server';
    return new CodecError(
      CodecErrorCode.protocol,
      `a ${sender} must not send ${TYPE_NAMES[type] ?? `packet type ${type}`}`,
      0x82,
    );
  }

  /** Keeps chunk[offset..] as the start of an unfinished packet of `frameLength` bytes (0: not yet known). */
  #startTail(chunk: Buffer, offset: number, frameLength: number): void {
    const n = chunk.length - offset;
    this.#frameLength = frameLength;
    this.#tail = Buffer.allocUnsafe(frameLength === 0 ? MAX_FIXED_HEADER : tailCapacity(frameLength, n));
    chunk.copy(this.#tail, 0, offset);
    this.#tailLength = n;
  }

  /** Appends the start of `chunk` to the unfinished packet; returns how many bytes it took. */
  #fillTail(chunk: Buffer): number {
    let offset = 0;
    if (this.#frameLength === 0) {
      // The fixed header was split: take one byte at a time until its remaining length ends.
      for (;;) {
        if (offset >= chunk.length) return offset;
        this.#tail[this.#tailLength++] = chunk[offset++] as number;
        const packed = this.#readRemainingLength(this.#tail, 1, this.#tailLength);
        if (packed >= 0) {
          this.#headerLength = 1 + varintSize(packed);
          this.#frameLength = this.#headerLength + varintValue(packed);
          break;
        }
      }
    }
    const take = Math.min(this.#frameLength - this.#tailLength, chunk.length - offset);
    const needed = this.#tailLength + take;
    if (needed > this.#tail.length) {
      const grown = Buffer.allocUnsafe(tailCapacity(this.#frameLength, needed, this.#tail.length));
      this.#tail.copy(grown, 0, 0, this.#tailLength);
      this.#tail = grown;
    }
    chunk.copy(this.#tail, this.#tailLength, offset, offset + take);
    this.#tailLength = needed;
    return offset + take;
  }

  #fail(error: unknown): CodecError {
    // Anything but a CodecError here is a decoder bug; the contract still promises a CodecError.
    this.#error =
      error instanceof CodecError
        ? error
        : new CodecError(CodecErrorCode.malformed, `undecodable packet: ${String(error)}`, 0x81);
    this.#tail = EMPTY;
    this.#tailLength = 0;
    return this.#error;
  }
}

/**
 * Small frames get their whole size at once; large ones grow by doubling with the bytes that actually
 * arrived, so a peer announcing a large packet and then stalling pins little memory.
 */
function tailCapacity(frameLength: number, needed: number, current = 0): number {
  if (frameLength <= WHOLE_TAIL_LIMIT) return frameLength;
  return Math.min(frameLength, Math.max(needed, current * 2, WHOLE_TAIL_LIMIT));
}

/** Decodes `frame`, which must hold exactly one complete packet. */
export function decodePacket(frame: Buffer, protocolVersion: ProtocolVersion = 4): Packet {
  if (frame.length === 0) malformed('an empty buffer holds no packet');
  const packed = readVarint(frame, 1, frame.length);
  if (packed < 0) malformed('the fixed header is incomplete');
  const bodyStart = 1 + varintSize(packed);
  const end = bodyStart + varintValue(packed);
  if (end !== frame.length) {
    malformed(
      end > frame.length
        ? `the packet announces ${end} bytes but the buffer holds ${frame.length}`
        : `${frame.length - end} bytes follow the packet`,
    );
  }
  try {
    beginPacket(NO_USER_PROPERTY_LIMITS);
    return decodeBody(frame, bodyStart, end, frame[0] as number, protocolVersion);
  } catch (error) {
    if (error instanceof CodecError) throw error;
    throw new CodecError(CodecErrorCode.malformed, `undecodable packet: ${String(error)}`, 0x81);
  }
}
