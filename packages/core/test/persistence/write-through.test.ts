/**
 * Write-through persistence (issue 12): a QoS 1/2 PUBLISH is acknowledged only once the store has what it
 * caused; the store holds queues, inflight windows, inbound QoS 2 ids, wills and retained messages as they
 * change, so a broker that never shut down (a crash) leaves a store the next broker restores from.
 */
import { describe, expect, it } from 'vitest';
import type { TestBroker } from '../../src/testing/index.js';
import { brokersWithStore } from './broker-with-store.js';
import { GatedStore } from './gated-store.js';
import { barrier, disconnection, publish, publishV5, subscribe, until } from '../broker/helpers.js';

const { broker, client } = brokersWithStore();

/** A persistent session subscribed to `filter`, then offline: what matches is queued for it, in the store. */
async function offlineSubscriber(tb: TestBroker, clientId: string, filter: string, qos: 1 | 2 = 1): Promise<void> {
  const s = await client(tb, clientId, { clean: false });
  await subscribe(s, filter, qos);
  const gone = disconnection(tb.broker, clientId);
  await s.disconnect();
  await gone;
}

describe('acknowledgement after the store has the message', () => {
  it('PUBACK waits until the delivery queued for an offline persistent session is stored', async () => {
    const store = new GatedStore();
    const tb = await broker(store);
    await offlineSubscriber(tb, 'offline', 'q/#');
    const p = await client(tb, 'pub');
    store.hold();
    publish(p, 'q/1', 'm1', 1, false, 10);
    await until(() => store.writes.includes('pushQueued offline 0'), 2000, 'the queue write');
    await p.expectNothingBeforePingresp();
    store.release();
    expect(await p.expectPacket('puback')).toMatchObject({ packetId: 10 });
    expect((await store.inner.listQueued('offline', -1, 10)).map((e) => e.delivery.message.payload.toString())).toEqual(
      ['m1'],
    );
  });

  it('[MQTT-4.6.0-2] a later PUBACK that needs no write still comes after an earlier one that waits', async () => {
    const store = new GatedStore();
    const tb = await broker(store);
    await offlineSubscriber(tb, 'offline', 'q/#');
    const p = await client(tb, 'pub');
    store.hold();
    publish(p, 'q/1', 'stored', 1, false, 21);
    publish(p, 'nobody/listens', 'free', 1, false, 22);
    await p.expectNothingBeforePingresp();
    store.release();
    expect((await p.expectPacket('puback')).packetId).toBe(21);
    expect((await p.expectPacket('puback')).packetId).toBe(22);
  });

  it('QoS 0 never waits for the store', async () => {
    const store = new GatedStore();
    const tb = await broker(store);
    const live = await client(tb, 'live');
    await subscribe(live, 'q/#', 0);
    await offlineSubscriber(tb, 'offline', 'q/#');
    const p = await client(tb, 'pub');
    store.hold();
    publish(p, 'q/1', 'fast', 0);
    expect((await live.expectPacket('publish')).payload.toString()).toBe('fast');
    store.release();
  });

  it('a retained QoS 1 message is acknowledged once the retained store has it', async () => {
    const store = new GatedStore();
    const tb = await broker(store);
    const p = await client(tb, 'pub');
    store.hold();
    publish(p, 'r/1', 'kept', 1, true, 30);
    await until(() => store.writes.includes('setRetained r/1'), 2000, 'the retained write');
    await p.expectNothingBeforePingresp();
    store.release();
    expect((await p.expectPacket('puback')).packetId).toBe(30);
  });

  it('a failed write answers a v5 publisher 0x97 and closes a 3.1.1 one; QoS 0 keeps flowing', async () => {
    const store = new GatedStore();
    const tb = await broker(store);
    await offlineSubscriber(tb, 'offline', 'q/#');
    const live = await client(tb, 'live');
    await subscribe(live, 'q/#', 0);
    const v5 = await client(tb, 'v5pub', { protocolVersion: 5 });
    const v4 = await client(tb, 'v4pub');
    store.fail(new Error('ENOSPC: no space left on device'));
    const id = publishV5(v5, 'q/1', 'x', 1);
    expect(await v5.expectPacket('puback')).toMatchObject({ packetId: id, reasonCode: 0x97 });
    publish(v4, 'q/2', 'y', 1);
    await v4.closed();
    // Live QoS 0 subscribers still get messages while the disk is full, and the broker recovers after.
    publishV5(v5, 'q/3', 'z', 0);
    for (const payload of ['x', 'y', 'z'])
      expect((await live.expectPacket('publish')).payload.toString()).toBe(payload);
    store.fail(undefined);
    const id2 = publishV5(v5, 'q/4', 'w', 1);
    expect(await v5.expectPacket('puback')).toMatchObject({ packetId: id2 });
    expect(tb.broker.stats().dropped['not-stored']).toBe(2);
  });
});

