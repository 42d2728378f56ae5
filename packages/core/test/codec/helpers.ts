/**
 * Shared helpers for the codec tests: hex fixtures, byte-exact fixture checks and CodecError matchers.
 * Expected values in fixtures are always written by hand; nothing here derives them from the codec.
 */
import { expect } from 'vitest';
import {
  CodecError,
  PacketDecoder,
  decodePacket,
  encodeInto,
  encodePacket,
  encodedLength,
  type Packet,
  type ProtocolVersion,
} from '../../src/codec/index.js';

/** Bytes from a hex string; whitespace, `|` and `,` separate bytes freely: `hex('30 05 | 00 01 61')`. */
export function hex(text: string): Buffer {
  const clean = text.replace(/[\s|,]/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex fixture: ${text}`);
  return Buffer.from(clean, 'hex');
}

/** Bytes of an ASCII/UTF-8 string, for readable fixtures. */
export function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

/** Concatenate fixture pieces (hex strings or buffers). */
export function bytes(...parts: (string | Buffer | number[])[]): Buffer {
  return Buffer.concat(
    parts.map((part) => (typeof part === 'string' ? hex(part) : Buffer.isBuffer(part) ? part : Buffer.from(part))),
  );
}

/** A length-prefixed UTF-8 string as MQTT writes it (2-byte big-endian length, then the bytes). */
export function mqttString(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const out = Buffer.alloc(2 + body.length);
  out.writeUInt16BE(body.length, 0);
  body.copy(out, 2);
  return out;
}

/**
 * The decoder keeps one object shape per packet type (for V8's inline caches), so a field that the
 * packet does not carry is present with the value `undefined` rather than missing. Both mean "absent"
 * (the packet types are optional fields, exactOptionalPropertyTypes is off); `canon` drops such keys,
 * recursively, so `toStrictEqual` compares packets in the canonical form of packets.ts and still sees
 * every other difference (an empty `properties: {}`, a Uint8Array instead of a Buffer, ...).
 */
export function canon<T>(value: T): T {
  if (Buffer.isBuffer(value) || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v: unknown) => canon(v)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = canon(v);
  return out as T;
}

/** Decode every packet in `stream` with a fresh decoder, in one feed. */
export function decodeAll(stream: Buffer, protocolVersion: ProtocolVersion, maxPacketSize?: number): Packet[] {
  const decoder = new PacketDecoder({ protocolVersion, ...(maxPacketSize === undefined ? {} : { maxPacketSize }) });
  const out: Packet[] = [];
  decoder.feed(stream, (packet) => out.push(canon(packet)));
  expect(decoder.bufferedBytes).toBe(0);
  return out;
}

/**
 * A byte-exact fixture: encoding `packet` gives exactly `wire`, `encodedLength` agrees, `encodeInto` writes
 * the same bytes at an offset without touching its neighbours, and decoding `wire` (with `decodePacket`
 * and with a streaming decoder) gives exactly `packet`.
 */
export function checkFixture(packet: Packet, wire: Buffer, protocolVersion: ProtocolVersion): void {
  expectSelfConsistentFrame(wire);
  expect(encodePacket(packet, protocolVersion).toString('hex')).toBe(wire.toString('hex'));
  expect(encodedLength(packet, protocolVersion)).toBe(wire.length);
  const target = Buffer.alloc(wire.length + 7, 0xee);
  // encodeInto returns the end offset (like Buffer#writeUInt8 and friends).
  const end = encodeInto(packet, target, 3, protocolVersion);
  expect(end - 3).toBe(wire.length);
  expect(target.subarray(3, 3 + wire.length).toString('hex')).toBe(wire.toString('hex'));
  expect(target.subarray(0, 3).toString('hex')).toBe('eeeeee');
  expect(target.subarray(3 + wire.length).toString('hex')).toBe('ee'.repeat(4));
  checkDecodes(wire, packet, protocolVersion);
}

/** Decoding `wire` (whole-frame and streaming) gives exactly `packet`. */
export function checkDecodes(wire: Buffer, packet: Packet, protocolVersion: ProtocolVersion): void {
  expect(canon(decodePacket(Buffer.from(wire), protocolVersion))).toStrictEqual(packet);
  const seen: [Packet, number][] = [];
  const decoder = new PacketDecoder({ protocolVersion });
  decoder.feed(Buffer.from(wire), (p, frameBytes) => seen.push([canon(p), frameBytes]));
  expect(seen).toStrictEqual([[packet, wire.length]]);
  expect(decoder.bufferedBytes).toBe(0);
}

/**
 * Guards the hand-written fixtures themselves (independently of the codec): the remaining length written
 * in the fixed header matches the number of bytes that follow it.
 */
export function expectSelfConsistentFrame(wire: Buffer): void {
  let value = 0;
  let multiplier = 1;
  let i = 1;
  for (;;) {
    const byte = wire[i++];
    if (byte === undefined || i > 5) throw new Error(`fixture ${wire.toString('hex')}: bad remaining length`);
    value += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) break;
  }
  expect(wire.length - i, `fixture ${wire.toString('hex')}: remaining length`).toBe(value);
}

export interface ExpectedCodecError {
  reasonCode: number;
  specRule?: string;
  code?: string;
}

/** Run `fn`, which must throw a CodecError matching `expected`; returns it. */
export function expectCodecError(fn: () => unknown, expected: ExpectedCodecError): CodecError {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, 'expected a CodecError').toBeInstanceOf(CodecError);
  const err = thrown as CodecError;
  const seen: ExpectedCodecError = { reasonCode: err.reasonCode };
  if (expected.specRule !== undefined) seen.specRule = err.specRule;
  if (expected.code !== undefined) seen.code = err.code;
  expect({ ...seen, message: err.message }).toStrictEqual({ ...expected, message: err.message });
  return err;
}

/**
 * `wire` (whose remaining length is consistent, so the error is the one under test) is rejected with
 * `expected`, both by `decodePacket` and by a streaming decoder fed the whole frame, and the streaming
 * decoder then stays failed (a further valid PINGREQ also throws).
 */
export function expectRejected(wire: Buffer, protocolVersion: ProtocolVersion, expected: ExpectedCodecError): void {
  expectSelfConsistentFrame(wire);
  expectCodecError(() => decodePacket(Buffer.from(wire), protocolVersion), expected);
  const decoder = new PacketDecoder({ protocolVersion });
  const seen: Packet[] = [];
  expectCodecError(() => decoder.feed(Buffer.from(wire), (p) => seen.push(p)), expected);
  expect(seen).toStrictEqual([]);
  expect(() => decoder.feed(hex('c0 00'), (p) => seen.push(p))).toThrow(CodecError);
  expect(seen).toStrictEqual([]);
}

export const VERSIONS: readonly ProtocolVersion[] = [3, 4, 5];

export const MALFORMED = 0x81;
export const PROTOCOL_ERROR = 0x82;
export const UNSUPPORTED_PROTOCOL = 0x84;
export const TOO_LARGE = 0x95;
