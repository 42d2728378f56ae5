import type { Packet, ProtocolVersion } from './packets.js';
import { CodecError, CodecErrorCode } from './errors.js';
import { decodeBody } from './decode-body.js';
import { malformed, tooLarge } from './fail.js';
import { readVarint, varintSize, varintValue } from './varint.js';

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
}

/**
 * The streaming decoder of one connection. Feed it socket chunks; it emits every complete packet and
 * keeps only the bytes of an unfinished one.
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

  constructor(options: PacketDecoderOptions = {}) {
    this.maxPacketSize = options.maxPacketSize ?? DEFAULT_MAX_PACKET_SIZE;
    this.protocolVersion = options.protocolVersion ?? 4;
  }

  /** Bytes held from an unfinished packet. */
  get bufferedBytes(): number {
    return this.#tailLength;
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
      onPacket(this.#decode(frame, this.#headerLength, frameLength, frame[0]!), frameLength);
    }
    while (offset < length) {
      const firstByte = chunk[offset]!;
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
      packet = decodeBody(buffer, bodyStart, end, firstByte, this.protocolVersion);
    } catch (error) {
      throw this.#fail(error);
    }
    if (packet.type === 'connect') this.protocolVersion = packet.protocolVersion;
    return packet;
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
        this.#tail[this.#tailLength++] = chunk[offset++]!;
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
    return decodeBody(frame, bodyStart, end, frame[0]!, protocolVersion);
  } catch (error) {
    if (error instanceof CodecError) throw error;
    throw new CodecError(CodecErrorCode.malformed, `undecodable packet: ${String(error)}`, 0x81);
  }
}
