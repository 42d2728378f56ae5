import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as v from 'valibot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bridgeSchema } from './config.js';
import { checkFiles, loadSecrets } from './files.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-bridge-files-'));
  await writeFile(join(dir, 'cloud.secret'), 's3cret\n');
  await writeFile(join(dir, 'empty'), '');
  await writeFile(join(dir, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const config = (extra: Record<string, unknown>) =>
  v.parse(bridgeSchema, { url: 'mqtts://x', topics: [{ filter: 'a' }], ...extra });

describe('bridge files', () => {
  it('reads password_file and TLS files relative to the config folder, the password without its line break', async () => {
    const secrets = await loadSecrets(config({ password_file: './cloud.secret', ca: 'ca.pem' }), dir);
    expect(secrets.password).toBe('s3cret');
    expect(secrets.ca?.toString()).toContain('BEGIN CERTIFICATE');
    expect(secrets.cert).toBeUndefined();
  });

  it('check names the option and the file of each problem, as start would fail', async () => {
    const problems = await checkFiles(
      {
        a: config({ password_file: 'missing.secret' }),
        b: config({ ca: 'empty' }),
        c: config({ password_file: 'cloud.secret' }),
      },
      dir,
    );
    expect(problems.map((p) => p.option)).toEqual([
      ['bridges', 'a', 'password_file'],
      ['bridges', 'b', 'ca'],
    ]);
    expect(problems[0]?.message).toMatch(/cannot read password_file .*missing\.secret/);
    expect(problems[1]?.message).toMatch(/ca .*empty is empty/);
    await expect(loadSecrets(config({ password_file: 'missing.secret' }), dir)).rejects.toThrow(/missing\.secret/);
  });
});
