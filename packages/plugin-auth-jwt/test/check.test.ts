/** `midge --check`: the key file or secret as a start would read it, and keys no listed algorithm can use. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { checkKeys, configSchema } from '../src/index.js';
import { jwks, signingKey } from './tokens.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-auth-jwt-check-'));
  const [es, rs] = await Promise.all([signingKey('ES256', 'e1'), signingKey('RS256', 'r1')]);
  await writeFile(join(dir, 'jwks.json'), JSON.stringify(jwks(es, rs)));
  await writeFile(join(dir, 'broken.json'), '{"keys": 3}');
  await writeFile(join(dir, 'short'), 'short');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const check = (input: Record<string, unknown>) => checkKeys(v.parse(configSchema, input), dir);

describe('checkKeys', () => {
  it('passes a good JWKS, and warns about keys for algorithms not listed', async () => {
    expect(await check({ jwks_file: 'jwks.json', algorithms: ['ES256', 'RS256'] })).toEqual([]);
    const problems = await check({ jwks_file: 'jwks.json', algorithms: ['ES256'] });
    expect(problems.map((p) => [p.option, p.severity])).toEqual([['jwks_file', 'warning']]);
    expect(problems[0]?.message).toContain('"r1" is for RS256');
  });

  it('reports a missing or malformed JWKS and a short secret as errors naming the file', async () => {
    const [missing] = await check({ jwks_file: 'nope.json', algorithms: ['ES256'] });
    expect(missing?.option).toBe('jwks_file');
    expect(missing?.message).toContain(join(dir, 'nope.json'));
    expect(missing?.severity).toBeUndefined();
    const [broken] = await check({ jwks_file: 'broken.json', algorithms: ['ES256'] });
    expect(broken?.message).toMatch(/is not a JWKS/);
    const [short] = await check({ secret_file: 'short', algorithms: ['HS256'] });
    expect(short?.option).toBe('secret_file');
    expect(short?.message).toContain('at least 32 bytes');
  });

  it('does not fetch a jwks_url', async () => {
    expect(await check({ jwks_url: 'http://127.0.0.1:9/jwks.json', algorithms: ['ES256'] })).toEqual([]);
  });
});
