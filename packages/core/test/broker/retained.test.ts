import { afterEach, describe, expect, it } from 'vitest';
import { barrier, Harness, publish, subscribe, until } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

describe('retained messages', () => {
  it('[MQTT-3.3.1-5] [MQTT-3.3.1-8] a retained message is stored and sent with RETAIN=1 to new subscribers', async () => {
    await h.start();
    const pub = await h.connected('p');
    const payload = Buffer.from('kept');
    publish(pub, 'r/a', payload, 1, true);
    await pub.expectPacket('puback');
    payload.fill(0); // the broker copied it
    const s = await h.connected('s');
    await subscribe(s, 'r/+', 1);
    const p = await s.expectPacket('publish');
    expect(p).toMatchObject({ topic: 'r/a', retain: true, qos: 1 });
    expect(p.payload.toString()).toBe('kept');
    expect(h.tb.broker.stats().retainedCount).toBe(1);
  });

  it('[MQTT-3.3.1-9] live deliveries of a retained PUBLISH carry RETAIN=0', async () => {
    await h.start();
    const s = await h.subscriber('r');
    const pub = await h.connected('p');
    publish(pub, 'r', 'live', 0, true);
    expect(await s.expectPacket('publish')).toMatchObject({ retain: false });
  });

  it('[MQTT-3.3.1-10] [MQTT-3.3.1-11] a zero-length retained PUBLISH clears the retained message', async () => {
    await h.start();
    const pub = await h.connected('p');
    publish(pub, 'r', 'x', 0, true);
    await until(() => h.tb.broker.stats().retainedCount === 1);
    publish(pub, 'r', Buffer.alloc(0), 0, true);
    await until(() => h.tb.broker.stats().retainedCount === 0);
    const s = await h.connected('s');
    await subscribe(s, 'r');
    await barrier(s);
  });

  it('[MQTT-3.3.1-7] a new retained message replaces the previous one', async () => {
    await h.start();
    const pub = await h.connected('p');
    publish(pub, 'r', 'old', 0, true);
    publish(pub, 'r', 'new', 0, true);
    await until(() => h.tb.broker.stats().publishReceived === 2);
    const s = await h.connected('s');
    await subscribe(s, 'r');
    expect((await s.expectPacket('publish')).payload.toString()).toBe('new');
    await barrier(s);
  });

  it('retained delivery QoS is the minimum of the stored and the granted QoS', async () => {
    await h.start();
    const pub = await h.connected('p');
    publish(pub, 'r', 'x', 2, true);
    await pub.expectPacket('pubrec');
    const s = await h.connected('s');
    await subscribe(s, 'r', 1);
    expect(await s.expectPacket('publish')).toMatchObject({ qos: 1, retain: true });
  });
});

describe('$ topics', () => {
  it('[MQTT-4.7.2-1] # and + at the first level do not match $ topics', async () => {
    await h.start();
    const all = await h.subscriber('#');
    const plus = await h.subscriber('+/x');
    const sys = await h.subscriber('$SYS/#');
    await h.tb.broker.publish({ topic: '$SYS/x', payload: 'stat' }, { trusted: true });
    expect((await sys.expectPacket('publish')).payload.toString()).toBe('stat');
    await barrier(all);
    await barrier(plus);
  });

  it('a client PUBLISH to a $ topic is dropped and counted (QoS 1 still acknowledged)', async () => {
    await h.start();
    const sys = await h.subscriber('$SYS/#');
    const c = await h.connected('c');
    publish(c, '$SYS/fake', 'x', 1);
    await c.expectPacket('puback');
    await barrier(sys);
    expect(h.tb.broker.stats().dropped['sys-topic']).toBe(1);
  });
});
