import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClientInfo, Decision } from '@midge/mqtt-core';
import plugin, { formatPasswordLine, parsePasswordFile } from '../src/index.js';
import {
  authenticateRequest,
  testClientInfo as client,
  fakePluginContext as fakeContext,
  issuePaths,
  logText,
  setupPlugin,
  validatePluginConfig,
} from '@midge/mqtt-core/testing';

const validate = (input: unknown) => validatePluginConfig(plugin, input);

// alice / secret (glibc crypt), bob / mosq-pw (mosquitto_passwd $7$), carol / hunter2 (openssl passwd -6).
const ALICE =
  'alice:$6$saltsaltsaltsalt$ph0yGsyjzqdeFaon7.gJZo8eAG5/rj9/JdzOu1Rl7dKzBYg3xgvl7T2VQ2Rt81bc5AXkdA54r0p8QvC1omD6R1';
const BOB =
  'bob:$7$101$LY3s6wGPFaLCk47/$XlgUnvjeSrxc2a/Jq8n/i8ybg+MTzzwDh7ffi8k561MO2PVC32/YbE5g0ZVVpk88ZqTGBxbTwTPTLvcWJZ6iaw==';
const CAROL =
  'carol:$6$opensslsalt$HkAxJtrpL5t.5c7g0valU.XHwQAYI7noOeZ0EcbEZD4zksKDnGTYtY/Fl9M9LHfsqkISYUw2NPhHmBEQUoNLS0';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-auth-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function setup(fileText: string, name = 'passwd') {
  await writeFile(join(dir, name), fileText);
  const { hooks, ctx } = await setupPlugin(plugin, { password_file: name }, { configDir: dir });
  const auth = async (c: ClientInfo, password: string | undefined): Promise<Decision> =>
    await hooks.authenticate!(authenticateRequest(c, password));
  return { ctx, hooks, auth };
}

