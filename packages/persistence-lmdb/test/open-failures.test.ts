import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { PersistedDelivery } from '@midge/mqtt-core';
import { LmdbPersistence } from '../src/index.js';
import { tempDir } from './temp-dirs.js';

const holder = fileURLToPath(new URL('./fixtures/hold-store.mjs', import.meta.url));
const opener = fileURLToPath(new URL('./fixtures/try-open.mjs', import.meta.url));
const children: ReturnType<typeof spawn>[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

function aDelivery(size: number): PersistedDelivery {
  return { message: { topic: 't', payload: Buffer.alloc(size, 1), qos: 1, retain: false }, qos: 1, retain: false };
}

function freshDir(): string {
  return tempDir('open');
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

  it('refuses a damaged data file with the path and what to do, instead of starting empty (or crashing)', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'data.mdb'), Buffer.alloc(64 * 1024, 0x5a));
    const store = new LmdbPersistence({ path: dir, sync: 'batch' });
    await expect(store.open()).rejects.toThrow(`cannot open the store in ${dir}`);
    await expect(store.open()).rejects.toThrow('Move the directory away');
    // A real store cut short (lmdb-js would die of SIGBUS mapping it), refused read-only too.
    const real = freshDir();
    const live = new LmdbPersistence({ path: real, sync: 'batch' });
    await live.open();
    await live.saveSession({ clientId: 'c', subscriptions: [], queue: [], inflight: [], inboundQos2: [] });
    for (let seq = 0; seq < 300; seq++) void live.pushQueued('c', { seq, delivery: aDelivery(500) });
    await live.close();
    truncateSync(join(real, 'data.mdb'), 3 * 4096);
    await expect(new LmdbPersistence({ path: real, sync: 'batch' }).open()).rejects.toThrow(
      `cannot open the store in ${real}: ${join(real, 'data.mdb')} is damaged (it is 12288 bytes long, but its pages reach`,
    );
    await expect(new LmdbPersistence({ path: real, sync: 'batch', readOnly: true }).open()).rejects.toThrow(
      '(truncated)',
    );
  });

  it('refuses a store of a newer format, naming the upgrade', async () => {
    const dir = freshDir();
    const store = new LmdbPersistence({ path: dir, sync: 'batch' });
    await store.open();
    await store.close();
    const { open } = await import('lmdb');
    const root = open({ path: dir, maxDbs: 12 });
    await root.openDB({ name: 'meta' }).put('format', { name: 'midge-store', version: 4 });
    await root.close();
    await expect(new LmdbPersistence({ path: dir, sync: 'batch' }).open()).rejects.toThrow(
      `the store in ${dir} was written by a newer @midge/persistence-lmdb (format 4; this one reads up to 3); upgrade @midge/persistence-lmdb`,
    );
  });

  it('takes over an environment a first start left empty (it died before marking it), and works', async () => {
    const dir = freshDir();
    const { open } = await import('lmdb');
    await open({ path: dir, maxDbs: 12 }).close();
    const store = new LmdbPersistence({ path: dir, sync: 'batch' });
    await store.open();
    await store.setRetained({ topic: 'r', payload: Buffer.from('v'), qos: 0, retain: true });
    await store.close();
    const again = new LmdbPersistence({ path: dir, sync: 'batch', readOnly: true });
    await again.open();
    expect((await again.getRetained('r'))?.payload.toString()).toBe('v');
    await again.close();
  });

  it('read-only refuses a directory without a store instead of creating one', async () => {
    const missing = join(freshDir(), 'missing');
    await expect(new LmdbPersistence({ path: missing, sync: 'batch', readOnly: true }).open()).rejects.toThrow(
      `no store in ${missing}: the directory does not exist`,
    );
    expect(existsSync(missing)).toBe(false);
    const empty = freshDir();
    await expect(new LmdbPersistence({ path: empty, sync: 'batch', readOnly: true }).open()).rejects.toThrow(
      `no store in ${empty} yet`,
    );
    expect(readdirSync(empty)).toEqual([]);
  });

  it('says what is wrong with a directory it may not write to', async () => {
    const dir = freshDir();
    chmodSync(dir, 0o555);
    // Root may write anyway: then the opener becomes `nobody` (the directory is not theirs either).
    const asRoot = process.getuid?.() === 0;
    const child = spawn(process.execPath, [opener, dir, ...(asRoot ? ['--as-nobody'] : [])], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let said = '';
    child.stdout.on('data', (d: Buffer) => (said += d.toString()));
    await new Promise((resolve) => child.once('close', resolve)); // 'close': after its output was read
    expect(said).toContain(`cannot read and write the data directory ${dir}`);
    expect(said).toContain("give the broker's user access to it");
  });

  it('says what is wrong when the directory cannot be created', async () => {
    const file = join(freshDir(), 'a-file');
    writeFileSync(file, '');
    await expect(new LmdbPersistence({ path: join(file, 'data'), sync: 'batch' }).open()).rejects.toThrow(
      `cannot create the data directory ${join(file, 'data')}`,
    );
  });
});
