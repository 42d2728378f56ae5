import { afterEach, describe, expect, it } from 'vitest';
import { Harness, sleep } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

describe('keepalive', () => {
  it('[MQTT-3.1.2-24] a client silent for 1.5 x keepalive is disconnected and its will fires', async () => {
    await h.start({ timeout_disconnect_delay: 0 });
    const w = await h.subscriber('will');
    const c = await h.connected('c', { keepalive: 1, will: { topic: 'will', payload: Buffer.from('timeout'), qos: 0, retain: false } });
    const t0 = Date.now();
    await c.closed(4000);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(1400);
    expect(elapsed).toBeLessThan(2500);
    expect((await w.expectPacket('publish')).payload.toString()).toBe('timeout');
  });

  it('[MQTT-3.1.2-23] PINGREQ within the keepalive keeps the connection open', async () => {
    await h.start();
    const c = await h.connected('c', { keepalive: 1 });
    for (let i = 0; i < 4; i++) {
      await sleep(600);
      c.send({ type: 'pingreq' });
      await c.expectPacket('pingresp');
    }
    expect(c.closedYet).toBe(false);
  });

  it('timeout_disconnect_delay adds grace on top of 1.5 x keepalive', async () => {
    await h.start({ timeout_disconnect_delay: 1 });
    const c = await h.connected('c', { keepalive: 1 });
    const t0 = Date.now();
    await c.closed(5000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2400);
  });
});
