import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectDataDir } from './data-dir.js';

let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'midge-data-dir-'));
  mkdirSync(join(dir, 'existing'));
  writeFileSync(join(dir, 'file'), 'x');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('inspectDataDir', () => {
  it('accepts an existing writable folder, and says whether it holds anything', async () => {
    expect(await inspectDataDir(join(dir, 'existing'))).toEqual({ usable: true, exists: true, empty: true });
    writeFileSync(join(dir, 'existing', 'data.mdb'), '');
    expect(await inspectDataDir(join(dir, 'existing'))).toEqual({ usable: true, exists: true, empty: false });
  });

  it('accepts a missing folder whose nearest existing ancestor is writable, without creating it', async () => {
    expect(await inspectDataDir(join(dir, 'a', 'b', 'c'))).toEqual({ usable: true, exists: false, empty: true });
    expect(await inspectDataDir(join(dir, 'a'))).toEqual({ usable: true, exists: false, empty: true });
  });

  it('refuses a path that is a file', async () => {
    expect(await inspectDataDir(join(dir, 'file'))).toEqual({
      usable: false,
      problem: `${join(dir, 'file')} is not a folder: point the data directory at a folder`,
    });
  });

  it('refuses a path under a file, naming the file', async () => {
    expect(await inspectDataDir(join(dir, 'file', 'data', 'x'))).toEqual({
      usable: false,
      problem: `cannot create ${join(dir, 'file', 'data', 'x')}: ${join(dir, 'file')} is a file, not a folder`,
    });
  });

  it.skipIf(process.getuid?.() === 0)('refuses a folder it may not write', async () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o500 });
    const state = await inspectDataDir(join(locked, 'data'));
    expect(state).toMatchObject({ usable: false });
    expect(state.usable === false && state.problem).toContain(
      `cannot create ${join(locked, 'data')} in ${locked}: EACCES`,
    );
  });
});
