import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin } from '../../src/plugin-api/index.js';
import type { BrokerEventName, SubscriptionEntry } from '../../src/plugin-api/types.js';
import { MemoryPersistence } from '../../src/persistence/memory.js';
import { Harness, publish, subscribe, until } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

describe('events', () => {
  it('every BrokerEvents event reaches plugin hooks and broker.on listeners', async () => {
    const seen: string[] = [];
    const names: BrokerEventName[] = [
      'broker:pre-start',
      'broker:post-start',
      'broker:pre-shutdown',
      'broker:post-shutdown',
      'client:connected',
      'client:disconnected',
      'client:subscribed',
      'client:unsubscribed',
      'subscription:added',
      'subscription:removed',
      'message:received',
      'message:broadcast',
      'retained:set',
      'retained:cleared',
      'packet:received',
      'packet:sent',
    ];
    const plugin = definePlugin({
      name: 'watch',
      apiVersion: 1,
      setup: () => ({ events: Object.fromEntries(names.map((n) => [n, () => void seen.push(n)])) }),
    });
    const local: string[] = [];
    const tb = await h.start({}, { plugins: [plugin] });
    tb.broker.on('client:connected', (e) => local.push(`connected:${e.client.clientId}:${e.sessionPresent}`));
    const c = await h.connected('c');
    await subscribe(c, 'a');
    publish(c, 'a', 'x', 0, true);
    await c.expectPacket('publish');
    publish(c, 'a', '', 0, true);
    await c.expectPacket('publish');
    c.send({ type: 'unsubscribe', packetId: 1, topics: ['a'] });
    await c.expectPacket('unsuback');
    await c.disconnect();
    await until(() => seen.includes('client:disconnected'));
    await h.stop();
    expect(new Set(seen)).toEqual(new Set(names));
    expect(local).toEqual(['connected:c:false']);
  });

  it('client:disconnected says graceful only after DISCONNECT', async () => {
    const tb = await h.start();
    const got: [string, boolean][] = [];
    tb.broker.on('client:disconnected', (e) => got.push([e.client.clientId, e.graceful]));
    const a = await h.connected('a');
    const b = await h.connected('b');
    await a.disconnect();
    b.destroy();
    await until(() => got.length === 2);
    expect(got.sort()).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });

  it('subscription:added / removed follow every subscription; subscriptions() lists those restored before the plugins', async () => {
    const store = new MemoryPersistence();
    await h.start({}, { persistence: store });
    const kept = await h.connected('kept', { clean: false });
    await subscribe(kept, 'a/#', 1);
    await h.stop();

    const seen: string[] = [];
    let listedAtStart: SubscriptionEntry[] = [];
    const plugin = definePlugin({
      name: 'watch',
      apiVersion: 1,
      setup: (ctx) => ({
        events: {
          'broker:pre-start': () => void (listedAtStart = [...ctx.broker.subscriptions()]),
          'subscription:added': (e) => void seen.push(`+${e.clientId} ${e.filter}`),
          'subscription:removed': (e) => void seen.push(`-${e.clientId} ${e.filter}`),
        },
      }),
    });
    const tb = await h.start({}, { persistence: store, plugins: [plugin] });
    // Restored from the store before the plugins were set up: no event, but listed.
    expect(listedAtStart).toEqual([{ clientId: 'kept', filter: 'a/#' }]);
    expect(seen).toEqual([]);

    const c = await h.connected('c');
    await subscribe(c, 'x/+');
    await subscribe(c, 'x/+', 1); // replaces the subscription: not a new one
    await subscribe(c, '$share/g/y');
    expect([...tb.broker.api.subscriptions()].map((e) => `${e.clientId} ${e.filter}`).sort()).toEqual([
      'c $share/g/y',
      'c x/+',
      'kept a/#',
    ]);
    c.send({ type: 'unsubscribe', packetId: 7, topics: ['x/+'] });
    await c.expectPacket('unsuback');
    await c.disconnect(); // a clean session ends with its connection
    await h.connected('kept', { clean: true }); // a clean start discards the stored session
    await until(() => seen.length === 5);
    expect(seen).toEqual(['+c x/+', '+c $share/g/y', '-c x/+', '-c $share/g/y', '-kept a/#']);
    expect([...tb.broker.api.subscriptions()]).toEqual([]);
  });
});
