/**
 * A session on its way from one node to another (a handover): the core's `PersistedSession` as JSON, its
 * buffers (payloads, correlation data) in base64, cut into chunks no larger than the server's max_payload.
 * Versioned, so a node refuses a format it does not know rather than adopting a garbled session.
 */
import type { PersistedSession } from '@midge/mqtt-core';

export const SESSION_WIRE_VERSION = 1;

interface Envelope {
  readonly v: number;
  readonly session: PersistedSession;
}

/**
 * The value with every buffer replaced by `{ $b: base64 }`. Done before JSON.stringify, not in a replacer:
 * a replacer sees a Buffer only after its toJSON made an array of one number per byte.
 */
function withBase64Buffers(value: unknown): unknown {
  if (value instanceof Uint8Array)
    return { $b: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  if (Array.isArray(value)) return value.map(withBase64Buffers);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = withBase64Buffers(v);
  return out;
}

function reviveBuffers(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const b = (value as { $b?: unknown }).$b;
    if (typeof b === 'string' && Object.keys(value).length === 1) return Buffer.from(b, 'base64');
  }
  return value;
}

export function encodeHandedSession(session: PersistedSession): Buffer {
  const envelope: Envelope = { v: SESSION_WIRE_VERSION, session };
  return Buffer.from(JSON.stringify(withBase64Buffers(envelope)), 'utf8');
}

/** The session in `data`; throws an Error saying what is wrong with it. */
export function decodeHandedSession(data: Uint8Array): PersistedSession {
  const parsed = JSON.parse(
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'),
    reviveBuffers,
  ) as Partial<Envelope> | null;
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
