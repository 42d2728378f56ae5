import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupPlugin } from '@midge/mqtt-core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import plugin from './index.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-admin-check-'));
  await writeFile(join(dir, 'good.token'), 'abc\n');
  await writeFile(join(dir, 'empty.token'), '');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const checkContext = () => ({ name: plugin.name, key: plugin.name, configDir: dir });
const defaults = { bind: '127.0.0.1:0', metrics_auth: false } as const;

describe('admin plugin check and setup', () => {
  it('check() accepts a readable token file, names an empty or missing one (relative to the config folder)', async () => {
    expect(await plugin.check?.(checkContext(), { ...defaults, token_file: 'good.token' })).toEqual([]);
    expect(await plugin.check?.(checkContext(), defaults)).toEqual([]);
    expect(await plugin.check?.(checkContext(), { ...defaults, token_file: 'empty.token' })).toEqual([
      {
        option: 'token_file',
        message: `cannot use ${join(dir, 'empty.token')}: the token file ${join(dir, 'empty.token')} is empty: put a long random token in it`,
      },
    ]);
    const missing = await plugin.check?.(checkContext(), { ...defaults, token_file: 'missing.token' });
    expect(missing?.[0]?.message).toMatch(new RegExp(`^cannot use ${join(dir, 'missing.token')}: ENOENT`));
  });

  it('setup fails on an unreadable token file, naming the option and the file', async () => {
    await expect(
      setupPlugin(plugin, { bind: '127.0.0.1:0', token_file: 'missing.token' }, { configDir: dir }),
    ).rejects.toThrow(`token_file: cannot use ${join(dir, 'missing.token')}`);
  });
});
