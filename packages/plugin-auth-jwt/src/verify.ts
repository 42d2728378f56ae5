/**
 * One token checked: signature (with an allow-listed algorithm), `exp` / `nbf` / `iss` / `aud`, and the
 * username claim. The outcome says whether the token was bad or the keys could not be had, because a
 * client should hear "bad credentials" for the first and "try later" for the second.
 */
import { errors, jwtVerify } from 'jose';
import type { JWTPayload, JWTVerifyOptions } from 'jose';
import type { ResolvedConfig } from './config.js';
import type { KeySource } from './keys.js';

export type VerifyOutcome =
  | { readonly ok: true; readonly claims: JWTPayload; readonly username: string }
  /** `invalid`: the token is refused on its merits. `unavailable`: its key could not be fetched. */
  | { readonly ok: false; readonly failure: 'invalid' | 'unavailable'; readonly reason: string };

/** Three base64url segments: what a JWS compact serialization looks like. Anything else is not ours to judge. */
const JWS_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function looksLikeJwt(text: string): boolean {
  return JWS_SHAPE.test(text);
}

export function verifyOptions(config: ResolvedConfig): JWTVerifyOptions {
  const options: JWTVerifyOptions = {
    algorithms: [...config.algorithms],
    clockTolerance: config.clockToleranceS,
  };
  if (config.issuer !== undefined) options.issuer = config.issuer;
  if (config.audience !== undefined) options.audience = config.audience;
  if (config.requireExp) options.requiredClaims = ['exp'];
  return options;
}

/** Failures that mean "the keys could not be had", not "this token is bad". */
function isUnavailable(err: unknown): boolean {
  if (err instanceof errors.JWKSTimeout) return true;
  // jose's remote set: a non-200 answer or a body that is not JSON is a plain JOSEError; a refused
  // connection is fetch's TypeError. Every other JOSEError subclass is about the token itself.
  if (err instanceof errors.JOSEError) return err.constructor === errors.JOSEError;
  return true;
}

/** The reason logged (never the token): jose's codes are stable and say what failed. */
function reasonOf(err: unknown): string {
  if (err instanceof errors.JOSEError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}

export async function verifyToken(token: string, keys: KeySource, config: ResolvedConfig): Promise<VerifyOutcome> {
  let claims: JWTPayload;
  try {
    const key = keys.key;
    // Two calls because jose types the key and the key-picking function as separate overloads.
    const result =
      typeof key === 'function'
        ? await jwtVerify(token, key, verifyOptions(config))
        : await jwtVerify(token, key, verifyOptions(config));
    claims = result.payload;
  } catch (err) {
    return { ok: false, failure: isUnavailable(err) ? 'unavailable' : 'invalid', reason: reasonOf(err) };
  }
  const username = claims[config.usernameClaim];
  if (typeof username !== 'string' || username.length === 0) {
    return {
      ok: false,
      failure: 'invalid',
      reason: `claim ${config.usernameClaim} is missing or not a non-empty string`,
    };
  }
  return { ok: true, claims, username };
}
