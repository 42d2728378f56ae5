/** The bearer token: read from its file, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';

/** The token in `path`, trimmed; an empty file is an error naming it. */
export async function readToken(path: string): Promise<string> {
  const token = (await readFile(path, 'utf8')).trim();
  if (token === '') throw new Error(`the token file ${path} is empty: put a long random token in it`);
  return token;
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(authorization: string | undefined): string | undefined {
  const m = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  return m?.[1];
}

/**
 * Whether a presented token is the configured one. Compares SHA-256 digests (equal lengths, as
 * `timingSafeEqual` needs) so neither the token's content nor its length leaks through timing.
 */
export function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}
