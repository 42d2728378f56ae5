/**
 * Password hashes found in password files, and their verification.
 *
 * - `$6$[rounds=N$]salt$hash`: SHA-512 crypt (Drepper's spec, as `mkpasswd -m sha-512`, glibc crypt(3),
 *   Python passlib's sha512_crypt and aMQTT). Computed here on node:crypto's native SHA-512 rather
 *   than with the pure-JS sha512-crypt-ts: that one takes ~100 ms of blocked event loop per check
 *   (5000 rounds), which would stall every connection and let a few bad CONNECTs freeze the broker.
 *   This takes ~9 ms in total and yields to the event loop every ROUNDS_PER_SLICE rounds. The tests
 *   check it against sha512-crypt-ts and against vectors from glibc, Python and OpenSSL.
 * - `$6$<base64 salt>$<base64 hash>`: Mosquitto's older salted SHA-512 (`mosquitto_passwd -H sha512`):
 *   one SHA-512 of password + salt. Told apart from crypt by its 88-character base64 hash.
 * - `$7$<iterations>$<base64 salt>$<base64 hash>`: Mosquitto's PBKDF2-HMAC-SHA512 with a 64-byte key
 *   (the `mosquitto_passwd` default since 2.0), computed with node:crypto's async `pbkdf2` (thread pool).
 * - `$argon2id$v=19$m=…,t=…,p=…$salt$hash` (and `$argon2i$`, `$argon2d$`): Argon2 in the PHC string format,
 *   as argon2-cffi and passlib write it (aMQTT 0.12's password files), verified by `@node-rs/argon2` on the
 *   thread pool. Memory, passes and lanes are bounded when the file is read: a line asking for gigabytes
 *   per check would let each CONNECT take them.
 * - `$2a$`/`$2b$`/`$2y$cost$…`: bcrypt (htpasswd -B, Python bcrypt, PHP), verified by `@node-rs/bcrypt`
 *   on the thread pool; the cost is bounded likewise.
 */
