/**
 * `compact()` on a real store in a temp directory: the data file shrinks after deletes, every record survives
 * (and the store keeps working on the compacted file), calls made meanwhile fail clearly, and what a
 * compaction that died left behind stops nothing.
 */
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { PersistedDelivery, PersistedSession } from '@midge/mqtt-core';
import { LmdbPersistence } from '../src/index.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'midge-lmdb-compact-'));
  dirs.push(dir);
  return dir;
}

function delivery(topic: string, bytes: number): PersistedDelivery {
  return { message: { topic, payload: Buffer.alloc(bytes, 7), qos: 1, retain: false }, qos: 1, retain: false };
}

const KEPT: PersistedSession = {
  clientId: 'kept',
  subscriptions: [{ topic: 'a/#', qos: 2, noLocal: true, subscriptionId: 4 }],
  queue: [1, 2, 3].map((seq) => ({ seq, delivery: delivery(`a/${seq}`, 100) })),
  inflight: [{ packetId: 9, delivery: delivery('a/0', 10), state: 'pubrel' }],
  inboundQos2: [7],
  disconnectedAt: 1_700_000_000_000,
  expiryInterval: 3600,
  username: 'ann',
  protocolVersion: 5,
};

/** A store with KEPT, retained messages and wills, and a session `bulk` with `queued` 2 KB messages. */
async function seeded(dir: string, queued: number): Promise<LmdbPersistence> {
  const store = new LmdbPersistence({ path: dir, sync: 'batch' });
  await store.open();
  await store.saveSession(KEPT);
  await store.saveSession({ clientId: 'bulk', subscriptions: [], queue: [], inflight: [], inboundQos2: [] });
  await Promise.all(
    Array.from({ length: queued }, (_, seq) => store.pushQueued('bulk', { seq, delivery: delivery('b', 2048) })),
  );
  await store.setRetained({ topic: 'r/1', payload: Buffer.from('one'), qos: 1, retain: true });
  await store.setRetained({
    topic: 'r/2',
    payload: Buffer.from('two'),
    qos: 0,
    retain: true,
    expiresAt: 1_900_000_000_000,
  });
  await store.setWill('kept', {
    message: { topic: 'will/kept', payload: Buffer.from('gone'), qos: 1, retain: false },
    delay: 30,
    publishAt: 1_700_000_030_000,
    username: 'ann',
    protocolVersion: 5,
  });
  return store;
}

async function contents(store: LmdbPersistence): Promise<unknown> {
  return {
    sessions: await store.listSessions(),
    retained: await store.listRetained(),
    wills: [...(await store.listWills())],
  };
}

describe('LmdbPersistence.compact', () => {
  it('shrinks the data file after deletes; every record survives and the store keeps working', async () => {
    const dir = tempDir();
    const store = await seeded(dir, 4000);
    const full = statSync(join(dir, 'data.mdb')).size;
    await store.deleteSession('bulk');
    const before = await contents(store);
    // Deleting frees pages inside the file; the file does not shrink.
    const afterDelete = statSync(join(dir, 'data.mdb')).size;
    expect(afterDelete).toBeGreaterThanOrEqual(full);

    const sizes = await store.compact();

    expect(sizes.before).toBe(afterDelete);
    expect(sizes.after).toBe(statSync(join(dir, 'data.mdb')).size);
    expect(sizes.after).toBeLessThan(sizes.before / 20);
    expect(await contents(store)).toEqual(before);
    // Still open, for writing, on the compacted file.
    await store.pushQueued('kept', { seq: 4, delivery: delivery('a/4', 100) });
    expect(await store.countQueued('kept')).toBe(4);
    await store.close();
    expect(readdirSync(dir).sort()).toEqual(['data.mdb', 'lock.mdb']);

    const reader = new LmdbPersistence({ path: dir, sync: 'batch', readOnly: true });
    await reader.open();
    expect((await reader.getSession('kept'))?.queue.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(await reader.listRetained()).toEqual((before as { retained: unknown }).retained);
    await reader.close();
  });

  it('keeps a reader that opened the store before the compaction working, and one opened after sees the data', async () => {
    const dir = tempDir();
    const store = await seeded(dir, 500);
    await store.deleteSession('bulk');
    const early = new LmdbPersistence({ path: dir, sync: 'batch', readOnly: true });
    await early.open();
    await store.compact();
    const late = new LmdbPersistence({ path: dir, sync: 'batch', readOnly: true });
    await late.open();
    expect(await late.listSessions()).toEqual(await store.listSessions());
    expect((await early.getSession('kept'))?.username).toBe('ann');
    await Promise.all([early.close(), late.close(), store.close()]);
  });

  it('refuses on a read-only or closed store', async () => {
    const dir = tempDir();
    await (await seeded(dir, 0)).close();
    const reader = new LmdbPersistence({ path: dir, sync: 'batch', readOnly: true });
    await reader.open();
    await expect(reader.compact()).rejects.toThrow(`the store in ${dir} is open read-only: it takes no writes`);
    await reader.close();
    const closed = new LmdbPersistence({ path: dir, sync: 'batch' });
    await expect(closed.compact()).rejects.toThrow(`the store in ${dir} is not open (call open() first)`);
  });

  it('fails calls made while it runs, with a message that says why', async () => {
    const dir = tempDir();
    const store = await seeded(dir, 100);
    const compacting = store.compact();
    await expect(store.pushQueued('kept', { seq: 9, delivery: delivery('a/9', 1) })).rejects.toThrow(
      `the store in ${dir} is being compacted: call it again once compact() has finished`,
    );
    await compacting;
    expect(await store.countQueued('kept')).toBe(3);
    await store.close();
  });

  it('clears what a compaction that died left behind, which does not stop the store from opening', async () => {
    const dir = tempDir();
    await (await seeded(dir, 100)).close();
    // Died after writing a copy and linking the old data file.
    mkdirSync(join(dir, 'compacting'));
    writeFileSync(join(dir, 'compacting', 'data.mdb'), 'half a copy');
    linkSync(join(dir, 'data.mdb'), join(dir, 'data.mdb.old'));

    const store = new LmdbPersistence({ path: dir, sync: 'batch' });
    await store.open();
    expect(await store.countQueued('bulk')).toBe(100);
    await store.compact();
    expect(await store.countQueued('bulk')).toBe(100);
    await store.close();
    expect(existsSync(join(dir, 'compacting'))).toBe(false);
    expect(readdirSync(dir).sort()).toEqual(['data.mdb', 'lock.mdb']);
  });
});
