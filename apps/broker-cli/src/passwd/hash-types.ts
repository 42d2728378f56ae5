/**
 * `midge passwd -H TYPE`: the password hash formats midge writes, each one @midge/plugin-auth-file verifies.
 *
 * - `sha512-crypt` (default): `$6$salt$hash`, SHA-512 crypt with 5000 rounds, as `mkpasswd -m sha-512`.
 * - `sha512-pbkdf2`: `$7$101$salt$hash`, Mosquitto 2's format (PBKDF2-HMAC-SHA512, its 101 iterations and
 *   12-byte salt): for a file Mosquitto reads too.
 * - `sha512`: `$6$salt$hash`, Mosquitto 1.x's single salted SHA-512 (base64): only for a file Mosquitto 1.x
 *   must read; one SHA-512 per guess makes it the cheapest to crack.
 * - `argon2id`: `$argon2id$v=19$m=65536,t=3,p=4$salt$hash`, memory-hard, the strongest against guessing on
 *   GPUs; the format aMQTT 0.12 (argon2-cffi) writes, so its tools read the file too.
 */
import { createHash, pbkdf2, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { formatPasswordLine, hashArgon2id, usernameProblem } from '@midge/plugin-auth-file';

export const HASH_TYPES = ['sha512-crypt', 'sha512-pbkdf2', 'sha512', 'argon2id'] as const;
export type HashType = (typeof HASH_TYPES)[number];

export function isHashType(name: string): name is HashType {
  return (HASH_TYPES as readonly string[]).includes(name);
}

/** Mosquitto's salt length and its PBKDF2 iteration count (mosquitto_passwd 2.0). */
const MOSQUITTO_SALT_BYTES = 12;
const MOSQUITTO_ITERATIONS = 101;

const pbkdf2Async = promisify(pbkdf2);

/** `user:hash` for `password`, hashed as `type` with a fresh random salt. */
export async function passwordLine(user: string, password: string, type: HashType): Promise<string> {
  if (type === 'sha512-crypt') return formatPasswordLine(user, password);
  const problem = usernameProblem(user);
  if (problem !== undefined) throw new TypeError(problem);
  if (type === 'argon2id') return `${user}:${await hashArgon2id(password)}`;
  const salt = randomBytes(MOSQUITTO_SALT_BYTES);
  if (type === 'sha512-pbkdf2') {
    const key = await pbkdf2Async(Buffer.from(password, 'utf8'), salt, MOSQUITTO_ITERATIONS, 64, 'sha512');
    return `${user}:$7$${MOSQUITTO_ITERATIONS}$${salt.toString('base64')}$${key.toString('base64')}`;
  }
  const digest = createHash('sha512').update(password, 'utf8').update(salt).digest();
  return `${user}:$6$${salt.toString('base64')}$${digest.toString('base64')}`;
}
