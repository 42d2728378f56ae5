import { afterEach, describe, expect, it } from 'vitest';
import { disconnection, Harness, publish, subscribe } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());
const will = (payload: string, qos: 0 | 1 | 2 = 0, retain = false) => ({
  topic: 'will/c',
  payload: Buffer.from(payload),
  qos,
  retain,
});

describe('will messages', () => {
  it('[MQTT-3.1.2-8] the will is published when the connection closes without DISCONNECT', async () => {
    await h.start();
    const w = await h.subscriber('will/#', 1);
    const c = await h.connected('c', { will: will('bye', 1) });
    c.destroy();
    const p = await w.expectPacket('publish');
    expect(p).toMatchObject({ topic: 'will/c', qos: 1 });
    expect(p.payload.toString()).toBe('bye');
  });

  it('[MQTT-3.1.2-10] the will is not published after DISCONNECT', async () => {
    await h.start();
    const w = await h.subscriber('will/#');
    const c = await h.connected('c', { will: will('bye') });
    const gone = disconnection(h.tb.broker, 'c');
    await c.disconnect();
    await gone;
    // A will published later, the same way: had c's been published, it would have come first.
    const marker = await h.connected('m', {
      will: { topic: 'will/m', payload: Buffer.from('marker'), qos: 0, retain: false },
    });
    marker.destroy();
    expect((await w.expectPacket('publish')).topic).toBe('will/m');
  });

  it('[MQTT-3.1.2-8] a protocol error publishes the will', async () => {
    await h.start();
    const w = await h.subscriber('will/#');
    const c = await h.connected('c', { will: will('broken') });
    c.send(Buffer.from([0xf0, 0x00])); // AUTH in 3.1.1: a malformed packet type
    await c.closed();
    expect((await w.expectPacket('publish')).payload.toString()).toBe('broken');
  });

  it('[MQTT-3.1.2-17] a retained will is stored as the retained message of its topic', async () => {
    await h.start();
    const c = await h.connected('c', { will: will('last', 0, true) });
    const stored = new Promise<void>((resolve) =>
      h.tb.broker.on('retained:set', (e) => e.message.topic === 'will/c' && resolve()),
    );
    c.destroy();
    await stored;
    const s = await h.connected('s');
    await subscribe(s, 'will/c');
    expect(await s.expectPacket('publish')).toMatchObject({ retain: true });
  });

  it('[MQTT-3.1.2-8] the broker shutting down publishes the will of connected clients', async () => {
    await h.start();
    const c = await h.connected('c', { will: will('shutdown', 0, true) });
    void c;
    let seen = '';
    h.tb.broker.on('retained:set', (e) => (seen = e.message.payload.toString()));
    await h.tb.close();
    expect(seen).toBe('shutdown');
  });

  it('a will topic over max_topic_length is refused at CONNECT (connection closed)', async () => {
    await h.start({ max_topic_length: 20 });
    const c = await h.client();
    c.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 0,
      clientId: 'c',
      will: { topic: 'a'.repeat(50), payload: Buffer.from('x'), qos: 0, retain: false },
    });
    void publish;
    await c.closed();
  });
});
