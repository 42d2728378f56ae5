import { describe, expect, it } from 'vitest';
import { LmdbPersistence } from '../src/index.js';
import { tempDir } from './temp-dirs.js';

describe('a record the store cannot encode', () => {
  it('rejects its write (never throws), naming the directory, stores nothing of it, and the store keeps working', async () => {
    const dir = tempDir('refused');
    const store = new LmdbPersistence({ path: dir, sync: 'batch' });
    await store.open();
    await store.saveSession({ clientId: 'c', subscriptions: [], queue: [], inflight: [], inboundQos2: [] });
    const huge = { topic: 'é'.repeat(40_000), payload: Buffer.from('x'), qos: 1 as const, retain: false };
    const delivery = { message: huge, qos: 1 as const, retain: false };
    const queued = store.pushQueued('c', { seq: 1, delivery });
    const inflight = store.setInflight('c', { packetId: 1, delivery, state: 'publish' });
    await expect(queued).rejects.toThrow(`the store in ${dir} cannot store this record: its topic takes 80000 bytes`);
    await expect(inflight).rejects.toThrow('nothing of it was stored');
    const fine = { message: { ...huge, topic: 't' }, qos: 1 as const, retain: false };
    await store.pushQueued('c', { seq: 2, delivery: fine });
    expect(await store.listQueued('c', -1, 10)).toEqual([{ seq: 2, delivery: fine }]);
    expect((await store.getSession('c'))?.inflight).toEqual([]);
    await store.close();
  });
});
