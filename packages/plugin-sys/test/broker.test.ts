/**
 * plugin-sys inside a real broker that loads it by package name. Every counter is checked against
 * what this test did itself (bytes written, messages published, clients connected), never against
 * the broker's own stats object.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { encodePacket, type Packet, type PublishPacket } from '@midge/mqtt-core/codec';
import { RawClient, createTestBroker, type TestBroker } from '@midge/mqtt-core/testing';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
let tb: TestBroker | undefined;
const clients: RawClient[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const c of clients.splice(0)) c.destroy();
  await tb?.close();
  tb = undefined;
});

async function start(options: Record<string, unknown>): Promise<TestBroker> {
  tb = await createTestBroker({ plugins: { '@midge/plugin-sys': options } }, { searchDirs: [packageDir] });
  return tb;
}

/** A raw client that counts every byte it writes, so the test knows the broker's bytes/received. */
class CountingClient {
  bytesWritten = 0;
  constructor(readonly raw: RawClient) {}
  send(p: Packet): void {
    const bytes = encodePacket(p, 4);
    this.bytesWritten += bytes.length;
    this.raw.send(bytes);
  }
  async connect(clientId: string): Promise<void> {
    this.send({ type: 'connect', protocolName: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0, clientId });
    const ack = await this.raw.expectPacket('connack');
    // eslint-disable-next-line vitest/no-standalone-expect -- a helper method, only ever called inside tests
    expect(ack.reasonCode).toBe(0);
  }
}

async function client(port: number): Promise<CountingClient> {
  const raw = await RawClient.connect(port);
  clients.push(raw);
  return new CountingClient(raw);
}

/** Collects one full round of the given $SYS topics (one PUBLISH each), in any order. */
async function nextRound(c: RawClient, topics: readonly string[]): Promise<Map<string, string>> {
  const round = new Map<string, string>();
  while (round.size < topics.length) {
    const p = await c.expectPacket('publish', 3000);
    expect(topics).toContain(p.topic);
    round.set(p.topic, p.payload.toString());
  }
  return round;
}

