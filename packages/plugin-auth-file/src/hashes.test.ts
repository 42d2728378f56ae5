import { describe, expect, it } from 'vitest';
import { sha512 } from 'sha512-crypt-ts';
import { hashArgon2id, hashPassword, parseHash, sha512Crypt, verifyPassword } from './hashes.js';
import type { PasswordHash } from './hashes.js';

/** [password, crypt output]: from glibc via Python's crypt, OpenSSL, and Drepper's specification. */
const CRYPT_VECTORS: [string, string][] = [
  [
    'secret',
    '$6$saltsaltsaltsalt$ph0yGsyjzqdeFaon7.gJZo8eAG5/rj9/JdzOu1Rl7dKzBYg3xgvl7T2VQ2Rt81bc5AXkdA54r0p8QvC1omD6R1',
  ],
  [
    'secret',
    '$6$rounds=10000$roundsalt12345$4jWBlJsCA8lNWe5G91gBxS8l1jWGQ0SpwhybPpM16N3EKNLf9UOI3oFB2zQv4q0zy8jzcSC05VZuF2v6RN09I0',
  ],
  [
    'secret',
    '$6$rounds=1000$minrounds$Ka3Q3rpaoB0eP/X0/j6ZoTgt6v.Wrqd2WBiKtcxiJ14XyLJ5UTm8ofGUhH0cuVQjqV/auZ0UAzEfdVo0cKKCV/',
  ],
  ['secret', '$6$ab$2lDVylRMp48hlYZZFOCx/xnhJEsGPynJ17rt2um9Gb8wX6ygI4uDxg3Bg43pp/Hv397hwWfT8mciHws9eE4sR/'],
  ['pässwörd', '$6$unicodesalt$9kYkNFbCnmFg8kOIIr76PlnG/ITtgilRbeMLXVDhYkyv.GxioRBNbjBpt1Xc4BamEnykghMwQIm.s43qlueMM0'],
  ['', '$6$emptypassword$A8Ea6Wwj4ySnvoqOM4sUC2F4f0eItLKq6JSZfH54nEdUj6OuFyprcTM7OjcT8lDS8/7KQ9w5/UyNhgAfQ9w5K1'],
  [
    'x'.repeat(100),
    '$6$longpwsalt$M94N/MPTZS5HXmzFjFfviW/rEayeWvLlrXvMhR1bpsD0iApJBwQ18/K7vTLWbVx.GlfM9Ca0lfdzOmYoejga5/',
  ],
  ['hunter2', '$6$opensslsalt$HkAxJtrpL5t.5c7g0valU.XHwQAYI7noOeZ0EcbEZD4zksKDnGTYtY/Fl9M9LHfsqkISYUw2NPhHmBEQUoNLS0'],
  [
    'Hello world!',
    '$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1',
  ],
  [
    'Hello world!',
    '$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.',
  ],
];

/** From `mosquitto_passwd` 2.x: [password, hash]. */
const MOSQUITTO_VECTORS: [string, string][] = [
  [
    'mosq-pw',
    '$7$101$LY3s6wGPFaLCk47/$XlgUnvjeSrxc2a/Jq8n/i8ybg+MTzzwDh7ffi8k561MO2PVC32/YbE5g0ZVVpk88ZqTGBxbTwTPTLvcWJZ6iaw==',
  ],
  [
    'pässwörd',
    '$7$101$yEUHULFHtJPCd8Ge$SrrBOvPoiiziU6HARn11hPEXXUddab1fLipBSfbFoGzqyZOsuyzZ6wexCOM8YrOaAm5I60WlEjiOWLDG3fENvg==',
  ],
  // `mosquitto_passwd -H sha512`: salted SHA-512, the 1.6 default.
  [
    'mosq-pw',
    '$6$WmJQkYdZ1f5cpDso$96sfWpU2QVRTa4bN/DkRH4EstdJIUCQPZNYKw3VDVreg4mi1IV8oO908gQhzJBd5sVMzJZNH0jJxHpr0IE5yHQ==',
  ],
];

function parsed(s: string): PasswordHash {
  const r = parseHash(s);
  if (!r.ok) throw new Error(r.message);
  return r.hash;
}

