import { describe, expect, it } from 'vitest';
import type { PersistedDelivery } from './types.js';
import { persistenceConformanceSuite } from './conformance.js';
import { MemoryPersistence } from './memory.js';

// MemoryPersistence outlives close() (a second broker in the same process can start on it): reopening is
// using the same object again.
let last = new MemoryPersistence();
persistenceConformanceSuite(
  'MemoryPersistence',
  () => {
    last = new MemoryPersistence();
    return Promise.resolve(last);
  },
  { describe, it, expect },
  { reopen: () => Promise.resolve(last) },
);

describe('MemoryPersistence keeps one copy of a delivery sent from the queue', () => {
  const delivery = (text: string): PersistedDelivery => ({
    message: { topic: 't', payload: Buffer.from(text), qos: 1, retain: false },
    qos: 1,
    retain: false,
  });

  it('and stays the owner of it: changes to what was given or read back do not reach the store', async () => {
    const store = new MemoryPersistence();
    await store.saveSession({ clientId: 'c', subscriptions: [], queue: [], inflight: [], inboundQos2: [] });
    const queued = delivery('one');
    await store.pushQueued('c', { seq: 1, delivery: queued });
    const sent = delivery('one');
    await store.setInflight('c', { packetId: 5, delivery: sent, state: 'publish', seq: 1 });
    await store.deleteQueued('c', 1);
    queued.message.payload.write('ONE');
    sent.message.payload.write('TWO');
    const first = await store.getSession('c');
    first?.inflight[0]?.delivery.message.payload.write('XYZ');
    await store.setInflight('c', { packetId: 5, delivery: delivery('one'), state: 'pubrel', seq: 1 });
    const again = await store.getSession('c');
    expect(again?.queue).toEqual([]);
    expect(again?.inflight).toEqual([{ packetId: 5, delivery: delivery('one'), state: 'pubrel', seq: 1 }]);
  });

  it('but stores what it is given when that differs from the queued delivery', async () => {
    const store = new MemoryPersistence();
    await store.saveSession({ clientId: 'c', subscriptions: [], queue: [], inflight: [], inboundQos2: [] });
    await store.pushQueued('c', { seq: 1, delivery: delivery('one') });
    const changed = { ...delivery('one'), qos: 0 as const };
    await store.setInflight('c', { packetId: 5, delivery: changed, state: 'publish', seq: 1 });
    await store.setInflight('c', { packetId: 6, delivery: delivery('two'), state: 'publish', seq: 1 });
    expect((await store.getSession('c'))?.inflight.map((i) => i.delivery)).toEqual([changed, delivery('two')]);
  });
});