describe('restart from the store after a crash (the first broker never shut down)', () => {
  it('restores queued messages, the retained store and the subscription; the session comes back with its owner', async () => {
    const store = new GatedStore();
    const a = await broker(store);
    await offlineSubscriber(a, 'alice', 'q/#');
    const p = await client(a, 'pub');
    for (let i = 0; i < 5; i++) publish(p, 'q/x', `m${i}`, 1, false, 100 + i);
    publish(p, 'r', 'retained', 1, true, 200);
    for (let i = 0; i < 6; i++) await p.expectPacket('puback');
    // No close(): broker b starts on what the store holds right now.
    const b = await broker(store);
    expect(b.broker.stats()).toMatchObject({ retainedCount: 1, messagesStored: 5 });
    const back = await client(b, 'alice', { clean: false });
    for (let i = 0; i < 5; i++) expect((await back.expectPacket('publish')).payload.toString()).toBe(`m${i}`);
  });

  it('resends an unacknowledged delivery with the same packet id and DUP=1 [MQTT-4.4.0-1]', async () => {
    const store = new GatedStore();
    const a = await broker(store);
    const s = await client(a, 'bob', { clean: false });
    await subscribe(s, 't', 1);
    const p = await client(a, 'pub');
    publish(p, 't', 'once', 1);
    await p.expectPacket('puback');
    const first = await s.expectPacket('publish');
    // bob never acknowledges; the broker "crashes".
    s.destroy();
    const b = await broker(store);
    const back = await client(b, 'bob', { clean: false });
    expect(await back.expectPacket('publish')).toMatchObject({ packetId: first.packetId, dup: true, qos: 1 });
  });

  it('gives a freed packet id to the next message sent from the queue: one stored entry replaces the other, and a crash resends the right one', async () => {
    const store = new GatedStore();
    const a = await broker(store, { max_inflight_messages: 1 });
    const s = await client(a, 'carol', { clean: false });
    await subscribe(s, 't', 1);
    const p = await client(a, 'pub');
    for (const text of ['one', 'two', 'three']) publish(p, 't', text, 1);
    for (let i = 0; i < 3; i++) await p.expectPacket('puback');
    const first = await s.expectPacket('publish');
    const from = store.writes.length;
    s.send({ type: 'puback', packetId: first.packetId! });
    const second = await s.expectPacket('publish');
    expect(second).toMatchObject({ packetId: first.packetId, dup: false });
    expect(second.payload.toString()).toBe('two');
    await until(() => store.writes.length > from + 1, 2000, 'the send stored');
    // The acknowledged entry is overwritten by the next one, not removed first.
    expect(store.writes.slice(from)).toEqual([`setInflight carol ${first.packetId} publish`, 'deleteQueued carol 0']);
    // carol never acknowledges 'two'; the broker "crashes": 'two' comes back under the same id, then 'three'.
    s.destroy();
    const b = await broker(store, { max_inflight_messages: 1 });
    const back = await client(b, 'carol', { clean: false });
    const resent = await back.expectPacket('publish');
    expect(resent).toMatchObject({ packetId: first.packetId, dup: true });
    expect(resent.payload.toString()).toBe('two');
    back.send({ type: 'puback', packetId: resent.packetId! });
    expect((await back.expectPacket('publish')).payload.toString()).toBe('three');
  });

  it('removes the acknowledged entry when the message that took its freed packet id had expired meanwhile', async () => {
    const store = new GatedStore();
    const a = await broker(store, { max_inflight_messages: 1 });
    const s = await client(a, 'dave', { clean: false });
    await subscribe(s, 't', 1);
    const p = await client(a, 'v5pub', { protocolVersion: 5 });
    publishV5(p, 't', 'one', 1);
    publishV5(p, 't', 'brief', 1, { properties: { messageExpiryInterval: 1 } });
    await p.expectPacket('puback');
    await p.expectPacket('puback');
    const first = await s.expectPacket('publish');
    await new Promise((r) => setTimeout(r, 1100));
    s.send({ type: 'puback', packetId: first.packetId! });
    await until(() => store.writes.includes(`deleteInflight dave ${first.packetId}`), 2000, 'the entry removed');
    expect((await store.inner.getSession('dave'))?.inflight).toEqual([]);
    await s.expectNothingBeforePingresp();
  });

  it('[MQTT-4.3.3-2] an inbound QoS 2 id survives: the resent PUBLISH is not routed again', async () => {
    const store = new GatedStore();
    const a = await broker(store);
    const sub = await client(a, 'sub', { clean: false });
    await subscribe(sub, 'x', 2);
    await sub.disconnect();
    const p = await client(a, 'qos2pub', { clean: false });
    publish(p, 'x', 'exactly-once', 2, false, 7);
    await p.expectPacket('pubrec');
    p.destroy();
    const b = await broker(store);
    const again = await client(b, 'qos2pub', { clean: false });
    again.send({
      type: 'publish',
      topic: 'x',
      payload: Buffer.from('exactly-once'),
      qos: 2,
      retain: false,
      dup: true,
      packetId: 7,
    });
    expect(await again.expectPacket('pubrec')).toMatchObject({ packetId: 7 });
    again.send({ type: 'pubrel', packetId: 7 });
    expect(await again.expectPacket('pubcomp')).toMatchObject({ packetId: 7 });
    expect(b.broker.stats().messagesStored).toBe(1);
  });

  it('publishes at restart the will of a client that was connected when the broker crashed', async () => {
    const store = new GatedStore();
    const a = await broker(store);
    await offlineSubscriber(a, 'watcher', 'status/#');
    await client(a, 'device', {
      will: { topic: 'status/device', payload: Buffer.from('gone'), qos: 1, retain: false },
    });
    await until(() => store.writes.includes('setWill device'), 2000, 'the will stored');
    const b = await broker(store);
    const w = await client(b, 'watcher', { clean: false });
    expect((await w.expectPacket('publish')).payload.toString()).toBe('gone');
    expect((await store.inner.listWills()).has('device')).toBe(false);
  });

  it('a graceful DISCONNECT removes the stored will', async () => {
    const store = new GatedStore();
    const a = await broker(store);
    const d = await client(a, 'device', {
      will: { topic: 'status/device', payload: Buffer.from('gone'), qos: 0, retain: false },
    });
    await until(() => store.writes.includes('setWill device'), 2000, 'the will stored');
    await d.disconnect();
    await until(() => store.writes.includes('deleteWill device'), 2000, 'the will removed');
    expect((await store.inner.listWills()).size).toBe(0);
  });

  it('keeps the expiry clock of a disconnected session running in wall-clock time', async () => {
    const store = new GatedStore();
    const a = await broker(store, { session_expiry_interval: 1 });
    await offlineSubscriber(a, 'short', 'q');
    const record = await store.inner.getSession('short');
    expect(record?.disconnectedAt).toBeTypeOf('number');
    await store.inner.updateSession('short', { disconnectedAt: Date.now() - 5_000 });
    const b = await broker(store, { session_expiry_interval: 1 });
    expect(b.broker.sessionCount()).toBe(0);
    await until(() => store.writes.includes('deleteSession short'), 2000, 'the expired session removed');
  });

  it('records the username and protocol version of a persistent session', async () => {
    const store = new GatedStore();
    const a = await broker(store);
    const c = await client(a, 'v5s', {
      protocolVersion: 5,
      username: 'carol',
      properties: { sessionExpiryInterval: 600 },
    });
    await barrier(c);
    expect(await store.inner.getSession('v5s')).toMatchObject({
      username: 'carol',
      protocolVersion: 5,
      expiryInterval: 600,
    });
  });
});