import { createHash, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import type { Algorithm } from '@node-rs/argon2';
import { verify as bcryptVerify } from '@node-rs/bcrypt';

export type PasswordHash =
  | {
      readonly scheme: 'sha512-crypt';
      readonly rounds: number;
      /** Whether the hash spelled `rounds=` (it then reappears in the output). */
      readonly roundsExplicit: boolean;
      readonly salt: string;
      /** The 86-character encoded hash, as bytes. */
      readonly expected: Buffer;
    }
  | { readonly scheme: 'mosquitto-sha512'; readonly salt: Buffer; readonly expected: Buffer }
  | {
      readonly scheme: 'mosquitto-pbkdf2';
      readonly iterations: number;
      readonly salt: Buffer;
      readonly expected: Buffer;
    }
  /** The whole PHC string (the verifying library parses it again). */
  | { readonly scheme: 'argon2'; readonly encoded: string }
  | { readonly scheme: 'bcrypt'; readonly encoded: string };

export type ParseHashResult =
  { readonly ok: true; readonly hash: PasswordHash } | { readonly ok: false; readonly message: string };

/** Drepper's bounds: rounds outside them are clamped, as glibc does. */
export const MIN_ROUNDS = 1000;
export const MAX_ROUNDS = 999_999_999;
export const DEFAULT_ROUNDS = 5000;
const ROUNDS_PER_SLICE = 1000;
const MAX_SALT = 16;
const CRYPT_ALPHABET = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CRYPT_HASH = /^[./0-9A-Za-z]{86}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DIGITS = /^[0-9]{1,10}$/;

/**
 * Reads the hash field of a password file line. Messages never quote the field: a line holding a
 * plain-text password must not end up in the log.
 */
export function parseHash(field: string): ParseHashResult {
  if (field.startsWith('$6$')) return parseSix(field.slice(3));
  if (field.startsWith('$7$')) return parseSeven(field.slice(3));
  if (field.startsWith('$argon2')) return parseArgon2(field);
  if (/^\$2[abxy]\$/.test(field)) return parseBcrypt(field);
  const scheme = /^\$([0-9a-z]{1,8})\$/.exec(field);
  if (scheme) {
    return fail(
      `unsupported hash scheme $${scheme[1]}$ (supported: $6$ sha-512 crypt, $7$ Mosquitto PBKDF2, $argon2id$, $2b$ bcrypt)`,
    );
  }
  return fail(
    'not a supported password hash (plain-text passwords are not accepted; use `midge passwd` or `mkpasswd -m sha-512`)',
  );
}

function fail(message: string): ParseHashResult {
  return { ok: false, message };
}

function parseSix(rest: string): ParseHashResult {
  let rounds = DEFAULT_ROUNDS;
  let roundsExplicit = false;
  if (rest.startsWith('rounds=')) {
    const end = rest.indexOf('$');
    const n = end < 0 ? '' : rest.slice('rounds='.length, end);
    if (!DIGITS.test(n)) return fail('malformed $6$ hash: rounds= must be a number');
    rounds = Math.min(MAX_ROUNDS, Math.max(MIN_ROUNDS, Number(n)));
    roundsExplicit = true;
    rest = rest.slice(end + 1);
  }
  const parts = rest.split('$');
  if (parts.length !== 2) return fail('malformed $6$ hash: expected $6$[rounds=N$]salt$hash');
  const [salt, encoded] = parts as [string, string];
  if (CRYPT_HASH.test(encoded)) {
    if (Buffer.byteLength(salt) > MAX_SALT) return fail('malformed $6$ hash: the salt is longer than 16 characters');
    return {
      ok: true,
      hash: { scheme: 'sha512-crypt', rounds, roundsExplicit, salt, expected: Buffer.from(encoded, 'latin1') },
    };
  }
  if (!roundsExplicit && encoded.length === 88 && BASE64.test(encoded) && salt !== '' && BASE64.test(salt)) {
    return {
      ok: true,
      hash: { scheme: 'mosquitto-sha512', salt: Buffer.from(salt, 'base64'), expected: Buffer.from(encoded, 'base64') },
    };
  }
  return fail('malformed $6$ hash: the hash part is neither sha-512 crypt (86 characters) nor Mosquitto base64');
}

function parseSeven(rest: string): ParseHashResult {
  const parts = rest.split('$');
  if (parts.length !== 3) return fail('malformed $7$ hash: expected $7$iterations$salt$hash');
  const [iter, salt, encoded] = parts as [string, string, string];
  // Node's pbkdf2 takes at most 2^31 - 1 iterations.
  if (!DIGITS.test(iter) || Number(iter) < 1 || Number(iter) > 0x7fffffff) {
    return fail('malformed $7$ hash: iterations must be a number from 1 to 2147483647');
  }
  if (salt === '' || !BASE64.test(salt)) return fail('malformed $7$ hash: the salt is not base64');
  if (!BASE64.test(encoded)) return fail('malformed $7$ hash: the hash is not base64');
  const expected = Buffer.from(encoded, 'base64');
  if (expected.length !== 64) return fail('malformed $7$ hash: the hash must be 64 bytes (PBKDF2-HMAC-SHA512)');
  return {
    ok: true,
    hash: { scheme: 'mosquitto-pbkdf2', iterations: Number(iter), salt: Buffer.from(salt, 'base64'), expected },
  };
}

/** Bounds on Argon2 parameters read from a file: argon2-cffi's default is m=65536 (64 MiB), t=3, p=4. */
export const MAX_ARGON2_MEMORY_KIB = 1 << 20;
export const MAX_ARGON2_PASSES = 64;
export const MAX_ARGON2_LANES = 64;
/** bcrypt costs above this take minutes per check. */
export const MAX_BCRYPT_COST = 20;

const ARGON2 =
  /^\$argon2(id|i|d)\$(?:v=(16|19)\$)?m=([0-9]{1,10}),t=([0-9]{1,10}),p=([0-9]{1,3})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

function parseArgon2(field: string): ParseHashResult {
  const m = ARGON2.exec(field);
  if (m === null) return fail('malformed $argon2$ hash: expected $argon2id$v=19$m=…,t=…,p=…$salt$hash');
  const [memory, passes, lanes] = [Number(m[3]), Number(m[4]), Number(m[5])];
  if (memory > MAX_ARGON2_MEMORY_KIB)
    return fail(`$argon2$ hash asks for m=${memory} KiB per check: at most ${MAX_ARGON2_MEMORY_KIB} (1 GiB) is read`);
  if (passes < 1 || passes > MAX_ARGON2_PASSES) return fail(`$argon2$ hash: t must be from 1 to ${MAX_ARGON2_PASSES}`);
  if (lanes < 1 || lanes > MAX_ARGON2_LANES) return fail(`$argon2$ hash: p must be from 1 to ${MAX_ARGON2_LANES}`);
  return { ok: true, hash: { scheme: 'argon2', encoded: field } };
}

function parseBcrypt(field: string): ParseHashResult {
  const m = /^\$2[abxy]\$([0-9]{2})\$[./A-Za-z0-9]{53}$/.exec(field);
  if (m === null) return fail('malformed bcrypt hash: expected $2b$cost$ and 53 characters of salt and hash');
  const cost = Number(m[1]);
  if (cost < 4 || cost > MAX_BCRYPT_COST) return fail(`bcrypt hash: the cost must be from 4 to ${MAX_BCRYPT_COST}`);
  return { ok: true, hash: { scheme: 'bcrypt', encoded: field } };
}

/** True iff `password` matches `hash`. Compares in constant time; never throws for a wrong password. */
export async function verifyPassword(hash: PasswordHash, password: Buffer | string): Promise<boolean> {
  const pw = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  switch (hash.scheme) {
    case 'sha512-crypt': {
      const digest = await sha512CryptDigest(pw, Buffer.from(hash.salt, 'utf8'), hash.rounds);
      return timingSafeEqual(Buffer.from(encodeCryptDigest(digest), 'latin1'), hash.expected);
    }
    case 'mosquitto-sha512': {
      const digest = createHash('sha512').update(pw).update(hash.salt).digest();
      return digest.length === hash.expected.length && timingSafeEqual(digest, hash.expected);
    }
    case 'mosquitto-pbkdf2': {
      const key = await new Promise<Buffer>((resolve, reject) =>
        pbkdf2(pw, hash.salt, hash.iterations, hash.expected.length, 'sha512', (err, k) =>
          err ? reject(err) : resolve(k),
        ),
      );
      return timingSafeEqual(key, hash.expected);
    }
    // Both libraries compare in constant time and answer false (never throw) for a wrong password.
    case 'argon2':
      return argon2Verify(hash.encoded, pw).catch(() => false);
    case 'bcrypt':
      return bcryptVerify(pw, hash.encoded).catch(() => false);
  }
}

/**
 * `$argon2id$v=19$m=65536,t=3,p=4$…` for `password`: Argon2id with argon2-cffi's defaults (RFC 9106's
 * second recommended option, what aMQTT's files hold), a random 16-byte salt, computed on the thread pool.
 */
export async function hashArgon2id(password: Buffer | string): Promise<string> {
  // `Algorithm.Argon2id` (2): a const enum, which isolated modules cannot read at run time.
  const argon2id = 2 as Algorithm;
  return argon2Hash(password, { algorithm: argon2id, memoryCost: 65536, timeCost: 3, parallelism: 4 });
}

/**
 * `$6$[rounds=N$]salt$hash` for `password` (UTF-8) with a random 16-character salt, like
 * `mkpasswd -m sha-512`. Without `rounds` the default 5000 is used and not spelled out.
 */
export async function hashPassword(password: Buffer | string, options: { rounds?: number } = {}): Promise<string> {
  const { rounds } = options;
  if (rounds !== undefined && (!Number.isInteger(rounds) || rounds < MIN_ROUNDS || rounds > MAX_ROUNDS)) {
    throw new RangeError(`rounds must be an integer from ${MIN_ROUNDS} to ${MAX_ROUNDS}`);
  }
  // 64 symbols: `byte & 63` picks each one with equal probability.
  const salt = Array.from(randomBytes(MAX_SALT), (b) => CRYPT_ALPHABET[b & 63]).join('');
  return await sha512Crypt(password, rounds === undefined ? `$6$${salt}` : `$6$rounds=${rounds}$${salt}`);
}

/**
 * crypt(3) with a `$6$` setting: `sha512Crypt('pw', '$6$rounds=10000$salt')` → `$6$rounds=10000$salt$…`.
 * Like glibc, the salt stops at `$` and is cut to 16 characters, and rounds are clamped to 1000..999999999.
 */
export async function sha512Crypt(password: Buffer | string, setting: string): Promise<string> {
  if (!setting.startsWith('$6$')) throw new Error('sha512Crypt: the setting must start with $6$');
  let rest = setting.slice(3);
  let rounds = DEFAULT_ROUNDS;
  let prefix = '$6$';
  const m = /^rounds=([0-9]{1,10})\$/.exec(rest);
  if (m) {
    rounds = Math.min(MAX_ROUNDS, Math.max(MIN_ROUNDS, Number(m[1])));
    prefix += `rounds=${rounds}$`;
    rest = rest.slice(m[0].length);
  }
  const end = rest.indexOf('$');
  let salt = Buffer.from(end < 0 ? rest : rest.slice(0, end), 'utf8');
  if (salt.length > MAX_SALT) salt = salt.subarray(0, MAX_SALT);
  const pw = typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
  const digest = await sha512CryptDigest(pw, salt, rounds);
  return `${prefix}${salt.toString('utf8')}$${encodeCryptDigest(digest)}`;
}

function sha512(): Hash {
  return createHash('sha512');
}

/** `len` bytes of `block` repeated (steps 11, 16 and 20 of the spec). */
function repeatTo(block: Buffer, len: number): Buffer {
  const out = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i += block.length) block.copy(out, i, 0, Math.min(block.length, len - i));
  return out;
}

