// The connection's writer: what one tick writes leaves in one stream write (copied into one buffer up to
// 64 KiB), bigger batches go out as a corked writev of the frames, and the order of frames never changes.
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { encodePacket, PacketDecoder } from '../../src/codec/index.js';
import type { Packet, PublishPacket } from '../../src/codec/packets.js';
import { Harness, until } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

/** A client end served by broker.handle(), recording every call the broker's writes arrive in. */
async function recordedClient(clientId: string, filter: string) {
  const calls: Buffer[][] = [];
  const packets: Packet[] = [];
  const decoder = new PacketDecoder();
  const take = (chunks: Buffer[]) => {
    calls.push(chunks);
    for (const c of chunks) decoder.feed(c, (p) => packets.push(p));
    events.push('write');
  };
  const events: string[] = [];
  const server = new Duplex({
    read() {},
    final(cb) {
      events.push('end');
      cb();
    },
    write(chunk: Buffer, _enc, cb) {
      take([chunk]);
      cb();
    },
    writev(chunks, cb) {
      take(chunks.map((c) => c.chunk as Buffer));
      cb();
    },
  });
  h.tb.broker.handle(server, { listener: 'memory' });
  server.push(
    encodePacket({ type: 'connect', protocolName: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0, clientId }),
  );
  server.push(encodePacket({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: filter, qos: 0 }] }));
  await until(() => packets.some((p) => p.type === 'suback'), 2000, 'SUBACK');
  expect(packets.map((p) => p.type)).toEqual(['connack', 'suback']);
  calls.length = 0;
  packets.length = 0;
  events.length = 0;
  return { calls, packets, server, events };
}

/** Until `n` packets have come out of the writer: how many calls carried them is the test's to check. */
function written(c: { packets: Packet[] }, n: number): Promise<void> {
  return until(() => c.packets.length >= n, 2000, `${n} packets written`);
}

describe('connection writer', () => {
  it('writes the frames of one tick in one call, one buffer, in order', async () => {
    await h.start();
    const c = await recordedClient('coalesced', 'co/#');
    for (let i = 0; i < 20; i++) void h.tb.broker.publish({ topic: `co/${i}`, payload: `m${i}` }, { trusted: true });
    await written(c, 20);
    expect(c.calls).toHaveLength(1);
    expect(c.calls[0]).toHaveLength(1);
    const pubs = c.packets as PublishPacket[];
    expect(pubs.map((p) => p.topic)).toEqual(Array.from({ length: 20 }, (_, i) => `co/${i}`));
    expect(pubs.map((p) => p.payload.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    // Byte-exact: the one buffer is the 20 frames back to back.
    const frames = Array.from({ length: 20 }, (_, i) =>
      encodePacket({
        type: 'publish',
        topic: `co/${i}`,
        payload: Buffer.from(`m${i}`),
        qos: 0,
        retain: false,
        dup: false,
      }),
    );
    expect(c.calls[0]![0]!.equals(Buffer.concat(frames))).toBe(true);
  });

  it('a single frame is written as it is', async () => {
    await h.start();
    const c = await recordedClient('single', 'one');
    void h.tb.broker.publish({ topic: 'one', payload: 'x' }, { trusted: true });
    await written(c, 1);
    expect(c.calls).toEqual([
      [encodePacket({ type: 'publish', topic: 'one', payload: Buffer.from('x'), qos: 0, retain: false, dup: false })],
    ]);
  });

  it('over 64 KiB in one tick goes out as a corked writev of the frames, not copied into one buffer', async () => {
    await h.start();
    const c = await recordedClient('big', 'big/#');
    const payload = Buffer.alloc(30 * 1024, 7);
    for (let i = 0; i < 3; i++) void h.tb.broker.publish({ topic: `big/${i}`, payload }, { trusted: true });
    await written(c, 3);
    expect(c.calls).toHaveLength(1);
    expect(c.calls[0]).toHaveLength(3);
    expect((c.packets as PublishPacket[]).map((p) => [p.topic, p.payload.length])).toEqual([
      ['big/0', 30 * 1024],
      ['big/1', 30 * 1024],
      ['big/2', 30 * 1024],
    ]);
  });

  it('frames of the next tick are a new write', async () => {
    await h.start();
    const c = await recordedClient('ticks', 'tick');
    void h.tb.broker.publish({ topic: 'tick', payload: 'a' }, { trusted: true });
    void h.tb.broker.publish({ topic: 'tick', payload: 'b' }, { trusted: true });
    await written(c, 2);
    void h.tb.broker.publish({ topic: 'tick', payload: 'c' }, { trusted: true });
    await written(c, 3);
    expect(c.calls).toHaveLength(2);
    expect((c.packets as PublishPacket[]).map((p) => p.payload.toString())).toEqual(['a', 'b', 'c']);
  });

  it('frames still pending when the broker closes the connection are written before the stream ends', async () => {
    await h.start();
    const c = await recordedClient('closing', 'last');
    void h.tb.broker.publish({ topic: 'last', payload: 'before close' }, { trusted: true });
    await h.tb.broker.close();
    await until(() => c.events.includes('end'), 2000, 'the stream to end');
    expect((c.packets as PublishPacket[]).map((p) => p.payload.toString())).toEqual(['before close']);
    expect(c.events).toEqual(['write', 'end']);
  });
});
