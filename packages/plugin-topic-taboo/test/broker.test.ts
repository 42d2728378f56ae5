/**
 * In a real broker: the plugin is named by its package name under `plugins:`, resolved and set up by
 * the broker, and its decisions show on the wire (SUBACK 0x80, publishes dropped).
 */
import { describe, expect, it } from 'vitest';
import { connected, publish, startBroker, subscribe } from './broker-helpers.js';

describe('@midge/plugin-topic-taboo in a broker', () => {
  it('refuses subscriptions that could see a taboo topic with SUBACK 0x80', async () => {
    await startBroker({ '@midge/plugin-topic-taboo': null });
    const c = await connected({ username: 'alice' });
    expect(await subscribe(c, 'data/public', '#', 'data/+', '+/classified', 'top-secret', 'sensors/#')).toEqual([
      1, 0x80, 0x80, 0x80, 0x80, 1,
    ]);
  });

  it('drops publishes to taboo topics and delivers the others', async () => {
    await startBroker({ '@midge/plugin-topic-taboo': {} });
    const admin = await connected({ username: 'admin' });
    expect(await subscribe(admin, '#')).toEqual([1]); // admin is exempt
    const alice = await connected({ username: 'alice' });
    publish(alice, 'data/classified', 'secret');
    publish(alice, 'data/public', 'ok');
    const got = await admin.expectPacket('publish');
    expect(got.topic).toBe('data/public');
    await admin.expectNothingBeforePingresp();
  });

  it('honours a custom list and exempt_users', async () => {
    await startBroker({ '@midge/plugin-topic-taboo': { prohibited: ['vault/#'], exempt_users: ['root'] } });
    const admin = await connected({ username: 'admin' });
    expect(await subscribe(admin, 'vault/+', 'data/classified')).toEqual([0x80, 1]);
    const root = await connected({ username: 'root' });
    expect(await subscribe(root, 'vault/+')).toEqual([1]);
  });
});