describe('sha512Crypt', () => {
  it.each(CRYPT_VECTORS)('reproduces crypt(%j)', async (password, expected) => {
    const setting = expected.slice(0, expected.lastIndexOf('$'));
    expect(await sha512Crypt(password, setting)).toBe(expected);
    // The full hash works as a setting too, as with crypt(3).
    expect(await sha512Crypt(password, expected)).toBe(expected);
  });

  it('cuts the salt to 16 characters and clamps rounds like glibc', async () => {
    expect(await sha512Crypt('secret', '$6$saltsaltsaltsaltEXTRA')).toBe(CRYPT_VECTORS[0]![1]);
    expect(await sha512Crypt('Hello world!', '$6$rounds=10000$saltstringsaltstring')).toBe(CRYPT_VECTORS[9]![1]);
    expect(await sha512Crypt('the minimum number is still observed', '$6$rounds=10$roundstoolow')).toBe(
      '$6$rounds=1000$roundstoolow$kUMsbe306n21p9R.FRkW3IGn.S9NPN0x50YhH1xhLsPuWGsUSklZt58jaTfF4ZEQpyUNGc0dqbpBYYBaHHrsX.',
    );
  });

  it('agrees with sha512-crypt-ts', async () => {
    for (const [password, setting] of [
      ['secret', '$6$abcdefgh'],
      [
        'a much longer password with spaces and more than sixty-four bytes in it, ok?',
        '$6$rounds=2000$0123456789abcdef',
      ],
      ['pässwörd', '$6$unicodesalt'],
    ] as const) {
      // sha512-crypt-ts hashes the string's char codes as bytes: hand it the UTF-8 bytes as latin1.
      const theirs = sha512.crypt(Buffer.from(password).toString('latin1'), setting);
      expect(await sha512Crypt(password, setting)).toBe(theirs);
    }
  });

  it('rejects a setting that is not $6$', async () => {
    await expect(sha512Crypt('x', '$5$abc')).rejects.toThrow(/\$6\$/);
  });
});

describe('parseHash', () => {
  it('reads sha-512 crypt hashes, with and without rounds', () => {
    expect(parsed(CRYPT_VECTORS[0]![1])).toMatchObject({
      scheme: 'sha512-crypt',
      rounds: 5000,
      roundsExplicit: false,
      salt: 'saltsaltsaltsalt',
    });
    expect(parsed(CRYPT_VECTORS[1]![1])).toMatchObject({
      scheme: 'sha512-crypt',
      rounds: 10000,
      roundsExplicit: true,
      salt: 'roundsalt12345',
    });
  });

  it('reads Mosquitto hashes', () => {
    expect(parsed(MOSQUITTO_VECTORS[0]![1])).toMatchObject({ scheme: 'mosquitto-pbkdf2', iterations: 101 });
    expect(parsed(MOSQUITTO_VECTORS[2]![1])).toMatchObject({ scheme: 'mosquitto-sha512' });
  });

  it.each([
    ['plain-text', 'hunter2', /plain-text/],
    ['md5 crypt', '$1$salt$qJH7.N4xYta3aEG/dfqo/0', /unsupported hash scheme \$1\$/],
    ['scrypt', '$scrypt$ln=16,r=8,p=1$c2FsdA$aGFzaA', /unsupported hash scheme \$scrypt\$/],
    ['a short bcrypt', '$2b$12$abcdefghijklmnopqrstuuOqGJ5rKL0GdTkKq6c6tY0D', /malformed bcrypt/],
    ['$6$ without hash', '$6$salt', /malformed \$6\$/],
    ['$6$ with a short hash', '$6$salt$abc', /malformed \$6\$/],
    ['$6$ with a bad rounds', '$6$rounds=many$salt$' + 'a'.repeat(86), /rounds/],
    ['$6$ with a long salt', '$6$' + 's'.repeat(17) + '$' + 'a'.repeat(86), /16/],
    ['$7$ with bad iterations', '$7$0$LY3s6wGPFaLCk47/$' + 'A'.repeat(86) + '==', /iterations/],
    ['$7$ with too many iterations', '$7$9999999999$LY3s6wGPFaLCk47/$' + 'A'.repeat(86) + '==', /iterations/],
    ['$7$ with a short key', '$7$101$LY3s6wGPFaLCk47/$AAAA', /64 bytes/],
    ['$7$ with bad base64', '$7$101$***$AAAA', /salt/],
    ['$7$ with missing parts', '$7$101$abc', /malformed \$7\$/],
  ])('rejects %s without quoting it', (_name, field, message) => {
    const r = parseHash(field);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toMatch(message);
      expect(r.message).not.toContain(field);
    }
  });
});

describe('verifyPassword', () => {
  it.each([...CRYPT_VECTORS, ...MOSQUITTO_VECTORS])(
    'accepts %j for its hash and rejects others',
    async (password, hash) => {
      const h = parsed(hash);
      expect(await verifyPassword(h, password)).toBe(true);
      expect(await verifyPassword(h, Buffer.from(password, 'utf8'))).toBe(true);
      expect(await verifyPassword(h, password + 'x')).toBe(false);
      expect(await verifyPassword(h, password.toUpperCase() + '!')).toBe(false);
    },
  );

  it('compares raw bytes: a latin1-encoded password does not match a UTF-8 one', async () => {
    expect(await verifyPassword(parsed(CRYPT_VECTORS[4]![1]), Buffer.from('pässwörd', 'latin1'))).toBe(false);
  });

  it('does not block the event loop for the whole check', async () => {
    const h = parsed(await hashPassword('pw', { rounds: 20_000 }));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 0);
    try {
      expect(await verifyPassword(h, 'pw')).toBe(true);
    } finally {
      clearInterval(timer);
    }
    // 20 000 rounds yield 19 times; timers get to run in between.
    expect(ticks).toBeGreaterThan(0);
  });
});