describe('@midge/plugin-sys in a broker', () => {
  it('publishes $SYS/broker/version retained at start', async () => {
    // The core sets no interval of its own: any interval is the plugin's periodic publishing.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { port } = await start({ sys_interval: 0 });
    const sub = await client(port);
    await sub.connect('late-subscriber');
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: '$SYS/broker/version', qos: 0 }] });
    await sub.raw.expectPacket('suback');
    const p: PublishPacket = await sub.raw.expectPacket('publish');
    expect(p.retain).toBe(true);
    expect(p.payload.toString()).toMatch(/^Midge \d+\.\d+\.\d+/);
    // sys_interval 0: no periodic topics.
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(86_400_000);
    await sub.raw.expectNothingBeforePingresp();
  });

  it('counters match exactly what clients did', async () => {
    const topics = [
      '$SYS/broker/load/bytes/received',
      '$SYS/broker/messages/received',
      '$SYS/broker/messages/sent',
      '$SYS/broker/messages/publish/received',
      '$SYS/broker/clients/connected',
      '$SYS/broker/clients/disconnected',
      '$SYS/broker/clients/maximum',
      '$SYS/broker/clients/total',
      '$SYS/broker/messages/retained/count',
      '$SYS/broker/messages/subscriptions/count',
      '$SYS/broker/messages/inflight/in',
      '$SYS/broker/messages/inflight/out',
    ] as const;
    const { port } = await start({ sys_interval: 0.3 });

    const watcher = await client(port);
    await watcher.connect('watcher');
    watcher.send({
      type: 'subscribe',
      packetId: 1,
      subscriptions: topics.map((topic) => ({ topic, qos: 0 as const })),
    });
    await watcher.raw.expectPacket('suback');

    const reader = await client(port);
    await reader.connect('reader');
    reader.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'data/#', qos: 1 }] });
    await reader.raw.expectPacket('suback');

    const publisher = await client(port);
    await publisher.connect('publisher');
    for (let i = 1; i <= 5; i++) {
      publisher.send({
        type: 'publish',
        topic: `data/${i}`,
        payload: Buffer.from(`m${i}`),
        qos: 1,
        retain: i === 5,
        dup: false,
        packetId: i,
      });
      await publisher.raw.expectPacket('puback');
      const delivered = await reader.raw.expectPacket('publish');
      reader.send({ type: 'puback', packetId: delivered.packetId! });
    }
    // A fourth client comes and goes: connected 3, maximum 4, total 4, disconnected 1.
    const transient = await client(port);
    await transient.connect('transient');
    transient.send({ type: 'disconnect' });
    await transient.raw.closed();

    // Rounds sampled while the test was acting are queued at the watcher: read until one shows the
    // last action (the transient client gone), then the round after it was sampled after everything.
    let seen = 0;
    let round = await nextRound(watcher.raw, topics);
    while (round.get('$SYS/broker/clients/disconnected') !== '1') {
      seen += topics.length;
      round = await nextRound(watcher.raw, topics);
    }
    seen += topics.length;
    round = await nextRound(watcher.raw, topics);
    const bytesReceived = watcher.bytesWritten + reader.bytesWritten + publisher.bytesWritten + transient.bytesWritten;
    expect(Object.fromEntries(round)).toEqual({
      '$SYS/broker/load/bytes/received': String(bytesReceived),
      '$SYS/broker/messages/received': '5',
      '$SYS/broker/messages/publish/received': '5',
      // 5 data messages to the reader, plus every $SYS message delivered to the watcher before this round.
      '$SYS/broker/messages/sent': String(5 + seen),
      '$SYS/broker/clients/connected': '3',
      '$SYS/broker/clients/disconnected': '1',
      '$SYS/broker/clients/maximum': '4',
      '$SYS/broker/clients/total': '4',
      // data/5, plus $SYS/broker/version retained by the plugin itself.
      '$SYS/broker/messages/retained/count': '2',
      // The watcher's 12 filters and the reader's one.
      '$SYS/broker/messages/subscriptions/count': String(topics.length + 1),
      '$SYS/broker/messages/inflight/in': '0',
      '$SYS/broker/messages/inflight/out': '0',
    });
  });

  it('reports uptime, time, heap and cpu with the documented types', async () => {
    const topics = [
      '$SYS/broker/time',
      '$SYS/broker/uptime',
      '$SYS/broker/uptime/formatted',
      '$SYS/broker/heap/size',
      '$SYS/broker/heap/maximum',
      '$SYS/broker/cpu/percent',
      '$SYS/broker/cpu/maximum',
      '$SYS/broker/messages/inflight',
      '$SYS/broker/messages/inflight/stored',
      '$SYS/broker/messages/publish/sent',
      '$SYS/broker/load/bytes/sent',
    ];
    const before = Math.floor(Date.now() / 1000);
    const { port } = await start({ sys_interval: 0.2 });
    const watcher = await client(port);
    await watcher.connect('watcher');
    watcher.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: '$SYS/broker/#', qos: 0 }] });
    await watcher.raw.expectPacket('suback');
    // First the retained version, then periodic rounds; gather until every topic was seen once.
    const seen = new Map<string, string>();
    while (topics.some((t) => !seen.has(t))) {
      const p = await watcher.raw.expectPacket('publish', 3000);
      seen.set(p.topic, p.payload.toString());
    }
    const time = Number(seen.get('$SYS/broker/time'));
    expect(time).toBeGreaterThanOrEqual(before);
    expect(time).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(seen.get('$SYS/broker/uptime')).toMatch(/^\d+$/);
    expect(Date.parse(seen.get('$SYS/broker/uptime/formatted')!)).toBeGreaterThan(0);
    for (const t of ['heap/size', 'heap/maximum', 'cpu/percent', 'cpu/maximum']) {
      expect(seen.get(`$SYS/broker/${t}`)).toMatch(/^\d+\.\d{2}$/);
    }
    expect(Number(seen.get('$SYS/broker/heap/size'))).toBeGreaterThan(1);
    expect(Number(seen.get('$SYS/broker/heap/maximum'))).toBeGreaterThanOrEqual(
      Number(seen.get('$SYS/broker/heap/size')) - 0.01,
    );
    expect(seen.get('$SYS/broker/messages/inflight')).toBe('0');
    expect(seen.get('$SYS/broker/load/bytes/sent')).toMatch(/^[1-9]\d*$/);
  });

  it('rejects a bad sys_interval with an error naming the plugin and the key', async () => {
    await expect(start({ sys_interval: 'often' })).rejects.toThrow(/plugin-sys.*sys_interval/s);
    await expect(start({ sys_intervall: 5 })).rejects.toThrow(/sys_intervall/);
  });
});
