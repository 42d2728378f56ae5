/** Keys and tokens made with jose for the tests: nothing is shared with the code under test but the format. */
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { JWK, JWTPayload } from 'jose';

export interface SigningKey {
  readonly alg: string;
  readonly kid: string;
  readonly privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  /** The public JWK, with kid and alg, as a JWKS lists it. */
  readonly jwk: JWK;
}

export async function signingKey(alg: 'RS256' | 'ES256' | 'PS256', kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export const jwks = (...keys: SigningKey[]) => ({ keys: keys.map((k) => k.jwk) });

const now = () => Math.floor(Date.now() / 1000);

/** A token valid for an hour unless `claims` says otherwise (`exp: undefined` removes it). */
export function sign(
  key: SigningKey | { alg: string; secret: Uint8Array },
  claims: Record<string, unknown> = {},
): Promise<string> {
  const body: JWTPayload = {};
  for (const [k, v] of Object.entries({ sub: 'alice', exp: now() + 3600, ...claims })) if (v !== undefined) body[k] = v;
  const jwt = new SignJWT(body).setIssuedAt();
  if ('secret' in key) return jwt.setProtectedHeader({ alg: key.alg }).sign(key.secret);
  return jwt.setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
}

/** `{"alg":"none"}` with the claims and an empty signature: what an attacker sends to skip verification. */
export function unsigned(claims: JWTPayload): string {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ exp: now() + 3600, ...claims })}.`;
}

export const inSeconds = (s: number) => now() + s;