describe('hashPassword', () => {
  it('makes a $6$ hash with a random 16-character salt that verifies', async () => {
    const a = await hashPassword('s3cret');
    const b = await hashPassword('s3cret');
    expect(a).toMatch(/^\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword(parsed(a), 's3cret')).toBe(true);
    expect(await verifyPassword(parsed(a), 's3cre')).toBe(false);
    // Cross-check with the independent implementation.
    expect(sha512.crypt('s3cret', a.slice(0, a.lastIndexOf('$')))).toBe(a);
  });

  it('spells out custom rounds and refuses out-of-range ones', async () => {
    expect(await hashPassword('x', { rounds: 1000 })).toMatch(/^\$6\$rounds=1000\$/);
    await expect(hashPassword('x', { rounds: 999 })).rejects.toThrow(RangeError);
    await expect(hashPassword('x', { rounds: 1.5 })).rejects.toThrow(RangeError);
  });
});

// Vectors written by argon2-cffi 25.1.0 (`PasswordHasher().hash(...)`, what aMQTT and passlib use) and by
// Python's bcrypt (`hashpw(..., gensalt(5))`): the files those tools write must keep working here.
const ARGON2ID_CFFI =
  '$argon2id$v=19$m=65536,t=3,p=4$dMtSqIdQkXluLannWm8cJA$yImpVGk9wHyZoron7FwNn0AcK3X8FpFbhXPJscXuuPw';
const ARGON2I_CFFI = '$argon2i$v=19$m=65536,t=3,p=4$34quTpOECPNPj7dHFEnyqQ$2J7HhioPW7pjFo7itrrTjcfEfEK7+IneCHVTdmHxwBQ';
const BCRYPT_2B = '$2b$05$wTbPnd0uRibAeI3FVPU8w.KUlJtCgo77DOseMnd.qkWH6RZYdFMb.';
const BCRYPT_2A = '$2a$05$8/x7HSSGaUCOIJo9ZSMiBORLlefYwYYnJSLjeqoxUTRkQnPB0Yuwa';

describe('argon2 and bcrypt hashes', () => {
  async function verifies(field: string, password: string): Promise<boolean> {
    const parsed = parseHash(field);
    if (!parsed.ok) throw new Error(parsed.message);
    return verifyPassword(parsed.hash, password);
  }

  it("verifies argon2-cffi's argon2id and argon2i hashes (aMQTT 0.12 password files)", async () => {
    expect(await verifies(ARGON2ID_CFFI, 's3cret-amqtt')).toBe(true);
    expect(await verifies(ARGON2ID_CFFI, 's3cret-amqtT')).toBe(false);
    expect(await verifies(ARGON2I_CFFI, 'argon2i-pass')).toBe(true);
    expect(await verifies(ARGON2I_CFFI, '')).toBe(false);
  });

  it("verifies Python bcrypt's $2b$ and $2a$ hashes", async () => {
    expect(await verifies(BCRYPT_2B, 'bcrypt-pass')).toBe(true);
    expect(await verifies(BCRYPT_2B, 'bcrypt-pasS')).toBe(false);
    expect(await verifies(BCRYPT_2A, 'bcrypt-pass')).toBe(true);
  });

  it('writes argon2id hashes with argon2-cffi parameters that verify', async () => {
    const h = await hashArgon2id('new-pass');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=4\$/);
    expect(await verifies(h, 'new-pass')).toBe(true);
    expect(await verifies(h, 'old-pass')).toBe(false);
  });

  it('refuses malformed hashes and parameters that would make each check costly, without quoting them', () => {
    const problems = [
      '$argon2id$v=19$m=65536,t=3$c2FsdA$aGFzaA',
      '$argon2id$v=19$m=4194304,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g',
      '$argon2id$v=19$m=65536,t=0,p=4$c2FsdHNhbHQ$aGFzaGhhc2g',
      '$2b$05$tooshort',
      '$2b$31$wTbPnd0uRibAeI3FVPU8w.KUlJtCgo77DOseMnd.qkWH6RZYdFMb.',
    ].map((f) => parseHash(f));
    for (const p of problems) expect(p.ok).toBe(false);
    expect(problems.map((p) => (p.ok ? '' : p.message))).toEqual([
      'malformed $argon2$ hash: expected $argon2id$v=19$m=…,t=…,p=…$salt$hash',
      '$argon2$ hash asks for m=4194304 KiB per check: at most 1048576 (1 GiB) is read',
      '$argon2$ hash: t must be from 1 to 64',
      'malformed bcrypt hash: expected $2b$cost$ and 53 characters of salt and hash',
      'bcrypt hash: the cost must be from 4 to 20',
    ]);
  });
});