describe('@midge/plugin-auth-file', () => {
  it('is a v1 plugin named after its package', () => {
    expect(plugin.name).toBe('@midge/plugin-auth-file');
    expect(plugin.apiVersion).toBe(1);
  });

  describe('config', () => {
    it('requires password_file', async () => {
      expect(issuePaths(await validate({}))).toEqual(['password_file']);
    });
    it('names password_file when it is not a non-empty string', async () => {
      expect(issuePaths(await validate({ password_file: 42 }))).toEqual(['password_file']);
      expect(issuePaths(await validate({ password_file: '' }))).toEqual(['password_file']);
    });
    it('rejects unknown keys', async () => {
      expect(issuePaths(await validate({ password_file: 'x', password: 'y' }))).toEqual(['password']);
    });
  });

  describe('check (midge --check)', () => {
    const check = (password_file: string) =>
      plugin.check?.({ name: plugin.name, key: plugin.name, configDir: dir }, { password_file });

    it('finds nothing wrong with a good file', async () => {
      await writeFile(join(dir, 'passwd'), `# users\n${ALICE}\n${BOB}\n`);
      expect(await check('passwd')).toEqual([]);
    });

    it('reports a missing file at password_file with the resolved path and how to create it', async () => {
      const path = join(dir, 'nope');
      expect(await check('nope')).toEqual([
        {
          option: 'password_file',
          message: `cannot read password_file ${path}: ENOENT: no such file or directory: create it with 'midge passwd -c ${path} <username>', or fix password_file (a relative path starts at the config file's folder)`,
        },
      ]);
    });

    it('reports every line setup would skip as an error, with its line number, never quoting the hash field', async () => {
      await writeFile(join(dir, 'passwd'), [ALICE, 'no-colon-here', 'dave:plaintext-pw'].join('\n'));
      const path = join(dir, 'passwd');
      const found = await check('passwd');
      expect(found?.map((p) => [p.severity ?? 'error', p.message.split(': the broker skips')[0]])).toEqual([
        ['error', `${path}:2: no \`:\` between username and hash`],
        ['error', expect.stringMatching(new RegExp(`^${path}:3: user dave: `))],
      ]);
      expect(found?.[0]?.message).toContain(
        `: the broker skips this line; fix it, or remove it and add the user again with 'midge passwd ${path} <username>'`,
      );
      expect(JSON.stringify(found)).not.toContain('plaintext-pw');
    });

    it('warns, without failing, about a user listed twice and a file without users', async () => {
      await writeFile(join(dir, 'passwd'), `${ALICE}\n${ALICE}\n`);
      expect(await check('passwd')).toEqual([
        {
          option: 'password_file',
          message: `${join(dir, 'passwd')}:2: user alice is also on line 1: this line replaces it`,
          severity: 'warning',
        },
      ]);
      await writeFile(join(dir, 'empty'), '# nobody yet\n');
      const path = join(dir, 'empty');
      expect(await check('empty')).toEqual([
        {
          option: 'password_file',
          message: `${path} has no users: every client with a username will be refused; add one with 'midge passwd ${path} <username>'`,
          severity: 'warning',
        },
      ]);
    });
  });

  describe('setup', () => {
    it('fails with the resolved path and the fix when the file is missing', async () => {
      const ctx = fakeContext({ configDir: dir });
      await expect(plugin.setup(ctx, { password_file: 'nope' })).rejects.toThrow(
        `cannot read password_file ${join(dir, 'nope')}: ENOENT: no such file or directory: create it with 'midge passwd -c`,
      );
    });

    it('reads a file given by an absolute path', async () => {
      const abs = join(dir, 'abs-passwd');
      await writeFile(abs, ALICE);
      const hooks = await plugin.setup(fakeContext({ configDir: '/nonexistent' }), { password_file: abs });
      expect((await hooks.authenticate!(authenticateRequest(client('alice'), 'secret'))).verdict).toBe('allow');
    });

    it('warns about malformed lines with their line numbers and keeps the good ones', async () => {
      const { ctx, auth } = await setup(
        ['# users', ALICE, '', 'no-colon-here', ':$6$x$y', 'dave:plaintext-pw', 'erin:$5$abc$def', BOB].join('\n'),
      );
      const warnings = ctx.logger.records.filter((r) => r.level === 'warn').map((r) => r.msg);
      expect(warnings).toHaveLength(4);
      expect(warnings[0]).toMatch(/:4: no `:`/);
      expect(warnings[1]).toMatch(/:5: empty username/);
      expect(warnings[2]).toMatch(/:6: user dave: .*plain-text/);
      expect(warnings[3]).toMatch(/:7: user erin: unsupported hash scheme \$5\$/);
      expect(JSON.stringify(ctx.logger.records)).not.toContain('plaintext-pw');
      expect((await auth(client('alice'), 'secret')).verdict).toBe('allow');
      expect((await auth(client('bob'), 'mosq-pw')).verdict).toBe('allow');
      expect((await auth(client('dave'), 'plaintext-pw')).verdict).toBe('deny');
    });

    it('warns when no user is usable', async () => {
      const { ctx } = await setup('# nobody yet\n');
      expect(logText(ctx.logger.records, 'warn')).toMatch(/no usable users/);
    });
  });

  describe('authenticate', () => {
    const file = [ALICE, BOB, CAROL].join('\n');

    it('allows known users with the right password, for every hash scheme', async () => {
      const { auth } = await setup(file);
      expect(await auth(client('alice'), 'secret')).toEqual({ verdict: 'allow' });
      expect(await auth(client('bob'), 'mosq-pw')).toEqual({ verdict: 'allow' });
      expect(await auth(client('carol'), 'hunter2')).toEqual({ verdict: 'allow' });
    });

    it('denies a wrong password or an unknown user with 0x04 (0x86 for MQTT 5)', async () => {
      const { auth } = await setup(file);
      expect(await auth(client('alice'), 'Secret')).toMatchObject({
        verdict: 'deny',
        reasonCode: 0x04,
        reason: 'bad username or password',
      });
      expect(await auth(client('mallory'), 'secret')).toMatchObject({ verdict: 'deny', reasonCode: 0x04 });
      expect(await auth(client('alice', { protocolVersion: 5 }), 'nope')).toMatchObject({
        verdict: 'deny',
        reasonCode: 0x86,
      });
      // One reason for both, so a client cannot tell which usernames exist.
      expect(await auth(client('alice'), 'x')).toBe(await auth(client('mallory'), 'x'));
    });

    it('denies a known user without a password', async () => {
      const { auth } = await setup(file);
      expect((await auth(client('alice'), undefined)).verdict).toBe('deny');
    });

    it('abstains for clients without a username', async () => {
      const { auth } = await setup(file);
      expect(await auth(client(undefined), undefined)).toEqual({ verdict: 'abstain' });
      expect(await auth(client(undefined), 'secret')).toEqual({ verdict: 'abstain' });
    });

    it('never logs passwords', async () => {
      const { ctx, auth } = await setup(file);
      await auth(client('alice'), 'secret');
      await auth(client('alice'), 'wrong-guess');
      await auth(client('nobody'), 'another-guess');
      const logged = JSON.stringify(ctx.logger.records);
      for (const pw of ['secret', 'wrong-guess', 'another-guess']) expect(logged).not.toContain(pw);
    });
  });

  describe('reload', () => {
    it('re-reads the file', async () => {
      const { auth, hooks } = await setup(ALICE);
      expect((await auth(client('bob'), 'mosq-pw')).verdict).toBe('deny');
      await writeFile(join(dir, 'passwd'), BOB);
      await hooks.reload!();
      expect((await auth(client('bob'), 'mosq-pw')).verdict).toBe('allow');
      expect((await auth(client('alice'), 'secret')).verdict).toBe('deny');
    });

    it('keeps the previous users and logs an error when the file cannot be read', async () => {
      const { auth, hooks, ctx } = await setup(ALICE);
      await rm(join(dir, 'passwd'));
      await hooks.reload!();
      expect((await auth(client('alice'), 'secret')).verdict).toBe('allow');
      expect(logText(ctx.logger.records, 'error')).toMatch(/reload failed.*keeping the 1 users/);
    });

    it('installs the latest of overlapping reloads', async () => {
      const { auth, hooks } = await setup(ALICE);
      await writeFile(join(dir, 'passwd'), CAROL);
      await Promise.all([hooks.reload!(), hooks.reload!()]);
      expect((await auth(client('carol'), 'hunter2')).verdict).toBe('allow');
    });
  });
});

