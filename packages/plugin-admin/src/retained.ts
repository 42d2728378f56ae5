/** Retained messages as the admin API lists them. */
import type { RetainedMessage } from '@midge/mqtt-core';

/** Payload bytes shown per message: a listing is no way to move big payloads. */
export const MAX_SHOWN_PAYLOAD = 64 * 1024;

export interface RetainedRow {
  readonly topic: string;
  readonly qos: number;
  /** Payload size in bytes. */
  readonly size: number;
  /** The payload (its first MAX_SHOWN_PAYLOAD bytes), as text when it is valid UTF-8, else base64. */
  readonly payload: string;
  readonly encoding: 'utf8' | 'base64';
  readonly truncated: boolean;
  /** ISO 8601 time it expires (v5 Message Expiry Interval), or null. */
  readonly expiresAt: string | null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export function retainedRow(m: RetainedMessage): RetainedRow {
  const shown = m.payload.subarray(0, MAX_SHOWN_PAYLOAD);
  const truncated = shown.length < m.payload.length;
  // A cut may split a UTF-8 sequence: a truncated payload is text when all but its last 3 bytes decode.
  const asText = text(shown) ?? (truncated ? text(shown.subarray(0, trimmedUtf8End(shown))) : undefined);
  return {
    topic: m.topic,
    qos: m.qos,
    size: m.payload.length,
    payload: asText ?? shown.toString('base64'),
    encoding: asText === undefined ? 'base64' : 'utf8',
    truncated,
    expiresAt: m.expiresAt === undefined ? null : new Date(m.expiresAt).toISOString(),
  };
}

/** Where the last complete UTF-8 sequence of `bytes` ends (drops an unfinished one cut at the end). */
function trimmedUtf8End(bytes: Buffer): number {
  let i = bytes.length - 1;
  // Walk back over continuation bytes (10xxxxxx) to the lead byte of the last sequence.
  while (i > 0 && i > bytes.length - 4 && ((bytes[i] ?? 0) & 0xc0) === 0x80) i--;
  return i;
}

/** A page of retained messages sorted by topic. */
export function retainedPage(
  messages: readonly RetainedMessage[],
  offset: number,
  limit: number,
): { total: number; offset: number; limit: number; messages: RetainedRow[] } {
  const sorted = [...messages].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  return { total: sorted.length, offset, limit, messages: sorted.slice(offset, offset + limit).map(retainedRow) };
}
