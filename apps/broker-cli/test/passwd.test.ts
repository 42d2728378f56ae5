import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrokerProcess, runMidge, withTempDir } from './cli-process.js';
import { connackCode } from './mqtt-raw.js';

describe('midge passwd', () => {
  it('creates, adds, changes and deletes users; the broker admits exactly the right ones', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'passwords');
      const ok = async (args: string[], input?: string): Promise<void> => {
        const r = await runMidge(['passwd', ...args], { cwd: dir, ...(input !== undefined ? { input } : {}) });
        expect(r.stderr + r.stdout).not.toContain('midge passwd:');
        expect(r.code).toBe(0);
      };
      await ok(['-c', '-b', file, 'alice', 'alice-pw']);
      expect((await stat(file)).mode & 0o777).toBe(0o600);
      // Lines midge did not write stay as they are.
      await writeFile(file, `# our users\n${await readFile(file, 'utf8')}\n`);
      await ok(['-b', file, 'bob', 'bob-pw']);
      await ok([file, 'carol'], 'carol-pw\nignored second line\n');
      await ok(['-b', file, 'dave', 'old-pw']);
      await ok(['-b', file, 'dave', 'new-pw']);
      await ok(['-D', file, 'bob']);

      const text = await readFile(file, 'utf8');
      expect(text.startsWith('# our users\n')).toBe(true);
      const users = text
        .split('\n')
        .filter((l) => /^\w+:\$6\$/.test(l))
        .map((l) => l.split(':')[0]);
      expect(users).toEqual(['alice', 'carol', 'dave']);

      await writeFile(
        join(dir, 'broker.yaml'),
        `listeners:\n  default:\n    bind: 127.0.0.1:0\nplugins:\n  '@midge/plugin-auth-file':\n    password_file: passwords\n`,
      );
      const broker = new BrokerProcess(['-c', 'broker.yaml'], dir);
      const port = await broker.port();
      expect(await connackCode(port, 'c1', 'alice', 'alice-pw')).toBe(0);
      expect(await connackCode(port, 'c2', 'carol', 'carol-pw')).toBe(0);
      expect(await connackCode(port, 'c3', 'dave', 'new-pw')).toBe(0);
      expect(await connackCode(port, 'c4', 'alice', 'wrong')).toBe(4);
      expect(await connackCode(port, 'c5', 'dave', 'old-pw')).toBe(4);
      expect(await connackCode(port, 'c6', 'bob', 'bob-pw')).toBe(4);
      expect((await broker.stop()).code).toBe(0);
    });
  });

  it('-U hashes a hand-written user:password file in place, leaving hashed lines and comments alone', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'passwords');
      expect((await runMidge(['passwd', '-c', '-b', file, 'alice', 'alice-pw'])).code).toBe(0);
      const aliceLine = (await readFile(file, 'utf8')).trim();
      await writeFile(file, `# hand-written\n${aliceLine}\nbob:bob-pw\ncarol:pw:with:colons\n`);
      const r = await runMidge(['passwd', '-U', file]);
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/hashed 2 password\(s\) in .*; 1 already hashed, left as they were/);
      const lines = (await readFile(file, 'utf8')).split('\n');
      expect(lines[0]).toBe('# hand-written');
      // alice's hash is not hashed again (she could not log in any more).
      expect(lines[1]).toBe(aliceLine);
      expect(lines[2]).toMatch(/^bob:\$6\$/);
      expect(lines[3]).toMatch(/^carol:\$6\$/);
      // Run again: nothing left to hash.
      expect((await runMidge(['passwd', '-U', file])).stderr).toMatch(/hashed 0 password\(s\).*3 already hashed/);

      await writeFile(
        join(dir, 'broker.yaml'),
        `listeners:\n  default:\n    bind: 127.0.0.1:0\nplugins:\n  '@midge/plugin-auth-file':\n    password_file: passwords\n`,
      );
      const broker = new BrokerProcess(['-c', 'broker.yaml'], dir);
      const port = await broker.port();
      expect(await connackCode(port, 'u1', 'alice', 'alice-pw')).toBe(0);
      expect(await connackCode(port, 'u2', 'bob', 'bob-pw')).toBe(0);
      expect(await connackCode(port, 'u3', 'carol', 'pw:with:colons')).toBe(0);
      expect((await broker.stop()).code).toBe(0);
      expect((await runMidge(['passwd', '-U', '-b', file])).code).toBe(2);
    });
  });

  it('-c overwrites an existing file', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'passwords');
      await writeFile(file, 'old:$6$x$y\n');
      const r = await runMidge(['passwd', '-c', '-b', file, 'new', 'pw'], { cwd: dir });
      expect(r.code).toBe(0);
      expect(await readFile(file, 'utf8')).toMatch(/^new:\$6\$[^\n]+\n$/);
    });
  });

  it('refuses bad usernames, unknown users, missing files and empty passwords', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'passwords');
      const colon = await runMidge(['passwd', '-c', '-b', file, 'a:b', 'pw'], { cwd: dir });
      expect(colon.code).toBe(2);
      expect(colon.stderr).toContain('must not contain ":"');
      const missing = await runMidge(['passwd', '-b', file, 'alice', 'pw'], { cwd: dir });
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('use -c to create it');
      await runMidge(['passwd', '-c', '-b', file, 'alice', 'pw'], { cwd: dir });
      const unknown = await runMidge(['passwd', '-D', file, 'zoe'], { cwd: dir });
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('user zoe is not in');
      const empty = await runMidge(['passwd', file, 'bob'], { cwd: dir, input: '\n' });
      expect(empty.code).toBe(1);
      expect(empty.stderr).toContain('must not be empty');
      const args = await runMidge(['passwd', '-b', file, 'bob'], { cwd: dir });
      expect(args.code).toBe(2);
      expect(args.stderr).toContain('-b needs FILE USER PASSWORD');
    });
  });
});
