import { isUtf8 } from 'node:buffer';
import { malformed, unencodable } from './fail.js';
import { internals } from './buffer-internals.js';

/** Strings up to this many UTF-16 units are written by a JS loop; longer ones by the native writer. */
const SHORT_STRING = 32;

/**
 * Decodes the UTF-8 string in buffer[start, end), enforcing the MQTT string rules: well-formed UTF-8
 * without surrogate code points [MQTT-1.5.3-1] and no U+0000 [MQTT-1.5.3-2].
 */
export function decodeUtf8(buffer: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    const byte = buffer[i] as number;
    if (byte === 0) nulCharacter();
    if (byte >= 0x80) return decodeNonAscii(buffer, start, end, i);
  }
  // Pure ASCII: latin1 maps bytes 1:1 and skips UTF-8 decoding.
  return internals(buffer).latin1Slice(start, end);
}

function decodeNonAscii(buffer: Buffer, start: number, end: number, from: number): string {
  // In well-formed UTF-8 a zero byte can only be U+0000 itself, so a byte scan suffices.
  for (let i = from; i < end; i++) if (buffer[i] === 0) nulCharacter();
  // isUtf8 rejects overlong forms, surrogates (ED A0..BF ..) and code points above U+10FFFF.
  if (!isUtf8(buffer.subarray(start, end))) malformed('string is not well-formed UTF-8', 'MQTT-1.5.3-1');
  return internals(buffer).utf8Slice(start, end);
}

function nulCharacter(): never {
  return malformed('string contains U+0000', 'MQTT-1.5.3-2');
}

/**
 * The UTF-8 byte length of `value`, rejecting what a peer would reject: U+0000 and unpaired
 * surrogates (which Buffer would silently replace with U+FFFD).
 */
export function utf8Length(value: string): number {
  const n = value.length;
  let length = n;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0) unencodable('string contains U+0000', 0x81, 'MQTT-1.5.3-2');
    } else if (c < 0x800) {
      length += 1;
    } else if (c < 0xd800 || c > 0xdfff) {
      length += 2;
    } else {
      const next = i + 1 < n ? value.charCodeAt(i + 1) : 0;
      if (c > 0xdbff || next < 0xdc00 || next > 0xdfff) {
        unencodable('string contains an unpaired surrogate', 0x81, 'MQTT-1.5.3-1');
      }
      // Two UTF-16 units, four UTF-8 bytes.
      length += 2;
      i++;
    }
  }
  return length;
}

/**
 * Writes `value` as an MQTT string (two-byte length, then UTF-8) and returns the end offset.
 * The caller has measured it with `utf8Length`, so it fits and is valid.
 */
export function writeUtf8(buffer: Buffer, offset: number, value: string): number {
  const n = value.length;
  const start = offset + 2;
  if (n <= SHORT_STRING) {
    let i = 0;
    for (; i < n; i++) {
      const c = value.charCodeAt(i);
      if (c >= 0x80) break;
      buffer[start + i] = c;
    }
    if (i === n) {
      buffer[offset] = n >>> 8;
      buffer[offset + 1] = n & 0xff;
      return start + n;
    }
  }
  const written = internals(buffer).utf8Write(value, start);
  buffer[offset] = written >>> 8;
  buffer[offset + 1] = written & 0xff;
  return start + written;
}
