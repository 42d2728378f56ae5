// Shared subscriptions, `$share/{ShareName}/{filter}` (MQTT 5.0 section 4.8.2), over real sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { parseSharedFilter } from '../../src/broker/topic.js';
import { allow, definePlugin, deny } from '../../src/plugin-api/index.js';
import { MemoryPersistence } from '../../src/persistence/memory.js';
import type { RawClient } from '../../src/testing/index.js';
import { barrier, Harness, publish, publishV5, subscribe, subscribeV5, until } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

const v5 = (clientId: string, extra?: Parameters<Harness['v5']>[1]): Promise<RawClient> => h.v5(clientId, extra);
const sub5 = subscribeV5;
const pub5 = publishV5;

/**
 * Every PUBLISH a client receives before the PINGRESP to a PINGREQ sent now, as payload strings (QoS 1
 * ones are PUBACKed). Call it once the broker has handled the publishes (a barrier or PUBACKs on the
 * publisher): the broker answers in order, so all it delivered to `c` by then comes before the PINGRESP.
 */
async function drain(c: RawClient, version: 4 | 5 = 5): Promise<string[]> {
  c.send({ type: 'pingreq' }, version);
  const got: string[] = [];
  for (;;) {
    const p = await c.next();
    if (p.type === 'pingresp') return got;
    if (p.type !== 'publish') throw new Error(`expected PUBLISH or PINGRESP, got ${JSON.stringify(p)}`);
    got.push(p.payload.toString());
    if (p.qos === 1) c.send({ type: 'puback', packetId: p.packetId! }, version);
  }
}