/** The 64-byte SHA-512 crypt digest (steps 1-21 of Drepper's specification). */
async function sha512CryptDigest(pw: Buffer, salt: Buffer, rounds: number): Promise<Buffer> {
  const b = sha512().update(pw).update(salt).update(pw).digest();
  const a = sha512().update(pw).update(salt).update(repeatTo(b, pw.length));
  for (let n = pw.length; n > 0; n >>= 1) a.update(n & 1 ? b : pw);
  const digestA = a.digest();

  const dp = sha512();
  for (let i = 0; i < pw.length; i++) dp.update(pw);
  const p = repeatTo(dp.digest(), pw.length);

  const ds = sha512();
  for (let i = 0; i < 16 + (digestA[0] as number); i++) ds.update(salt);
  const s = repeatTo(ds.digest(), salt.length);

  let c = digestA;
  for (let i = 0; i < rounds; i++) {
    // Yield now and then so a check never holds the event loop for more than a couple of milliseconds.
    if (i > 0 && i % ROUNDS_PER_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const h = sha512();
    h.update(i & 1 ? p : c);
    if (i % 3) h.update(s);
    if (i % 7) h.update(p);
    h.update(i & 1 ? c : p);
    c = h.digest();
  }
  return c;
}

/** crypt's base64 of the final digest, in its peculiar byte order (step 22). */
function encodeCryptDigest(c: Buffer): string {
  let out = '';
  const put = (b2: number, b1: number, b0: number, n: number): void => {
    let w = (b2 << 16) | (b1 << 8) | b0;
    for (let k = 0; k < n; k++) {
      out += CRYPT_ALPHABET[w & 63];
      w >>>= 6;
    }
  };
  const at = (i: number): number => c[i] as number;
  for (let i = 0; i < 21; i++) {
    const x = at(i);
    const y = at(i + 21);
    const z = at(i + 42);
    // The three bytes rotate: (0,21,42), (22,43,1), (44,2,23), (3,24,45)...
    if (i % 3 === 0) put(x, y, z, 4);
    else if (i % 3 === 1) put(y, z, x, 4);
    else put(z, x, y, 4);
  }
  put(0, 0, at(63), 2);
  return out;
}
