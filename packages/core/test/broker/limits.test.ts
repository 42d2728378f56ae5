import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { encodePacket } from '../../src/codec/index.js';
import { Harness, publish, subscribe, until } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

describe('limits', () => {
  it('a packet over max_packet_size closes the connection (rejected at the fixed header)', async () => {
    await h.start({ max_packet_size: 1024 });
    const c = await h.connected('c');
    publish(c, 't', Buffer.alloc(2000));
    await c.closed();
    const ok = await h.connected('ok');
    publish(ok, 't', Buffer.alloc(500), 1);
    await ok.expectPacket('puback');
  });

  it('max_packet_size defaults to 1 MiB: one byte more closes the connection, the limit itself passes', async () => {
    await h.start();
    expect(h.tb.broker.config.max_packet_size).toBe(1024 * 1024);
    // Fixed header (1 + 3-byte remaining length) + topic (2 + 1) + packet id (2) = 9 bytes around the payload.
    const ok = await h.connected('ok');
    publish(ok, 't', Buffer.alloc(1024 * 1024 - 9), 1);
    await ok.expectPacket('puback');
    const big = await h.connected('big');
    publish(big, 't', Buffer.alloc(1024 * 1024 - 8), 1);
    await big.closed();
    ok.send({ type: 'pingreq' });
    await ok.expectPacket('pingresp');
  });

  it('over WebSocket, a frame over max_packet_size closes that WebSocket (1009) and no other', async () => {
    await h.start({
      max_packet_size: 1024,
      listeners: { default: { type: 'tcp', bind: '127.0.0.1:0' }, web: { type: 'ws', bind: '127.0.0.1:0' } },
    });
    const port = h.tb.broker.listeners().find((l) => l.name === 'web')!.port;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, 'mqtt');
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('error', () => undefined);
    ws.send(
      encodePacket({
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 0,
        clientId: 'w',
      }),
    );
    ws.send(Buffer.alloc(2048));
    expect(await closed).toBe(1009);
    const tcp = await h.connected('tcp');
    tcp.send({ type: 'pingreq' });
    await tcp.expectPacket('pingresp');
  });

  it('a PUBLISH topic over max_topic_length or max_topic_levels closes the connection', async () => {
    await h.start({ max_topic_length: 16, max_topic_levels: 3 });
    const a = await h.connected('a');
    publish(a, 'x'.repeat(17), 'p');
    await a.closed();
    const b = await h.connected('b');
    publish(b, 'a/b/c/d', 'p');
    await b.closed();
  });

  it('a filter over the topic limits gets SUBACK 0x80', async () => {
    await h.start({ max_topic_levels: 3 });
    const c = await h.connected('c');
    expect(await subscribe(c, 'a/b/c/#')).toEqual([0x80]);
    expect(await subscribe(c, 'a/b/#')).toEqual([0]);
  });

  it('a slow reader loses QoS 0 deliveries over max_outgoing_bytes, then is disconnected after slow_reader_timeout', async () => {
    await h.start({ max_outgoing_bytes: 64 * 1024, slow_reader_timeout: 1, max_packet_size: 1_048_576 });
    const reasons: string[] = [];
    h.tb.broker.on('client:disconnected', (e) => reasons.push(e.reason));
    const slow = await h.subscriber('flood');
    slow.socket.pause(); // never reads again
    const fast = await h.subscriber('flood');
    let fastCount = 0;
    fast.socket.on('data', () => fastCount++);
    const pub = await h.connected('p');
    const chunk = Buffer.alloc(60 * 1024, 1);
    for (let i = 0; i < 400; i++) publish(pub, 'flood', chunk);
    await until(() => (h.tb.broker.stats().dropped['slow-reader'] ?? 0) > 0, 5000);
    // The paused client cannot see the close itself; the broker's event tells.
    await until(() => reasons.some((r) => r.startsWith('slow reader')), 5000);
    void slow;
    expect(fastCount).toBeGreaterThan(0);
    const probe = await h.connected('probe');
    probe.send({ type: 'pingreq' });
    await probe.expectPacket('pingresp');
  });
});