describe('shared subscriptions', () => {
  it('[MQTT-4.8.2-1] each message goes to one member of the group, in turn; a plain subscriber gets all', async () => {
    await h.start();
    const a = await v5('a');
    const b = await v5('b');
    const plain = await v5('plain');
    expect(await sub5(a, { topic: '$share/workers/jobs/+' })).toEqual([0]);
    expect(await sub5(b, { topic: '$share/workers/jobs/+' })).toEqual([0]);
    expect(await sub5(plain, { topic: 'jobs/#' })).toEqual([0]);
    const p = await v5('p');
    for (let i = 0; i < 10; i++) pub5(p, `jobs/${i % 3}`, `m${i}`);
    await barrier(p);
    const [ga, gb, gp] = await Promise.all([drain(a), drain(b), drain(plain)]);
    expect(gp).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`));
    // Every message exactly once across the group, split evenly by the rotation.
    expect([...ga, ...gb].sort()).toEqual(gp.slice().sort());
    expect(ga).toHaveLength(5);
    expect(gb).toHaveLength(5);
  });

  it('two share names are two subscriptions: each group gets every message once', async () => {
    await h.start();
    const g1 = [await v5('g1a'), await v5('g1b')];
    const g2 = [await v5('g2a')];
    for (const c of g1) await sub5(c, { topic: '$share/one/t' });
    for (const c of g2) await sub5(c, { topic: '$share/two/t' });
    const p = await v5('p');
    for (let i = 0; i < 6; i++) pub5(p, 't', `m${i}`);
    await barrier(p);
    const got = await Promise.all([...g1, ...g2].map((c) => drain(c)));
    expect([...got[0]!, ...got[1]!].sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    expect(got[2]).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('a client with a shared and a non-shared subscription can get both copies (section 4.8.2)', async () => {
    await h.start();
    const c = await v5('c');
    await sub5(c, { topic: '$share/g/t' });
    await sub5(c, { topic: 't' });
    const p = await v5('p');
    pub5(p, 't', 'x');
    await barrier(p);
    expect(await drain(c)).toEqual(['x', 'x']);
  });

  it("works for MQTT 3.1.1 clients too, and the granted QoS is each member's own", async () => {
    await h.start();
    const a = await h.connected('a');
    const b = await h.connected('b');
    expect(await subscribe(a, '$share/g/q', 1)).toEqual([1]);
    expect(await subscribe(b, '$share/g/q', 0)).toEqual([0]);
    const p = await h.connected('p');
    publish(p, 'q', 'one', 1);
    publish(p, 'q', 'two', 1);
    const pa = await a.expectPacket('publish');
    const pb = await b.expectPacket('publish');
    expect(new Set([pa.payload.toString(), pb.payload.toString()])).toEqual(new Set(['one', 'two']));
    expect(pa.qos).toBe(1);
    expect(pb.qos).toBe(0);
  });

  it('retained messages are not sent when a shared subscription is made (section 3.3.1.3)', async () => {
    await h.start();
    const p = await v5('p');
    pub5(p, 'r', 'kept', 0, { retain: true });
    const plain = await v5('plain');
    await sub5(plain, { topic: 'r' });
    expect((await plain.expectPacket('publish')).payload.toString()).toBe('kept');
    const s = await v5('s');
    await sub5(s, { topic: '$share/g/r' });
    await barrier(s);
  });

  it('[MQTT-3.8.3-4] No Local on a shared subscription is a Protocol Error: DISCONNECT 0x82', async () => {
    await h.start();
    const c = await v5('c');
    c.send(
      {
        type: 'subscribe',
        packetId: 1,
        subscriptions: [{ topic: '$share/g/t', qos: 0, noLocal: true, retainAsPublished: false, retainHandling: 0 }],
      },
      5,
    );
    expect(await c.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x82 });
    await c.closed();
  });

  it('[MQTT-4.8.2-1] [MQTT-4.8.2-2] a malformed shared filter is refused: 0x8F (v5), 0x80 (v3.1.1)', async () => {
    await h.start();
    const c = await v5('c');
    expect(await sub5(c, { topic: '$share/g' })).toEqual([0x8f]);
    expect(await sub5(c, { topic: '$share//t' })).toEqual([0x8f]);
    expect(await sub5(c, { topic: '$share/a+/t' })).toEqual([0x8f]);
    expect(await sub5(c, { topic: '$share/g/a/#/b' })).toEqual([0x8f]);
    const v4 = await h.connected('v4');
    expect(await subscribe(v4, '$share/#/t')).toEqual([0x80]);
  });

  it('UNSUBSCRIBE leaves the group; the last member leaving removes it', async () => {
    const tb = await h.start();
    const a = await v5('a');
    const b = await v5('b');
    await sub5(a, { topic: '$share/g/t' });
    await sub5(b, { topic: '$share/g/t' });
    expect(tb.broker.stats().subscriptionCount).toBe(2);
    a.send({ type: 'unsubscribe', packetId: 9, topics: ['$share/g/t', '$share/other/t'] }, 5);
    expect(await a.expectPacket('unsuback')).toMatchObject({ reasonCodes: [0, 0x11] });
    const p = await v5('p');
    for (let i = 0; i < 4; i++) pub5(p, 't', `m${i}`);
    await barrier(p);
    expect(await drain(b)).toEqual(['m0', 'm1', 'm2', 'm3']);
    await barrier(a);
    b.send({ type: 'unsubscribe', packetId: 10, topics: ['$share/g/t'] }, 5);
    await b.expectPacket('unsuback');
    expect(tb.broker.stats().subscriptionCount).toBe(0);
    pub5(p, 't', 'late');
    await barrier(p);
    await barrier(b);
  });

  it('a connected member is preferred; with every member offline the message waits in a persistent session [MQTT-4.8.2-4]', async () => {
    await h.start();
    const keep = { clean: false, properties: { sessionExpiryInterval: 60 } };
    const off = await v5('off', keep);
    await sub5(off, { topic: '$share/g/t', qos: 1 });
    const on = await v5('on', keep);
    await sub5(on, { topic: '$share/g/t', qos: 1 });
    await off.disconnect(5);
    await until(() => h.tb.broker.stats().clientsConnected === 1);
    const p = await v5('p');
    for (let i = 0; i < 4; i++) pub5(p, 't', `m${i}`, 1);
    for (let i = 0; i < 4; i++) await p.expectPacket('puback');
    expect(await drain(on)).toEqual(['m0', 'm1', 'm2', 'm3']);
    await on.disconnect(5);
    await until(() => h.tb.broker.stats().clientsConnected === 1);
    pub5(p, 't', 'queued', 1);
    await p.expectPacket('puback');
    // One of the two offline members holds it; both come back and exactly one receives it.
    const back = await Promise.all([v5('off', keep), v5('on', keep)]);
    const got = await Promise.all(back.map((c) => drain(c)));
    expect(got.flat()).toEqual(['queued']);
  });

  it('plugins are asked with the whole $share filter and judge it; deliveries are authorized per topic', async () => {
    const seen: string[] = [];
    const acl = definePlugin({
      name: 'acl',
      apiVersion: 1,
      setup: () => ({
        authorizeTopic: (r) => {
          if (r.action === 'subscribe') seen.push(r.topic);
          // As the packaged ACL plugin does: a shared subscription is judged by its inner filter.
          const inner = parseSharedFilter(r.topic)?.filter ?? r.topic;
          if (r.action === 'subscribe') return inner.startsWith('secret') ? deny() : allow;
          return r.action === 'receive' && r.topic === 'open/hidden' ? deny() : allow;
        },
      }),
    });
    await h.start({}, { plugins: [acl] });
    const c = await v5('c');
    expect(await sub5(c, { topic: '$share/g/secret/#' })).toEqual([0x87]);
    expect(await sub5(c, { topic: '$share/g/open/#' })).toEqual([0]);
    expect(seen).toEqual(['$share/g/secret/#', '$share/g/open/#']);
    const p = await v5('p');
    pub5(p, 'open/hidden', 'no');
    pub5(p, 'open/shown', 'yes');
    await barrier(p);
    expect(await drain(c)).toEqual(['yes']);
  });

  it('a subscription identifier of the member travels with the messages it is given', async () => {
    await h.start();
    const c = await v5('c');
    await sub5(c, { topic: '$share/g/t' }, 42);
    const p = await v5('p');
    pub5(p, 't', 'x');
    expect((await c.expectPacket('publish')).properties?.subscriptionIdentifier).toEqual([42]);
  });

  it('a persistent member keeps its shared subscription across a broker restart', async () => {
    const store = new MemoryPersistence();
    await h.start({}, { persistence: store });
    const keep = { clean: false, properties: { sessionExpiryInterval: 600 } };
    const m = await v5('m', keep);
    await sub5(m, { topic: '$share/g/t', qos: 1 });
    await m.disconnect(5);
    await h.stop();

    await h.start({}, { persistence: store });
    expect(h.tb.broker.stats().subscriptionCount).toBe(1);
    const p = await v5('p');
    pub5(p, 't', 'after restart', 1);
    await p.expectPacket('puback');
    const back = await h.client();
    expect(await back.connect({ protocolVersion: 5, clientId: 'm', ...keep })).toMatchObject({ sessionPresent: true });
    expect(await drain(back)).toEqual(['after restart']);
  });
});
