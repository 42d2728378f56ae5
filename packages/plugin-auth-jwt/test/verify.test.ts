/**
 * Token verification against each key source, with keys jose generates: what must pass passes, and
 * every way a token can be wrong is refused as invalid.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordingLogger } from '@midge/mqtt-core/testing';
import { configSchema, createKeySource, resolveConfig, verifyToken } from '../src/index.js';
import type { JwtAuthConfig, KeySource } from '../src/index.js';
import * as v from 'valibot';
import { inSeconds, jwks, sign, signingKey, unsigned } from './tokens.js';
import type { SigningKey } from './tokens.js';

let dir: string;
let rsa: SigningKey;
let ec: SigningKey;
let stranger: SigningKey;
const secret = new Uint8Array(Buffer.from('0123456789abcdef0123456789abcdef-hmac'));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-auth-jwt-'));
  [rsa, ec, stranger] = await Promise.all([
    signingKey('RS256', 'r1'),
    signingKey('ES256', 'e1'),
    signingKey('RS256', 'r1'),
  ]);
  await writeFile(join(dir, 'jwks.json'), JSON.stringify(jwks(rsa, ec)));
  await writeFile(join(dir, 'secret'), `${Buffer.from(secret).toString()}\n`);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function verifier(input: Record<string, unknown>): Promise<(token: string) => ReturnType<typeof verifyToken>> {
  const config: JwtAuthConfig = v.parse(configSchema, input);
  const keys: KeySource = await createKeySource(config, dir, recordingLogger());
  return (token) => verifyToken(token, keys, resolveConfig(config));
}

const failure = async (p: ReturnType<typeof verifyToken>) => {
  const r = await p;
  return r.ok ? 'ok' : r.failure;
};

describe('verifyToken with a JWKS file', () => {
  it('accepts RS256 and ES256 tokens from listed keys, with the username from sub', async () => {
    const verify = await verifier({ jwks_file: 'jwks.json', algorithms: ['RS256', 'ES256'] });
    const r = await verify(await sign(rsa, { sub: 'alice', publish: ['a/#'] }));
    expect(r).toMatchObject({ ok: true, username: 'alice', claims: { publish: ['a/#'] } });
    expect(await verify(await sign(ec, { sub: 'bob' }))).toMatchObject({ ok: true, username: 'bob' });
  });

  it('refuses an algorithm not in the allow-list, alg none, a tampered or foreign signature, an unknown kid', async () => {
    const verify = await verifier({ jwks_file: 'jwks.json', algorithms: ['RS256'] });
    expect(await failure(verify(await sign(ec)))).toBe('invalid');
    expect(await failure(verify(unsigned({ sub: 'alice' })))).toBe('invalid');
    const [h, , s] = (await sign(rsa, { sub: 'alice' })).split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'admin', exp: inSeconds(60) })).toString('base64url');
    expect(await failure(verify(`${h}.${forged}.${s}`))).toBe('invalid');
    expect(await failure(verify(await sign(stranger)))).toBe('invalid'); // same kid, other key
    expect(await failure(verify(await sign({ ...rsa, kid: 'nope' })))).toBe('invalid');
  });

  it('checks exp, nbf, iss and aud, with the clock tolerance', async () => {
    const verify = await verifier({
      jwks_file: 'jwks.json',
      algorithms: ['RS256'],
      issuer: 'https://issuer.test',
      audience: ['midge', 'other'],
      clock_tolerance_s: 30,
    });
    const good = { iss: 'https://issuer.test', aud: 'midge' };
    expect(await failure(verify(await sign(rsa, good)))).toBe('ok');
    expect(await failure(verify(await sign(rsa, { ...good, exp: inSeconds(-10) })))).toBe('ok'); // within 30 s
    expect(await failure(verify(await sign(rsa, { ...good, exp: inSeconds(-60) })))).toBe('invalid');
    expect(await failure(verify(await sign(rsa, { ...good, nbf: inSeconds(120) })))).toBe('invalid');
    expect(await failure(verify(await sign(rsa, { ...good, iss: 'https://evil.test' })))).toBe('invalid');
    expect(await failure(verify(await sign(rsa, { ...good, aud: 'someone-else' })))).toBe('invalid');
    expect(await failure(verify(await sign(rsa, { aud: 'midge' })))).toBe('invalid'); // no iss
  });

  it('refuses a token without exp unless require_exp is false, and one without a username claim', async () => {
    const strict = await verifier({ jwks_file: 'jwks.json', algorithms: ['RS256'] });
    expect(await failure(strict(await sign(rsa, { exp: undefined })))).toBe('invalid');
    const lax = await verifier({ jwks_file: 'jwks.json', algorithms: ['RS256'], require_exp: false });
    expect(await failure(lax(await sign(rsa, { exp: undefined })))).toBe('ok');
    const byName = await verifier({
      jwks_file: 'jwks.json',
      algorithms: ['RS256'],
      username_claim: 'preferred_username',
    });
    expect(await byName(await sign(rsa, { preferred_username: 'carol' }))).toMatchObject({
      ok: true,
      username: 'carol',
    });
    expect(await failure(byName(await sign(rsa, {})))).toBe('invalid');
  });
});

describe('verifyToken with secret_file (HS256)', () => {
  it('accepts tokens signed with the secret (trailing newline of the file ignored) and refuses others', async () => {
    const verify = await verifier({ secret_file: 'secret', algorithms: ['HS256'] });
    expect(await failure(verify(await sign({ alg: 'HS256', secret })))).toBe('ok');
    const other = new Uint8Array(Buffer.from('another-secret-another-secret-another'));
    expect(await failure(verify(await sign({ alg: 'HS256', secret: other })))).toBe('invalid');
    expect(await failure(verify(await sign({ alg: 'HS512', secret })))).toBe('invalid');
  });

  it('refuses to start with a secret shorter than 32 bytes', async () => {
    await writeFile(join(dir, 'short'), 'too-short');
    await expect(verifier({ secret_file: 'short', algorithms: ['HS256'] })).rejects.toThrow(/at least 32 bytes/);
  });
});

describe('configSchema', () => {
  const issues = (input: unknown) => v.safeParse(configSchema, input).issues?.map((i) => i.message) ?? [];

  it('refuses none, HS with a JWKS, public-key algorithms with a secret, and zero or two key sources', () => {
    expect(issues({ jwks_file: 'k', algorithms: ['none'] }).join()).toMatch(/never none/);
    expect(issues({ jwks_file: 'k', algorithms: ['RS256', 'HS256'] }).join()).toMatch(
      /HS256\/HS384\/HS512 need secret_file/,
    );
    expect(issues({ secret_file: 's', algorithms: ['RS256'] }).join()).toMatch(/secret_file verifies/);
    expect(issues({ algorithms: ['RS256'] }).join()).toMatch(/exactly one/);
    expect(issues({ jwks_file: 'k', jwks_url: 'http://x/', algorithms: ['RS256'] }).join()).toMatch(/exactly one/);
    expect(issues({ jwks_file: 'k', algorithms: [] }).join()).toMatch(/at least one/);
    expect(issues({ jwks_url: 'file:///etc/jwks', algorithms: ['RS256'] }).join()).toMatch(/http\(s\)/);
    expect(issues({ jwks_file: 'k', algorithms: ['ES256'], bogus: 1 })).toHaveLength(1);
    expect(issues({ jwks_url: 'http://x/', algorithms: ['ES256'], jwks_timeout_s: 0 }).join()).toMatch(/more than 0/);
    expect(issues({ jwks_file: 'k', algorithms: ['ES256'] })).toEqual([]);
  });
});
