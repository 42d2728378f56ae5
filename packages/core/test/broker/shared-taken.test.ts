/**
 * Shared subscriptions taken by a cluster plugin (`takesSharedSubscriptions`): the broker picks no member
 * while the plugin says it takes them; `BrokerApi.deliverShared` hands a message to one member.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin } from '../../src/plugin-api/index.js';
import type { BrokerApi } from '../../src/plugin-api/types.js';
import { Harness, barrier, publish, subscribe } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

/** A broker whose cluster plugin takes shared subscriptions while `taking.now` is true. */
async function start(taking: { now: boolean }): Promise<BrokerApi> {
  let api: BrokerApi | undefined;
  const plugin = definePlugin({
    name: 'test-cluster',
    apiVersion: 1,
    setup: (ctx) => {
      api = ctx.broker;
      return { takesSharedSubscriptions: () => taking.now };
    },
  });
  await h.start({}, { plugins: [plugin] });
  if (api === undefined) throw new Error('plugin not set up');
  return api;
}

describe('shared subscriptions taken by a cluster plugin', () => {
  it('picks no member while the plugin takes them; deliverShared hands a message to one member', async () => {
    const taking = { now: true };
    const api = await start(taking);
    const m1 = await h.connected('m1');
    const m2 = await h.connected('m2');
    await subscribe(m1, '$share/g/s/#', 1);
    await subscribe(m2, '$share/g/s/#', 1);
    const plain = await h.subscriber('s/#', 1);
    const pub = await h.connected('pub');
    publish(pub, 's/1', 'routed', 1);
    await pub.expectPacket('puback');
    // The plain subscriber gets it; no member of the group does.
    expect((await plain.expectPacket('publish')).payload.toString()).toBe('routed');
    await barrier(m1);
    await barrier(m2);

    expect(
      api.deliverShared(
        { group: 'g', filter: 's/#' },
        { topic: 's/2', payload: Buffer.from('one'), qos: 1, retain: false },
      ),
    ).toBe(true);
    // One member, and only one, gets it (the other is given half a second to show a copy).
    const results = await Promise.allSettled([m1.expectPacket('publish', 500), m2.expectPacket('publish', 500)]);
    const got = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(got.map((p) => [p.topic, p.payload.toString(), p.qos])).toEqual([['s/2', 'one', 1]]);
  });

  it('delivers nothing for a group this broker has no member of, nor a $ topic or an invalid topic', async () => {
    const api = await start({ now: true });
    const m = await h.connected('m');
    await subscribe(m, '$share/g/#', 0);
    const message = (topic: string) => ({ topic, payload: Buffer.from('x'), qos: 0 as const, retain: false });
    expect(api.deliverShared({ group: 'other', filter: '#' }, message('a'))).toBe(false);
    expect(api.deliverShared({ group: 'g', filter: '#' }, message('$SYS/broker/x'))).toBe(false);
    expect(api.deliverShared({ group: 'g', filter: '#' }, message('a/+'))).toBe(false);
    await barrier(m);
  });

  it('picks a member itself again while the plugin does not take them (NATS down)', async () => {
    const taking = { now: false };
    await start(taking);
    const m = await h.connected('m');
    await subscribe(m, '$share/g/t', 0);
    const pub = await h.connected('pub');
    publish(pub, 't', 'local');
    expect((await m.expectPacket('publish')).payload.toString()).toBe('local');
  });
});
