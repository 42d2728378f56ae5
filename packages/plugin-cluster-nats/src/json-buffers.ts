/**
 * JSON that carries buffers (payloads, correlation data) as `{ "$b": base64 }`: what the cluster keeps in
 * JetStream and sends between nodes besides messages (sessions handed over, wills of clients).
 */

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

export function toJsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(withBase64Buffers(value)), 'utf8');
}

/** The value in `data`, its buffers back as Buffers; throws on JSON that does not parse. */
export function fromJsonBytes(data: Uint8Array): unknown {
  return JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'), reviveBuffers);
}
