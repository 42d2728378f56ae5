import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { barrier, Harness } from './helpers.js';

const h = new Harness();
// The keepalive timer is the broker's: faked, time moves when the test says, and only then.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.now() });
});
afterEach(async () => {
  vi.useRealTimers();
  await h.stop();
});
const will = { topic: 'will', payload: Buffer.from('timeout'), qos: 0 as const, retain: false };

describe('keepalive', () => {
  it('[MQTT-3.1.2-24] a client silent for 1.5 x keepalive is disconnected and its will fires', async () => {
    await h.start({ timeout_disconnect_delay: 0 });
    const w = await h.subscriber('will');
    const c = await h.connected('c', { keepalive: 1, will });
    vi.advanceTimersByTime(1499);
    await barrier(w); // not yet: the will would be queued for w before this PINGRESP
    vi.advanceTimersByTime(1);
    expect((await w.expectPacket('publish')).payload.toString()).toBe('timeout');
    await c.closed();
  });

  it('[MQTT-3.1.2-23] PINGREQ within the keepalive keeps the connection open', async () => {
    await h.start();
    const c = await h.connected('c', { keepalive: 1 });
    // 4 s in all, 1 s between PINGREQs: each is answered, so the connection is still open.
    for (let i = 0; i < 4; i++) {
      vi.advanceTimersByTime(1000);
      c.send({ type: 'pingreq' });
      await c.expectPacket('pingresp');
    }
    expect(c.closedYet).toBe(false);
  });

  it('timeout_disconnect_delay adds grace on top of 1.5 x keepalive', async () => {
    await h.start({ timeout_disconnect_delay: 1 });
    const w = await h.subscriber('will');
    const c = await h.connected('c', { keepalive: 1, will });
    vi.advanceTimersByTime(2499);
    await barrier(w);
    vi.advanceTimersByTime(1);
    expect((await w.expectPacket('publish')).payload.toString()).toBe('timeout');
    await c.closed();
  });
});
