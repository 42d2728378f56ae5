import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nkeys } from '@nats-io/transport-node';
import { checkCredentials, loadAuthenticator } from './credentials.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-nats-credentials-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** What the authenticator sends in CONNECT for a server nonce. */
const answer = (auth: Awaited<ReturnType<typeof loadAuthenticator>>) => auth?.('nonce');

describe('loadAuthenticator', () => {
  it('is undefined without credentials', async () => {
    expect(await loadAuthenticator({}, dir)).toBeUndefined();
  });

  it('sends user and password from the config', async () => {
    expect(answer(await loadAuthenticator({ user: 'midge', password: 's3cret' }, dir))).toEqual({
      user: 'midge',
      pass: 's3cret',
    });
  });

  it('reads password_file relative to the config folder, without its trailing line break', async () => {
    await writeFile(join(dir, 'pw'), 'from file\n');
    expect(answer(await loadAuthenticator({ user: 'midge', password_file: 'pw' }, dir))).toEqual({
      user: 'midge',
      pass: 'from file',
    });
  });

  it('names the option and path of a missing or empty password file', async () => {
    await expect(loadAuthenticator({ user: 'm', password_file: 'missing' }, dir)).rejects.toThrow(
      `cannot read password_file ${join(dir, 'missing')}`,
    );
    await writeFile(join(dir, 'empty'), '\n');
    await expect(loadAuthenticator({ user: 'm', password_file: 'empty' }, dir)).rejects.toThrow(/is empty/);
  });

  it('signs the nonce with the nkey seed of nkey_seed_file', async () => {
    const user = nkeys.createUser();
    await writeFile(join(dir, 'seed'), `${new TextDecoder().decode(user.getSeed())}\n`);
    const sent = answer(await loadAuthenticator({ nkey_seed_file: 'seed' }, dir)) as { nkey: string; sig: string };
    expect(sent.nkey).toBe(user.getPublicKey());
    expect(user.verify(new TextEncoder().encode('nonce'), Buffer.from(sent.sig, 'base64url'))).toBe(true);
  });

  it('refuses a seed file that holds no user seed, naming the file', async () => {
    await writeFile(join(dir, 'account-seed'), new TextDecoder().decode(nkeys.createAccount().getSeed()));
    await expect(loadAuthenticator({ nkey_seed_file: 'account-seed' }, dir)).rejects.toThrow(
      `nkey_seed_file ${join(dir, 'account-seed')} holds no valid nkey user seed`,
    );
    await writeFile(join(dir, 'garbage'), 'SUnot-a-seed');
    await expect(loadAuthenticator({ nkey_seed_file: 'garbage' }, dir)).rejects.toThrow(/no valid nkey user seed/);
  });
});

describe('checkCredentials (midge --check)', () => {
  it('finds nothing wrong with readable credentials', async () => {
    await writeFile(join(dir, 'ok-pw'), 'secret\n');
    expect(await checkCredentials({ user: 'midge', password_file: 'ok-pw' }, dir)).toEqual([]);
    expect(await checkCredentials({}, dir)).toEqual([]);
  });

  it('reports a missing password file and a malformed seed under their options, with the path', async () => {
    const missing = await checkCredentials({ user: 'm', password_file: 'nowhere' }, dir);
    expect(missing.map((p) => p.option)).toEqual(['password_file']);
    expect(missing[0]?.message).toContain(join(dir, 'nowhere'));
    await writeFile(join(dir, 'bad-seed'), 'not a seed\n');
    const bad = await checkCredentials({ nkey_seed_file: 'bad-seed' }, dir);
    expect(bad.map((p) => p.option)).toEqual(['nkey_seed_file']);
    expect(bad[0]?.message).toContain('holds no valid nkey user seed');
  });
});
