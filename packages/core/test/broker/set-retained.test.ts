import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin } from '../../src/plugin-api/index.js';
import type { BrokerApi, BrokerEvents } from '../../src/plugin-api/types.js';
import { MemoryPersistence } from '../../src/persistence/memory.js';
import { Harness, publishV5, subscribe, subscribeV5 } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

type RetainedEvent =
  ({ kind: 'set' } & BrokerEvents['retained:set']) | ({ kind: 'cleared' } & BrokerEvents['retained:cleared']);

/** A broker with a plugin that hands out its BrokerApi and records the retained events. */
async function start(persistence = new MemoryPersistence()): Promise<{ api: BrokerApi; events: RetainedEvent[] }> {
  let api: BrokerApi | undefined;
  const events: RetainedEvent[] = [];
  const plugin = definePlugin({
    name: 'retained-probe',
    apiVersion: 1,
    setup: (ctx) => {
      api = ctx.broker;
      return {
        events: {
          'retained:set': (e) => void events.push({ kind: 'set', ...e }),
          'retained:cleared': (e) => void events.push({ kind: 'cleared', ...e }),
        },
      };
    },
  });
  await h.start({}, { plugins: [plugin], persistence });
  if (api === undefined) throw new Error('the plugin was not set up');
  return { api, events };
}

describe('BrokerApi.setRetained', () => {
  it('stores a retained message without delivering it; new subscribers get it', async () => {
    const store = new MemoryPersistence();
    const { api, events } = await start(store);
    const live = await h.subscriber('r/#', 1);
    api.setRetained({ topic: 'r/1', payload: Buffer.from('v'), qos: 1, retain: true }, { origin: 'cluster:b' });
    // Nothing reaches the subscriber that was there already: it is not a publish.
    await live.expectNothingBeforePingresp();
    expect(api.getRetained('r/1')?.payload.toString()).toBe('v');
    expect(api.retainedMessages('#').map((m) => m.topic)).toEqual(['r/1']);
    expect((await store.getRetained('r/1'))?.payload.toString()).toBe('v');
    expect(events).toMatchObject([{ kind: 'set', origin: 'cluster:b', message: { topic: 'r/1' } }]);
    const late = await h.connected();
    await subscribe(late, 'r/#', 1);
    expect(await late.expectPacket('publish')).toMatchObject({ topic: 'r/1', retain: true, qos: 1 });
  });

  it('clears a topic, with the origin in retained:cleared; the origin of a publish is in retained:set', async () => {
    const store = new MemoryPersistence();
    const { api, events } = await start(store);
    await h.tb.broker.publish({ topic: 'c', payload: 'x', retain: true }, { trusted: true });
    api.setRetained({ topic: 'c', clear: true }, { origin: 'cluster:b' });
    expect(api.getRetained('c')).toBeUndefined();
    expect(await store.getRetained('c')).toBeUndefined();
    expect(events).toMatchObject([
      { kind: 'set', origin: 'api' },
      { kind: 'cleared', topic: 'c', origin: 'cluster:b' },
    ]);
  });

  it('keeps expiresAt: the subscriber gets the time left, and nothing once it passed', async () => {
    const { api } = await start();
    const properties = { messageExpiryInterval: 100 };
    api.setRetained({
      topic: 'e/left',
      payload: Buffer.from('l'),
      qos: 0,
      retain: true,
      properties,
      expiresAt: Date.now() + 30_000,
    });
    api.setRetained({
      topic: 'e/gone',
      payload: Buffer.from('g'),
      qos: 0,
      retain: true,
      properties,
      expiresAt: Date.now() - 1,
    });
    const c = await h.v5('v5-sub');
    await subscribeV5(c, { topic: 'e/#' });
    const p = await c.expectPacket('publish');
    expect(p.topic).toBe('e/left');
    const left = p.properties?.messageExpiryInterval ?? 0;
    expect(left).toBeGreaterThan(25);
    expect(left).toBeLessThanOrEqual(30);
    // The expired one is not sent: a marker published after the SUBACK comes next.
    publishV5(c, 'e/marker', 'm');
    expect((await c.expectPacket('publish')).topic).toBe('e/marker');
  });

  it('a trusted publish with keepRetained: false is delivered as published and leaves the store alone', async () => {
    const { api, events } = await start();
    api.setRetained({ topic: 'k', payload: Buffer.from('kept'), qos: 0, retain: true });
    const rap = await h.v5('rap');
    await subscribeV5(rap, { topic: 'k', retainAsPublished: true });
    expect((await rap.expectPacket('publish')).payload.toString()).toBe('kept');
    const plain = await h.v5('plain');
    await subscribeV5(plain, { topic: 'k' });
    expect((await plain.expectPacket('publish')).payload.toString()).toBe('kept');
    await api.publish(
      { topic: 'k', payload: 'live', retain: true },
      { trusted: true, origin: 'cluster:b', keepRetained: false },
    );
    expect(await rap.expectPacket('publish')).toMatchObject({ retain: true, payload: Buffer.from('live') });
    expect(await plain.expectPacket('publish')).toMatchObject({ retain: false, payload: Buffer.from('live') });
    expect(api.getRetained('k')?.payload.toString()).toBe('kept');
    expect(events.map((e) => e.kind)).toEqual(['set']);
  });

  it('refuses a topic that is not a topic name', async () => {
    const { api } = await start();
    expect(() => api.setRetained({ topic: 'a/#', clear: true })).toThrow(/cannot set the retained message of 'a\/#'/);
    expect(() => api.retainedMessages('a/#/b')).toThrow(/cannot list the retained messages/);
  });
});
