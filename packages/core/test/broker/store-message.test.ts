/**
 * `storeMessage` (one cluster plugin at most): the acknowledgement of an accepted QoS 1/2 message waits
 * until the plugin stored it elsewhere, and turns negative when it could not (as a failed store write does).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin } from '../../src/plugin-api/define.js';
import type { StoreMessageRequest } from '../../src/plugin-api/types.js';
import { Harness, publish, publishV5 } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

type StoreMessage = (request: StoreMessageRequest) => Promise<void> | undefined;

function storePlugin(name: string, storeMessage: StoreMessage) {
  return definePlugin({ name, apiVersion: 1, setup: () => ({ storeMessage }) });
}

describe('storeMessage', () => {
  it('holds the PUBACK until the plugin stored the message, in order with later acknowledgements', async () => {
    const releases: (() => void)[] = [];
    const seen: { topic: string; payload: string; qos: number; origin: string; client: string | undefined }[] = [];
    const plugin = storePlugin('cluster', ({ message, origin, client }) => {
      seen.push({
        topic: message.topic,
        payload: message.payload.toString(),
        qos: message.qos,
        origin,
        client: client?.clientId,
      });
      return new Promise<void>((resolve) => releases.push(resolve));
    });
    await h.start({}, { plugins: [plugin] });
    const sub = await h.subscriber('s/#', 1, 'sub');
    const c = await h.connected('pub');
    publish(c, 's/1', 'one', 1, false, 11);
    publish(c, 's/2', 'two', 2, false, 12);
    // QoS 0 is never held, and never handed to the plugin.
    publish(c, 's/0', 'zero', 0);
    // Routed at once (subscribers do not wait for the store), acknowledged only once stored.
    expect((await sub.expectPacket('publish')).topic).toBe('s/1');
    await expect(c.next(150)).rejects.toThrow();
    expect(seen).toEqual([
      { topic: 's/1', payload: 'one', qos: 1, origin: 'client', client: 'pub' },
      { topic: 's/2', payload: 'two', qos: 2, origin: 'client', client: 'pub' },
    ]);
    // The second is stored first: its PUBREC still waits behind the first PUBACK.
    releases[1]?.();
    await expect(c.next(150)).rejects.toThrow();
    releases[0]?.();
    expect((await c.expectPacket('puback')).packetId).toBe(11);
    expect((await c.expectPacket('pubrec')).packetId).toBe(12);
  });

  it("is not asked for a cluster's message (its broker stored it) and waits for API publishes too", async () => {
    const origins: string[] = [];
    let release: () => void = () => undefined;
    const plugin = storePlugin('cluster', ({ origin }) => {
      origins.push(origin);
      return origin === 'api' ? new Promise<void>((resolve) => (release = resolve)) : undefined;
    });
    const { broker } = await h.start({}, { plugins: [plugin] });
    await broker.publish({ topic: 'x/1', payload: 'a', qos: 1 }, { trusted: true, origin: 'cluster:b' });
    let settled = false;
    const published = broker
      .publish({ topic: 'x/2', payload: 'b', qos: 1 }, { trusted: true })
      .then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(settled).toBe(false);
    release();
    await published;
    expect(origins).toEqual(['api']);
  });

  it('answers v5 with 0x97 when the plugin fails, and closes a 3.1.1 connection (the client resends)', async () => {
    let fail: 'reject' | 'throw' = 'reject';
    const plugin = storePlugin('cluster', () => {
      if (fail === 'throw') throw new Error('no store');
      return Promise.reject(new Error('no store'));
    });
    await h.start({}, { plugins: [plugin] });
    const v5 = await h.v5('v5');
    const id = publishV5(v5, 'f/1', 'x', 1);
    expect(await v5.expectPacket('puback')).toMatchObject({ packetId: id, reasonCode: 0x97 });
    fail = 'throw';
    const id2 = publishV5(v5, 'f/2', 'x', 1);
    expect(await v5.expectPacket('puback')).toMatchObject({ packetId: id2, reasonCode: 0x97 });
    const v4 = await h.connected('v4');
    publish(v4, 'f/3', 'x', 1, false, 5);
    await v4.closed();
  });

  it('answers negatively after plugin_decision_timeout when the store never answers', async () => {
    const plugin = storePlugin('cluster', () => new Promise<void>(() => undefined));
    await h.start({ plugin_decision_timeout: 200 }, { plugins: [plugin] });
    const v5 = await h.v5('v5');
    const id = publishV5(v5, 't/1', 'x', 1);
    expect(await v5.expectPacket('puback', 3000)).toMatchObject({ packetId: id, reasonCode: 0x97 });
  });

  it("is one plugin's hook at most", async () => {
    await expect(
      h.start({}, { plugins: [storePlugin('one', () => undefined), storePlugin('two', () => undefined)] }),
    ).rejects.toThrow(/storeMessage is already implemented by plugin 'one'/);
  });
});