describe('parsePasswordFile', () => {
  it('skips comments and blank lines, handles CRLF and a BOM', () => {
    const { users, problems } = parsePasswordFile(
      `\uFEFF# comment\r\n\r\n  ${ALICE}  \r\n   # indented comment\r\n${BOB}\r\n`,
    );
    expect([...users.keys()]).toEqual(['alice', 'bob']);
    expect(problems).toEqual([]);
  });

  it('splits at the first colon', () => {
    const { users, problems } = parsePasswordFile('user:with:colons');
    expect(users.size).toBe(0);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.line).toBe(1);
    expect(problems[0]?.message).toMatch(/^user user: /);
  });

  it('keeps the later line of a duplicated user and says so', () => {
    const { users, problems } = parsePasswordFile(`${ALICE}\n${ALICE.replace('saltsaltsaltsalt', 'othersalt')}`);
    expect(users.get('alice')).toMatchObject({ salt: 'othersalt' });
    expect(problems).toEqual([
      { line: 2, message: 'user alice is also on line 1: this line replaces it', skipped: false },
    ]);
  });
});

describe('formatPasswordLine', () => {
  it('writes a line the plugin accepts', async () => {
    const line = await formatPasswordLine('zoe', 'correct horse');
    expect(line).toMatch(/^zoe:\$6\$[./0-9A-Za-z]{16}\$[./0-9A-Za-z]{86}$/);
    const { auth } = await setup(`${line}\n`);
    expect((await auth(client('zoe'), 'correct horse')).verdict).toBe('allow');
    expect((await auth(client('zoe'), 'correct horse battery')).verdict).toBe('deny');
  });

  it.each(['', 'a:b', 'a\nb', ' padded', '#hash'])('refuses the username %j', async (user) => {
    await expect(formatPasswordLine(user, 'pw')).rejects.toThrow(TypeError);
  });
});
