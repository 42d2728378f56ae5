/** The plugin's options. */
import * as v from 'valibot';

export const DEFAULT_BIND = '127.0.0.1:9234';

/** `host:port` (port 0: a free one, for tests); an IPv6 host in brackets. */
export function parseBind(bind: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(bind);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? (m[2] === '' ? '0.0.0.0' : (m[2] as string)), port };
}

export const configSchema = v.pipe(
  v.strictObject({
    /** Where the HTTP server listens: loopback by default (metrics and health are for this host's tools). */
    bind: v.optional(
      v.pipe(
        v.string(),
        v.check((s) => parseBind(s) !== undefined, "must be 'host:port', e.g. 127.0.0.1:9234"),
      ),
      DEFAULT_BIND,
    ),
    /** A file holding the bearer token (relative to the config file's folder). */
    token_file: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty'))),
    /** /metrics asks for the token too. */
    metrics_auth: v.optional(v.boolean(), false),
  }),
  v.forward(
    v.check((c) => !c.metrics_auth || c.token_file !== undefined, 'metrics_auth: true needs token_file'),
    ['metrics_auth'],
  ),
);

export type AdminConfig = v.InferOutput<typeof configSchema>;
