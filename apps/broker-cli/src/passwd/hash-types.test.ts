import { parseHash, verifyPassword } from '@midge/plugin-auth-file';
import { describe, expect, it } from 'vitest';
import { HASH_TYPES, passwordLine } from './hash-types.js';

describe('midge passwd -H', () => {
  it.each([
    ['sha512-crypt', 'sha512-crypt', /^alice:\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/],
    ['sha512-pbkdf2', 'mosquitto-pbkdf2', /^alice:\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/],
    ['sha512', 'mosquitto-sha512', /^alice:\$6\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/],
    ['argon2id', 'argon2', /^alice:\$argon2id\$v=19\$m=65536,t=3,p=4\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/],
  ] as const)('%s writes a line plugin-auth-file reads as %s and verifies', async (type, scheme, shape) => {
    const line = await passwordLine('alice', 'pässword', type);
    expect(line).toMatch(shape);
    const parsed = parseHash(line.slice('alice:'.length));
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.hash.scheme).toBe(scheme);
    expect(await verifyPassword(parsed.hash, 'pässword')).toBe(true);
    expect(await verifyPassword(parsed.hash, 'password')).toBe(false);
  });

  it('salts every hash afresh', async () => {
    for (const type of HASH_TYPES)
      expect(await passwordLine('bob', 'pw', type)).not.toBe(await passwordLine('bob', 'pw', type));
  });

  it('refuses a user name the file cannot hold', async () => {
    await expect(passwordLine('a:b', 'pw', 'sha512-pbkdf2')).rejects.toThrow(/:/);
  });
});
