/**
 * A session on its way from one node to another (a handover): the core's `PersistedSession` as JSON, its
 * buffers (payloads, correlation data) in base64, cut into chunks no larger than the server's max_payload.
 * Versioned, so a node refuses a format it does not know rather than adopting a garbled session.
 */
import type { PersistedSession } from '@midge/mqtt-core';
import { fromJsonBytes, toJsonBytes } from './json-buffers.js';

export const SESSION_WIRE_VERSION = 1;

interface Envelope {
  readonly v: number;
  readonly session: PersistedSession;
}

export function encodeHandedSession(session: PersistedSession): Buffer {
  const envelope: Envelope = { v: SESSION_WIRE_VERSION, session };
  return toJsonBytes(envelope);
}

/** The session in `data`; throws an Error saying what is wrong with it. */
export function decodeHandedSession(data: Uint8Array): PersistedSession {
  const parsed = fromJsonBytes(data) as Partial<Envelope> | null;
  if (parsed === null || typeof parsed !== 'object') throw new Error('a handed-over session is not an object');
  if (parsed.v !== SESSION_WIRE_VERSION)
    throw new Error(
      `a handed-over session has format ${String(parsed.v)}, this node reads ${String(SESSION_WIRE_VERSION)}: ` +
        'run one Midge version on every node',
    );
  const s = parsed.session;
  if (
    typeof s?.clientId !== 'string' ||
    !Array.isArray(s.subscriptions) ||
    !Array.isArray(s.queue) ||
    !Array.isArray(s.inflight) ||
    !Array.isArray(s.inboundQos2)
  )
    throw new Error('a handed-over session lacks its client id, subscriptions, queue, inflight or QoS 2 ids');
  return s;
}

/** `data` cut into pieces of at most `size` bytes (views, no copies); none for empty data. */
export function chunksOf(data: Buffer, size: number): Buffer[] {
  if (size < 1) throw new RangeError(`chunk size ${size} is below 1 byte`);
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out;
}
