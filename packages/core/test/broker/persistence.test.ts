import { afterEach, describe, expect, it } from 'vitest';
import { MemoryPersistence } from '../../src/persistence/memory.js';
import { persistenceConformanceSuite } from '../../src/testing/index.js';
import { Harness, publish, subscribe, until } from './helpers.js';
import { definePlugin } from '../../src/plugin-api/define.js';

persistenceConformanceSuite('MemoryPersistence', () => Promise.resolve(new MemoryPersistence()), {
  describe,
  it,
  expect,
});

const h = new Harness();
afterEach(() => h.stop());

describe('broker state across restarts', () => {
  it('retained messages and persistent sessions (subscriptions, queued messages) survive a restart', async () => {
    const store = new MemoryPersistence();
    // MemoryPersistence.close() keeps its maps, so a second broker can reopen the same store.
    await h.start({}, { persistence: store });
    const s = await h.connected('keep', { clean: false });
    await subscribe(s, 'q/#', 1);
    await s.disconnect();
    const p = await h.connected('p');
    publish(p, 'q/1', 'queued', 1);
    await p.expectPacket('puback');
    publish(p, 'r', 'retained', 0, true);
    await until(() => h.tb.broker.stats().retainedCount === 1);
    await h.stop();

    await h.start({}, { persistence: store });
    expect(h.tb.broker.stats()).toMatchObject({ retainedCount: 1, subscriptionCount: 1, messagesStored: 1 });
    const back = await h.client();
    expect(await back.connect({ clientId: 'keep', clean: false })).toMatchObject({ sessionPresent: true });
    expect((await back.expectPacket('publish')).payload.toString()).toBe('queued');
    await subscribe(back, 'r');
    expect((await back.expectPacket('publish')).payload.toString()).toBe('retained');
  });

  it('persistent sessions and their subscriptions are written through; a clean start deletes the record', async () => {
    const store = new MemoryPersistence();
    await h.start({}, { persistence: store });
    const a = await h.connected('w', { clean: false });
    await subscribe(a, 'x/#', 1);
    expect((await store.getSession('w'))?.subscriptions).toEqual([
      { topic: 'x/#', qos: 1, noLocal: false, retainAsPublished: false },
    ]);
    a.send({ type: 'unsubscribe', packetId: 2, topics: ['x/#'] });
    await a.expectPacket('unsuback');
    expect((await store.getSession('w'))?.subscriptions).toEqual([]);
    const b = await h.connected('w', { clean: true });
    void b;
    expect(await store.getSession('w')).toBeUndefined();
    // Clean sessions never get a record.
    await h.connected('clean');
    expect(await store.getSession('clean')).toBeUndefined();
  });

  it('a stored session that expired while the broker was down is not restored', async () => {
    const store = new MemoryPersistence();
    await store.saveSession({
      clientId: 'old',
      subscriptions: [{ topic: 't', qos: 0 }],
      queue: [],
      inflight: [],
      inboundQos2: [],
      disconnectedAt: Date.now() - 10_000,
    });
    await store.saveSession({
      clientId: 'fresh',
      subscriptions: [],
      queue: [],
      inflight: [],
      inboundQos2: [],
      disconnectedAt: Date.now(),
    });
    await h.start({ session_expiry_interval: 5 }, { persistence: store });
    expect(h.tb.broker.sessionCount()).toBe(1);
    expect(await store.getSession('old')).toBeUndefined();
  });

  it("publishes the wills it restores after plugins' pre-start, through their events (a cluster plugin routes them)", async () => {
    const store = new MemoryPersistence();
    // A client that was connected when its broker died: its will is in the store, no delay.
    await store.setWill('gone', {
      message: { topic: 'wills/gone', payload: Buffer.from('bye'), qos: 1, retain: false },
      delay: 0,
      username: null,
      protocolVersion: 5,
    });
    const seen: string[] = [];
    const probe = definePlugin({
      name: 'probe',
      apiVersion: 1,
      setup: () => ({
        events: {
          'broker:pre-start': () => void seen.push('pre-start'),
          'message:broadcast': ({ message }) => void seen.push(`broadcast ${message.topic}`),
        },
      }),
    });
    await h.start({}, { persistence: store, plugins: [probe] });
    await until(() => seen.length >= 2);
    expect(seen).toEqual(['pre-start', 'broadcast wills/gone']);
  });
});
