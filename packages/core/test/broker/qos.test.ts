import { afterEach, describe, expect, it } from 'vitest';
import { barrier, Harness, publish, subscribe } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

describe('QoS 1 and 2', () => {
  it('[MQTT-4.3.2-2] a QoS 1 PUBLISH is acknowledged with PUBACK carrying its packet id', async () => {
    await h.start();
    const c = await h.connected('c');
    publish(c, 't', 'x', 1, false, 42);
    expect(await c.expectPacket('puback')).toMatchObject({ packetId: 42 });
  });

  it('[MQTT-4.3.3-2] a QoS 2 PUBLISH gets PUBREC, is delivered once even when resent, and PUBREL gets PUBCOMP', async () => {
    await h.start();
    const sub = await h.subscriber('t', 2);
    const c = await h.connected('c');
    publish(c, 't', 'once', 2, false, 5);
    expect(await c.expectPacket('pubrec')).toMatchObject({ packetId: 5 });
    expect(h.tb.broker.stats().inflightIn).toBe(1);
    c.send({
      type: 'publish',
      topic: 't',
      payload: Buffer.from('once'),
      qos: 2,
      retain: false,
      dup: true,
      packetId: 5,
    });
    expect(await c.expectPacket('pubrec')).toMatchObject({ packetId: 5 });
    c.send({ type: 'pubrel', packetId: 5 });
    expect(await c.expectPacket('pubcomp')).toMatchObject({ packetId: 5 });
    expect(h.tb.broker.stats().inflightIn).toBe(0);
    const p = await sub.expectPacket('publish');
    expect(p).toMatchObject({ topic: 't', qos: 2 });
    sub.send({ type: 'pubrec', packetId: p.packetId! });
    await sub.expectPacket('pubrel');
    sub.send({ type: 'pubcomp', packetId: p.packetId! });
    await barrier(sub); // delivered once, the resent PUBLISH included
    // After PUBREL the id is free again: the same id carries a new message.
    publish(c, 't', 'again', 2, false, 5);
    await c.expectPacket('pubrec');
    expect((await sub.expectPacket('publish')).payload.toString()).toBe('again');
  });

  it('[MQTT-3.8.4-6] delivered QoS is the minimum of the published QoS and the granted QoS', async () => {
    await h.start();
    const s0 = await h.subscriber('t', 0);
    const s1 = await h.subscriber('t', 1);
    const s2 = await h.subscriber('t', 2);
    const c = await h.connected('c');
    publish(c, 't', 'x', 1);
    await c.expectPacket('puback');
    expect((await s0.expectPacket('publish')).qos).toBe(0);
    expect((await s1.expectPacket('publish')).qos).toBe(1);
    expect((await s2.expectPacket('publish')).qos).toBe(1);
    publish(c, 't', 'y', 2);
    await c.expectPacket('pubrec');
    expect((await s2.expectPacket('publish')).qos).toBe(2);
  });

  it('overlapping subscriptions of one client deliver once, at the highest granted QoS', async () => {
    await h.start();
    const s = await h.connected('s');
    await subscribe(s, 'a/#', 0);
    await subscribe(s, 'a/+', 2);
    await subscribe(s, 'a/b', 1);
    const c = await h.connected('c');
    publish(c, 'a/b', 'x', 2);
    const p = await s.expectPacket('publish');
    expect(p.qos).toBe(2);
    s.send({ type: 'pubrec', packetId: p.packetId! });
    await s.expectPacket('pubrel');
    await barrier(s); // no second copy for the other two subscriptions
  });

  it('[MQTT-2.3.1-2] outbound packet ids are unique among unacknowledged messages', async () => {
    await h.start();
    const s = await h.subscriber('t', 1);
    const c = await h.connected('c');
    for (let i = 0; i < 10; i++) publish(c, 't', `m${i}`, 1);
    const ids = new Set<number>();
    for (let i = 0; i < 10; i++) ids.add((await s.expectPacket('publish')).packetId!);
    expect(ids.size).toBe(10);
    expect(h.tb.broker.stats().inflightOut).toBe(10);
    for (const id of ids) s.send({ type: 'puback', packetId: id });
    await barrier(s); // the PUBACKs are handled before the PINGREQ
    expect(h.tb.broker.stats().inflightOut).toBe(0);
  });

  it('the inflight window (max_inflight_messages) holds excess messages until acknowledgements free room', async () => {
    await h.start({ max_inflight_messages: 2 });
    const s = await h.subscriber('t', 1);
    const c = await h.connected('c');
    for (let i = 0; i < 5; i++) publish(c, 't', `m${i}`, 1);
    for (let i = 0; i < 5; i++) await c.expectPacket('puback'); // all five routed
    const first = [await s.expectPacket('publish'), await s.expectPacket('publish')];
    expect(first.map((p) => p.payload.toString())).toEqual(['m0', 'm1']);
    await barrier(s);
    expect(h.tb.broker.stats()).toMatchObject({ inflightOut: 2, messagesStored: 3 });
    s.send({ type: 'puback', packetId: first[0]!.packetId! });
    expect((await s.expectPacket('publish')).payload.toString()).toBe('m2');
    await barrier(s); // one acknowledgement, room for one message
  });

  it('[MQTT-4.3.3-1] outbound QoS 2: PUBLISH → PUBREC → PUBREL → PUBCOMP frees the packet id', async () => {
    await h.start({ max_inflight_messages: 1 });
    const s = await h.subscriber('t', 2);
    const c = await h.connected('c');
    publish(c, 't', 'a', 2);
    publish(c, 't', 'b', 2);
    await c.expectPacket('pubrec');
    await c.expectPacket('pubrec'); // both routed
    const p = await s.expectPacket('publish');
    s.send({ type: 'pubrec', packetId: p.packetId! });
    expect(await s.expectPacket('pubrel')).toMatchObject({ packetId: p.packetId });
    await barrier(s); // 'b' waits: the window holds the unfinished exchange
    s.send({ type: 'pubcomp', packetId: p.packetId! });
    expect((await s.expectPacket('publish')).payload.toString()).toBe('b');
  });
});
