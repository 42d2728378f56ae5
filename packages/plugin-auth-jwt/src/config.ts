/**
 * The plugin's options. The rules that tie options together (one key source, algorithms that fit it)
 * are checked here, so a wrong combination stops the broker at start instead of refusing every client.
 */
import * as v from 'valibot';

/** HMAC algorithms: verified with a shared secret (`secret_file`), never with a JWKS. */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
/** Public-key algorithms: verified with the keys of a JWKS (`jwks_file` / `jwks_url`). */
export const PUBLIC_KEY_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;

// `none` is not in either list: an unsigned token is never accepted, whatever the config says.
const algorithm = v.picklist(
  [...HMAC_ALGORITHMS, ...PUBLIC_KEY_ALGORITHMS],
  (issue) =>
    `unsupported algorithm ${JSON.stringify(issue.input)}: use one of HS256..HS512, RS256..RS512, PS256..PS512, ES256..ES512, EdDSA (never none)`,
);

const nonEmpty = (what: string) => v.pipe(v.string(), v.minLength(1, `${what} must not be empty`));
const oneOrMore = (what: string) =>
  v.union([nonEmpty(what), v.pipe(v.array(nonEmpty(what)), v.minLength(1, `${what} must not be empty`))]);
const seconds = (what: string) =>
  v.pipe(
    v.number(),
    v.finite(),
    v.minValue(0, `${what} must not be negative`),
    v.maxValue(2_147_483, `${what} is too large`),
  );

export const configSchema = v.pipe(
  v.strictObject({
    /** Where the client puts its token: the CONNECT password (default) or the username. */
    token_from: v.optional(v.picklist(['password', 'username'])),
    /** A JWKS (`{"keys": [...]}`) on disk, relative to the config file's folder. */
    jwks_file: v.optional(nonEmpty('jwks_file')),
    /** A JWKS served over http(s), fetched on demand and cached. */
    jwks_url: v.optional(
      v.pipe(
        v.string(),
        v.url('jwks_url must be an absolute http(s) URL'),
        v.regex(/^https?:\/\//i, 'jwks_url must be an http(s) URL'),
      ),
    ),
    /** The HMAC secret (raw bytes of the file, a trailing newline removed), for HS* tokens. */
    secret_file: v.optional(nonEmpty('secret_file')),
    /** The algorithms a token may be signed with; anything else is refused. */
    algorithms: v.pipe(v.array(algorithm), v.minLength(1, 'algorithms must list at least one algorithm')),
    /** Required `iss` (one of them when a list). */
    issuer: v.optional(oneOrMore('issuer')),
    /** Required `aud` (the token must name one of them). */
    audience: v.optional(oneOrMore('audience')),
    /** Seconds of clock skew tolerated on `exp` / `nbf` (default 0). */
    clock_tolerance_s: v.optional(seconds('clock_tolerance_s')),
    /** Refuse tokens without `exp` (default true): such a token would be valid forever. */
    require_exp: v.optional(v.boolean()),
    /** The claim holding the username (default `sub`). */
    username_claim: v.optional(nonEmpty('username_claim')),
    /** The claims holding the token's topic rights. */
    acl: v.optional(
      v.strictObject({
        publish_claim: v.optional(nonEmpty('publish_claim')),
        subscribe_claim: v.optional(nonEmpty('subscribe_claim')),
      }),
    ),
    /** Disconnect a client when its token's `exp` passes (default true). */
    disconnect_on_expiry: v.optional(v.boolean()),
    /** jwks_url: give up on one fetch after this many seconds (default 5). */
    jwks_timeout_s: v.optional(
      v.pipe(
        seconds('jwks_timeout_s'),
        v.minValue(0.001, 'jwks_timeout_s must be more than 0: 0 would abort every fetch'),
      ),
    ),
    /** jwks_url: an unknown `kid` fetches the set again at most this often (default 30). */
    jwks_cooldown_s: v.optional(seconds('jwks_cooldown_s')),
    /** jwks_url: fetch the set again in the background this often (default 600). */
    jwks_refresh_s: v.optional(seconds('jwks_refresh_s')),
  }),
  v.check(
    (c) => [c.jwks_file, c.jwks_url, c.secret_file].filter((x) => x !== undefined).length === 1,
    'set exactly one of jwks_file, jwks_url or secret_file',
  ),
  v.check(
    (c) => c.secret_file === undefined || c.algorithms.every((a) => isHmac(a)),
    'secret_file verifies HS256/HS384/HS512 only: list only those in algorithms, or use jwks_file / jwks_url for public-key algorithms',
  ),
  v.check(
    (c) => c.secret_file !== undefined || c.algorithms.every((a) => !isHmac(a)),
    'HS256/HS384/HS512 need secret_file: a JWKS holds public keys, and accepting HMAC with them would let anyone who has the public key sign tokens',
  ),
);

export type JwtAuthConfig = v.InferOutput<typeof configSchema>;
export type Algorithm = JwtAuthConfig['algorithms'][number];

export function isHmac(alg: string): boolean {
  return (HMAC_ALGORITHMS as readonly string[]).includes(alg);
}

/** The options with their defaults filled in, as the rest of the plugin reads them. */
export interface ResolvedConfig {
  readonly tokenFrom: 'password' | 'username';
  readonly algorithms: readonly Algorithm[];
  readonly issuer: string | string[] | undefined;
  readonly audience: string | string[] | undefined;
  readonly clockToleranceS: number;
  readonly requireExp: boolean;
  readonly usernameClaim: string;
  readonly publishClaim: string;
  readonly subscribeClaim: string;
  readonly disconnectOnExpiry: boolean;
}

export function resolveConfig(c: JwtAuthConfig): ResolvedConfig {
  return {
    tokenFrom: c.token_from ?? 'password',
    algorithms: c.algorithms,
    issuer: c.issuer,
    audience: c.audience,
    clockToleranceS: c.clock_tolerance_s ?? 0,
    requireExp: c.require_exp ?? true,
    usernameClaim: c.username_claim ?? 'sub',
    publishClaim: c.acl?.publish_claim ?? 'publish',
    subscribeClaim: c.acl?.subscribe_claim ?? 'subscribe',
    disconnectOnExpiry: c.disconnect_on_expiry ?? true,
  };
}
