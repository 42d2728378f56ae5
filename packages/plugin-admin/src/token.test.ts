import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bearerToken, readToken, tokenMatches } from './token.js';

describe('bearer token', () => {
  it('reads the token trimmed, and names an empty or missing file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'midge-admin-token-'));
    try {
      await writeFile(join(dir, 'ok'), '  abc123\n');
      await writeFile(join(dir, 'empty'), '\n');
      expect(await readToken(join(dir, 'ok'))).toBe('abc123');
      await expect(readToken(join(dir, 'empty'))).rejects.toThrow(`the token file ${join(dir, 'empty')} is empty`);
      await expect(readToken(join(dir, 'missing'))).rejects.toThrow(join(dir, 'missing'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes the token of an Authorization: Bearer header only', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer ')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('matches the same token only, whatever the lengths', () => {
    expect(tokenMatches('s3cret', 's3cret')).toBe(true);
    expect(tokenMatches('s3cre', 's3cret')).toBe(false);
    expect(tokenMatches('s3cret-and-more', 's3cret')).toBe(false);
    expect(tokenMatches(undefined, 's3cret')).toBe(false);
  });
});
