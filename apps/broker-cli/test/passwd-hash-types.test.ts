/**
 * `midge passwd -H`: each hash type midge writes is admitted by midge's broker and, for Mosquitto's own
 * formats, by a real Mosquitto broker (skipped without /usr/sbin/mosquitto outside CI; in CI a missing
 * mosquitto fails, as the other interop tests).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrokerProcess, runMidge, withTempDir } from './cli-process.js';
import { connackCode } from './mqtt-raw.js';

const MOSQUITTO = '/usr/sbin/mosquitto';

const passwd = (...args: string[]) => runMidge(['passwd', ...args]);

describe('midge passwd -H', () => {
  it('writes each hash type as asked, -U included; the broker admits them all in one file', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'passwords');
      expect((await passwd('-c', '-b', file, 'crypt', 'crypt-pw')).code).toBe(0);
      expect((await passwd('-H', 'sha512-pbkdf2', '-b', file, 'pbkdf2', 'pbkdf2-pw')).code).toBe(0);
      expect((await passwd('--hash-type', 'sha512', '-b', file, 'mosq1', 'mosq1-pw')).code).toBe(0);
      expect((await passwd('-H', 'argon2id', '-b', file, 'argon', 'argon-pw')).code).toBe(0);
      await writeFile(file, `${await readFile(file, 'utf8')}plain:plain-pw\n`);
      expect((await passwd('-U', '-H', 'sha512-pbkdf2', file)).code).toBe(0);
      const lines = (await readFile(file, 'utf8')).trim().split('\n');
      expect(lines).toEqual([
        expect.stringMatching(/^crypt:\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/),
        expect.stringMatching(/^pbkdf2:\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/),
        expect.stringMatching(/^mosq1:\$6\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/),
        expect.stringMatching(/^argon:\$argon2id\$v=19\$m=65536,t=3,p=4\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/),
        expect.stringMatching(/^plain:\$7\$101\$/),
      ]);

      await writeFile(
        join(dir, 'broker.yaml'),
        `listeners:\n  default:\n    bind: 127.0.0.1:0\nplugins:\n  '@midge/plugin-auth-file':\n    password_file: passwords\n`,
      );
      const broker = new BrokerProcess(['-c', 'broker.yaml'], dir);
      const port = await broker.port();
      for (const user of ['crypt', 'pbkdf2', 'mosq1', 'argon', 'plain']) {
        expect(await connackCode(port, `${user}-ok`, user, `${user}-pw`), user).toBe(0);
        expect(await connackCode(port, `${user}-no`, user, 'wrong'), user).toBe(4);
      }
      expect((await broker.stop()).code).toBe(0);
    });
  }, 60_000); // Five `midge` processes, an Argon2 hash (64 MiB) and a broker checking each user twice.

  it('refuses an unknown type, naming the known ones, and -H with -D', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'passwords');
      const bad = await passwd('-H', 'md5', '-c', '-b', file, 'a', 'pw');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("-H must be one of sha512-crypt, sha512-pbkdf2, sha512, argon2id, got 'md5'");
      expect(existsSync(file)).toBe(false);
      expect((await passwd('-c', '-b', file, 'a', 'pw')).code).toBe(0);
      const del = await passwd('-H', 'sha512', '-D', file, 'a');
      expect(del.code).toBe(2);
    });
  });
});

describe.skipIf(process.env.CI === undefined && !existsSync(MOSQUITTO))('midge passwd -H next to Mosquitto', () => {
  it('Mosquitto admits the users of a file midge wrote with -H sha512-pbkdf2 and -H sha512', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'passwords');
      expect((await passwd('-c', '-H', 'sha512-pbkdf2', '-b', file, 'alice', 'alice-pw')).code).toBe(0);
      expect((await passwd('-H', 'sha512', '-b', file, 'bob', 'bob-pw')).code).toBe(0);
      const port = await freePort();
      const conf = join(dir, 'mosquitto.conf');
      // Run as root, Mosquitto switches to the user 'mosquitto', which may not read our 0600 file: stay.
      const user = process.getuid?.() === 0 ? 'user root\n' : '';
      await writeFile(conf, `${user}listener ${port} 127.0.0.1\nallow_anonymous false\npassword_file ${file}\n`);
      const mosquitto = spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
      try {
        // Mosquitto answers once it listens: retry until it does (or gave up).
        await expect
          .poll(() => connackCode(port, 'a', 'alice', 'alice-pw').catch(() => -1), { timeout: 5000, interval: 100 })
          .toBe(0);
        expect(await connackCode(port, 'b', 'bob', 'bob-pw')).toBe(0);
        expect(await connackCode(port, 'c', 'alice', 'wrong')).not.toBe(0);
        expect(await connackCode(port, 'd', 'bob', 'wrong')).not.toBe(0);
      } finally {
        mosquitto.kill('SIGTERM');
      }
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
