import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { LmdbPersistence } from '../src/index.js';

const holder = fileURLToPath(new URL('./fixtures/hold-store.mjs', import.meta.url));
const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

function freshDir(): string {
  return mkdtempSync(join(tmpdir(), 'midge-lmdb-open-'));
}

/** A child process that opens the store in `dir` and holds it until killed; resolves once it is open. */
function holdInChild(dir: string): Promise<ReturnType<typeof spawn>> {
  const child = spawn(process.execPath, [holder, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('open')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`the holder exited with ${String(code)}`)));
  });
}

function exited(child: ReturnType<typeof spawn>): Promise<void> {
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

describe('opening a data directory', () => {
  it('refuses a directory another live broker process holds, naming the path and its pid; takes it once that process died (kill -9)', async () => {
    const dir = freshDir();
    const child = await holdInChild(dir);
    const second = new LmdbPersistence({ path: dir, sync: 'batch' });
    await expect(second.open()).rejects.toThrow(
      `the data directory ${dir} is in use by another broker (pid ${child.pid})`,
    );
    const gone = exited(child);
    child.kill('SIGKILL');
    await gone;
    const third = new LmdbPersistence({ path: dir, sync: 'batch' });
    await third.open();
    await third.close();
  });

  it('refuses a directory holding other files, and an LMDB environment that is not a Midge store', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await expect(new LmdbPersistence({ path: dir, sync: 'batch' }).open()).rejects.toThrow(
      `${dir} is not a Midge store (it holds notes.txt)`,
    );
    const other = freshDir();
    const { open } = await import('lmdb');
    const foreign = open({ path: other });
    await foreign.put('something', 'else');
    await foreign.close();
    await expect(new LmdbPersistence({ path: other, sync: 'batch' }).open()).rejects.toThrow('not a Midge store');
  });

  it('opens read-only without the lock (a live store can be inspected) and refuses writes', async () => {
    const dir = freshDir();
    const live = new LmdbPersistence({ path: dir, sync: 'batch' });
    await live.open();
    await live.setRetained({ topic: 'r', payload: Buffer.from('v'), qos: 0, retain: true });
    const reader = new LmdbPersistence({ path: dir, sync: 'batch', readOnly: true });
    await reader.open();
    expect((await reader.getRetained('r'))?.payload.toString()).toBe('v');
    await expect(reader.setRetained({ topic: 'x', payload: Buffer.from('v'), qos: 0, retain: true })).rejects.toThrow(
      'read-only',
    );
    await reader.close();
    await live.close();
  });

  it('says what is wrong when the directory cannot be created', async () => {
    const file = join(freshDir(), 'a-file');
    writeFileSync(file, '');
    await expect(new LmdbPersistence({ path: join(file, 'data'), sync: 'batch' }).open()).rejects.toThrow(
      `cannot create the data directory ${join(file, 'data')}`,
    );
  });
});
