/**
 * In a real broker: the plugin is named by its package name under `plugins:`, and its decisions show
 * on the wire: SUBACK 0x80, publishes dropped, deliveries (live and retained) withheld.
 */
import { describe, expect, it } from 'vitest';
import { connected, publish, startBroker, subscribe } from './broker-helpers.js';

describe('@midge/plugin-topic-acl in a broker', () => {
  it('grants only covered subscriptions (SUBACK 0x80 otherwise)', async () => {
    await startBroker({
      '@midge/plugin-topic-acl': { subscribe_acl: { alice: ['a/+', 'b/#', '$SYS/broker/#'], anonymous: [] } },
    });
    const alice = await connected({ username: 'alice' });
    expect(await subscribe(alice, 'a/x', 'a/#', 'b/+/c', '#', '$SYS/broker/uptime', '$SYS/other')).toEqual([
      1, 0x80, 1, 0x80, 1, 0x80,
    ]);
    const anon = await connected();
    expect(await subscribe(anon, 'a/x')).toEqual([0x80]);
    const admin = await connected({ username: 'admin' });
    expect(await subscribe(admin, '#', '$SYS/#')).toEqual([1, 1]);
  });

  it("accepts aMQTT's list form and the deprecated acl key", async () => {
    await startBroker({ '@midge/plugin-topic-acl': { acl: [{ alice: ['a/#'] }, { bob: ['b/#'] }] } });
    const bob = await connected({ username: 'bob' });
    expect(await subscribe(bob, 'b/1', 'a/1')).toEqual([1, 0x80]);
  });

  it('drops publishes outside publish_acl', async () => {
    await startBroker({ '@midge/plugin-topic-acl': { publish_acl: { alice: ['out/%u/#'] } } });
    const admin = await connected({ username: 'admin' });
    expect(await subscribe(admin, 'out/#')).toEqual([1]);
    const alice = await connected({ username: 'alice' });
    publish(alice, 'out/bob/x');
    publish(alice, 'out/alice/x');
    expect((await admin.expectPacket('publish')).topic).toBe('out/alice/x');
    await admin.expectNothingBeforePingresp();
  });

  it('withholds live and retained deliveries outside receive_acl', async () => {
    await startBroker({
      '@midge/plugin-topic-acl': { receive_acl: { anonymous: ['devices/%c/#'] } },
    });
    const admin = await connected({ username: 'admin' });
    publish(admin, 'devices/d1/config', 'r1', true);
    publish(admin, 'devices/d2/config', 'r2', true);
    // The retained messages are stored once the broker answers a round trip after them.
    admin.send({ type: 'pingreq' });
    await admin.expectPacket('pingresp');

    const d1 = await connected({ clientId: 'd1' });
    expect(await subscribe(d1, 'devices/+/config')).toEqual([1]); // no subscribe_acl: unrestricted
    const retained = await d1.expectPacket('publish');
    expect(retained.topic).toBe('devices/d1/config');
    // Receive decisions may settle after a PINGRESP; a later message on the same path comes after them.
    publish(admin, 'devices/d1/config', 'marker');
    expect((await d1.expectPacket('publish')).payload.toString()).toBe('marker');

    publish(admin, 'devices/d2/config', 'live2');
    publish(admin, 'devices/d1/config', 'live1');
    const live = await d1.expectPacket('publish');
    expect(live.payload.toString()).toBe('live1');
    publish(admin, 'devices/d1/config', 'marker');
    expect((await d1.expectPacket('publish')).payload.toString()).toBe('marker');
  });

  it('withholds queued deliveries of a persistent session outside receive_acl', async () => {
    await startBroker({ '@midge/plugin-topic-acl': { receive_acl: { anonymous: ['devices/%c/#'] } } });
    let d1 = await connected({ clientId: 'd1', clean: false });
    expect(await subscribe(d1, 'devices/+/x')).toEqual([1]);
    await d1.disconnect();

    const admin = await connected({ username: 'admin' });
    let id = 0;
    for (const topic of ['devices/d2/x', 'devices/d1/x']) {
      admin.send({
        type: 'publish',
        topic,
        payload: Buffer.from(topic),
        qos: 1,
        retain: false,
        dup: false,
        packetId: ++id,
      });
      await admin.expectPacket('puback');
    }

    d1 = await connected({ clientId: 'd1', clean: false });
    const queued = await d1.expectPacket('publish');
    expect(queued.topic).toBe('devices/d1/x');
    publish(admin, 'devices/d1/x', 'marker');
    expect((await d1.expectPacket('publish')).payload.toString()).toBe('marker');
  });
});
