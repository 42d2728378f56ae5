/**
 * The running config as an operator may see it (`BrokerApi.effectiveConfig()`, the admin API's
 * /api/v1/config): plain JSON, every secret replaced. Paths to files stay (`password_file`, `keyfile`,
 * `token_file` name where a secret is, not the secret); values of keys that name a secret (password,
 * passphrase, secret, token, credentials, seed, `pass`), PEM blocks anywhere, and the password of a URL
 * (`nats://user:pw@host`) do not.
 */
export const REDACTED = '[redacted]';

const SECRET_KEY = /pass(word|phrase)?$|secret|token|credential|seed|private_?key|api_?key/i;
const FILE_KEY = /(_|^)(file|path|dir)$/i;
const PEM = /-----BEGIN [A-Z0-9 ]+-----/;
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):[^@/?#\s]*@/i;

export function redactConfig(value: unknown): unknown {
  return redact(value, undefined, new WeakSet());
}

function redact(value: unknown, key: string | undefined, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') {
    if (key !== undefined && SECRET_KEY.test(key) && !FILE_KEY.test(key)) return REDACTED;
    if (PEM.test(value)) return REDACTED;
    return value.replace(URL_PASSWORD, `$1:${REDACTED}@`);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) {
    if (key !== undefined && SECRET_KEY.test(key) && !FILE_KEY.test(key) && value !== null) return REDACTED;
    return value;
  }
  if (typeof value !== 'object' || value === undefined) return undefined;
  if (seen.has(value)) return undefined;
  seen.add(value);
  if (Buffer.isBuffer(value)) return key !== undefined && SECRET_KEY.test(key) ? REDACTED : `<${value.length} bytes>`;
  if (Array.isArray(value)) return value.map((v) => redact(v, key, seen) ?? null);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const r = redact(v, k, seen);
    if (r !== undefined) out[k] = r;
  }
  return out;
}
