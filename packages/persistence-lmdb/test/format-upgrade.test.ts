import type { PersistedDelivery } from '@midge/mqtt-core';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { LmdbPersistence } from '../src/index.js';
import { tempDir } from './temp-dirs.js';

function delivery(text: string): PersistedDelivery {
  return { message: { topic: 'a/b', payload: Buffer.from(text), qos: 1, retain: false }, qos: 1, retain: false };
}

/** A store as format 1 left it: queue and inflight records are MessagePack objects, `meta` says version 1. */
async function formatOneStore(): Promise<string> {
  const dir = tempDir('format1');
  const store = new LmdbPersistence({ path: dir, sync: 'batch' });
  await store.open();
  await store.saveSession({ clientId: 'c', subscriptions: [], queue: [], inflight: [], inboundQos2: [] });
  await store.close();
  const root = open({ path: dir, maxDbs: 12 });
  await root.openDB({ name: 'meta' }).put('format', { name: 'midge-store', version: 1 });
  const queue = root.openDB({ name: 'queue' });
  await queue.put(['c', 1], delivery('old one'));
  await queue.put(['c', 2], delivery('old two'));
  await root
    .openDB({ name: 'inflight' })
    .put(['c', 7], { packetId: 7, delivery: delivery('old inflight'), state: 'pubrel', seq: 0, order: 5 });
  await root.close();
  return dir;
}

async function formatVersion(dir: string): Promise<unknown> {
  const root = open({ path: dir, maxDbs: 12, readOnly: true });
  const format = root.openDB({ name: 'meta' }).get('format') as { version?: unknown } | undefined;
  await root.close();
  return format?.version;
}

describe('a store written by format 1', () => {
  it('is read as it is, read-only without a change to it', async () => {
    const dir = await formatOneStore();
    const reader = new LmdbPersistence({ path: dir, sync: 'batch', readOnly: true });
    await reader.open();
    const session = await reader.getSession('c');
    expect(session?.queue).toEqual([
      { seq: 1, delivery: delivery('old one') },
      { seq: 2, delivery: delivery('old two') },
    ]);
    expect(session?.inflight).toEqual([{ packetId: 7, delivery: delivery('old inflight'), state: 'pubrel', seq: 0 }]);
    await reader.close();
    expect(await formatVersion(dir)).toBe(1);
  });

  it('takes new records beside its old ones once opened for writing, and is marked format 3 (older readers refuse it then)', async () => {
    const dir = await formatOneStore();
    const store = new LmdbPersistence({ path: dir, sync: 'batch' });
    await store.open();
    expect(await formatVersion(dir)).toBe(3);
    await store.pushQueued('c', { seq: 3, delivery: delivery('new three') });
    await store.setInflight('c', { packetId: 8, delivery: delivery('new inflight'), state: 'publish', seq: 1 });
    await store.deleteQueued('c', 1);
    // Packet 7 keeps its place in the send order (5) when its state is written again, before packet 8.
    await store.setInflight('c', { packetId: 7, delivery: delivery('old inflight'), state: 'pubrel', seq: 0 });
    expect(await store.listQueued('c', -1, 10)).toEqual([
      { seq: 2, delivery: delivery('old two') },
      { seq: 3, delivery: delivery('new three') },
    ]);
    expect(await store.countQueued('c')).toBe(2);
    expect((await store.getSession('c'))?.inflight.map((i) => i.packetId)).toEqual([7, 8]);
    await store.close();
  });
});
