// RawClient.expectNothingBeforePingresp: the round trip that replaces fixed waits in "nothing arrived" checks.
import { afterEach, describe, expect, it } from 'vitest';
import { Harness, publish } from '../broker/helpers.js';

const h = new Harness();
afterEach(() => h.stop());

describe('RawClient.expectNothingBeforePingresp', () => {
  it('resolves when nothing was queued for the connection', async () => {
    await h.start();
    const s = await h.subscriber('t');
    await expect(s.expectNothingBeforePingresp()).resolves.toBeUndefined();
  });

  it('rejects with the packet that came before the PINGRESP', async () => {
    await h.start();
    const s = await h.subscriber('t');
    const p = await h.connected('p');
    publish(p, 't', 'x', 1);
    await p.expectPacket('puback');
    await expect(s.expectNothingBeforePingresp()).rejects.toThrow(/expected nothing before PINGRESP, got .*"publish"/);
  });

  it('works on an MQTT 5 connection', async () => {
    await h.start();
    const c = await h.v5('c');
    await expect(c.expectNothingBeforePingresp()).resolves.toBeUndefined();
  });
});
