import { afterEach, describe, expect, it, vi } from 'vitest';
import { disconnection, Harness, publish, subscribe, until } from './helpers.js';

const h = new Harness();
afterEach(async () => {
  vi.useRealTimers();
  await h.stop();
});

describe('sessions', () => {
  it('[MQTT-3.2.2-1] clean session: session present is 0', async () => {
    await h.start();
    const c = await h.client();
    expect(await c.connect({ clientId: 's', clean: true })).toMatchObject({ sessionPresent: false });
  });

  it('[MQTT-3.2.2-2] [MQTT-3.2.2-3] persistent session: session present tells whether state was kept', async () => {
    await h.start();
    const a = await h.client();
    expect(await a.connect({ clientId: 's', clean: false })).toMatchObject({ sessionPresent: false });
    await a.disconnect();
    const b = await h.client();
    expect(await b.connect({ clientId: 's', clean: false })).toMatchObject({ sessionPresent: true });
    await b.disconnect();
    // [MQTT-3.1.2-6] clean session discards it.
    const c = await h.client();
    expect(await c.connect({ clientId: 's', clean: true })).toMatchObject({ sessionPresent: false });
    await c.disconnect();
    const d = await h.client();
    expect(await d.connect({ clientId: 's', clean: false })).toMatchObject({ sessionPresent: false });
  });

  it('[MQTT-3.1.2-5] subscriptions and QoS 1/2 messages of a persistent session survive a disconnect', async () => {
    await h.start();
    const a = await h.connected('s', { clean: false });
    await subscribe(a, 't/#', 2);
    await a.disconnect();
    const pub = await h.connected('p');
    publish(pub, 't/1', 'one', 1);
    await pub.expectPacket('puback');
    publish(pub, 't/2', 'two', 2);
    await pub.expectPacket('pubrec');
    await until(() => h.tb.broker.stats().messagesStored === 2);
    const b = await h.connected('s', { clean: false });
    const p1 = await b.expectPacket('publish');
    const p2 = await b.expectPacket('publish');
    expect([p1.payload.toString(), p1.qos, p2.payload.toString(), p2.qos]).toEqual(['one', 1, 'two', 2]);
    // The subscription itself survived too.
    publish(pub, 't/3', 'three', 0);
    expect((await b.expectPacket('publish')).payload.toString()).toBe('three');
  });

  it('[MQTT-4.4.0-1] unacknowledged PUBLISH and PUBREL are resent on reconnect, PUBLISH with DUP=1', async () => {
    await h.start();
    const a = await h.connected('s', { clean: false });
    await subscribe(a, 't', 2);
    const pub = await h.connected('p');
    publish(pub, 't', 'q1', 1);
    publish(pub, 't', 'q2', 2);
    publish(pub, 't', 'q2b', 2);
    const m1 = await a.expectPacket('publish');
    const m2 = await a.expectPacket('publish');
    const m3 = await a.expectPacket('publish');
    a.send({ type: 'pubrec', packetId: m3.packetId! });
    await a.expectPacket('pubrel');
    a.destroy();
    await until(() => h.tb.broker.stats().clientsConnected === 1);
    const b = await h.connected('s', { clean: false });
    const r1 = await b.expectPacket('publish');
    const r2 = await b.expectPacket('publish');
    const r3 = await b.expectPacket('pubrel');
    expect(r1).toMatchObject({ dup: true, packetId: m1.packetId, qos: 1 });
    expect(r2).toMatchObject({ dup: true, packetId: m2.packetId, qos: 2 });
    expect(r3).toMatchObject({ packetId: m3.packetId });
    expect(r1.payload.toString()).toBe('q1');
  });

  it('the offline queue is bounded by max_queued_messages: oldest QoS 0 dropped first, then oldest QoS 1', async () => {
    await h.start({ max_queued_messages: 3 });
    const a = await h.connected('s', { clean: false });
    await subscribe(a, 't', 1);
    await a.disconnect();
    const pub = await h.connected('p');
    publish(pub, 't', 'a1', 1);
    publish(pub, 't', 'b0', 0);
    publish(pub, 't', 'c1', 1);
    publish(pub, 't', 'd1', 1); // full: drops b0 (oldest QoS 0)
    publish(pub, 't', 'e1', 1); // full: drops a1 (oldest QoS 1)
    for (let i = 0; i < 4; i++) await pub.expectPacket('puback');
    await until(() => h.tb.broker.stats().dropped['queue-full'] === 2);
    const b = await h.connected('s', { clean: false });
    const got: string[] = [];
    for (let i = 0; i < 3; i++) got.push((await b.expectPacket('publish')).payload.toString());
    expect(got).toEqual(['c1', 'd1', 'e1']);
  });

  it('session_expiry_interval removes an abandoned persistent session', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.now() });
    await h.start({ session_expiry_interval: 1 });
    const a = await h.connected('s', { clean: false });
    await subscribe(a, 't', 1);
    const gone = disconnection(h.tb.broker, 's');
    await a.disconnect();
    await gone;
    vi.advanceTimersByTime(999);
    expect(h.tb.broker.sessionCount()).toBe(1);
    vi.advanceTimersByTime(1);
    expect(h.tb.broker.sessionCount()).toBe(0);
    expect(h.tb.broker.stats().subscriptionCount).toBe(0);
    const b = await h.client();
    expect(await b.connect({ clientId: 's', clean: false })).toMatchObject({ sessionPresent: false });
  });

  it('session_expiry_interval 0 keeps persistent sessions forever', async () => {
    // Faked broker timers: a week passes at once, and an expiry timer of any length would have run.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.now() });
    await h.start({ session_expiry_interval: 0 });
    const a = await h.connected('s', { clean: false });
    const gone = disconnection(h.tb.broker, 's');
    await a.disconnect();
    await gone;
    vi.advanceTimersByTime(7 * 24 * 3600 * 1000);
    expect(h.tb.broker.sessionCount()).toBe(1);
  });
});
