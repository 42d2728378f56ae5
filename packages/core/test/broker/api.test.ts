import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { encodePacket, PacketDecoder } from '../../src/codec/index.js';
import type { Packet } from '../../src/codec/packets.js';
import { definePlugin } from '../../src/plugin-api/index.js';
import type { BrokerApi } from '../../src/plugin-api/types.js';
import { createBroker } from '../../src/broker/broker.js';
import { nullLogger } from '../../src/log.js';
import { RawClient } from '../../src/testing/index.js';
import { Harness, subscribe, until } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

/** Two connected in-memory Duplex ends. */
function pair(): [Duplex, Duplex] {
  const ends: Duplex[] = [];
  const make = (other: number) =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        ends[other]!.push(chunk);
        cb();
      },
      final(cb) {
        ends[other]!.push(null);
        cb();
      },
    });
  ends.push(make(1), make(0));
  return [ends[0]!, ends[1]!];
}

describe('Broker API', () => {
  it('publish() routes a message from the broker itself', async () => {
    await h.start();
    const s = await h.subscriber('api/#', 1);
    await h.tb.broker.publish({ topic: 'api/x', payload: 'hi', qos: 1 }, { trusted: true });
    const p = await s.expectPacket('publish');
    expect(p).toMatchObject({ topic: 'api/x', qos: 1 });
    await expect(h.tb.broker.publish({ topic: 'bad/#', payload: '' }, { trusted: true })).rejects.toThrow(
      /cannot publish/,
    );
  });

  it('handle() serves any Duplex as a client connection', async () => {
    await h.start();
    const [server, client] = pair();
    h.tb.broker.handle(server, { listener: 'memory' });
    const decoder = new PacketDecoder();
    const got: Packet[] = [];
    client.on('data', (b: Buffer) => decoder.feed(b, (p) => got.push(p)));
    client.write(
      encodePacket({
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 0,
        clientId: 'mem',
      }),
    );
    client.write(encodePacket({ type: 'pingreq' }));
    await until(() => got.length >= 2, 2000, 'CONNACK and PINGRESP');
    expect(got.map((p) => p.type)).toEqual(['connack', 'pingresp']);
    client.destroy();
  });

  it('listeners() reports bound addresses; a ws listener serves MQTT over WebSocket', async () => {
    await h.start({
      listeners: { default: { type: 'tcp', bind: '127.0.0.1:0' }, web: { type: 'ws', bind: '127.0.0.1:0' } },
    });
    const addrs = h.tb.broker.listeners();
    expect(addrs.map((a) => a.name).sort()).toEqual(['default', 'web']);
    const web = addrs.find((a) => a.name === 'web')!;
    const s = await h.subscriber('ws');
    const ws = new WebSocket(`ws://127.0.0.1:${web.port}/`, 'mqtt');
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
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
    ws.send(
      encodePacket({
        type: 'publish',
        topic: 'ws',
        payload: Buffer.from('over ws'),
        qos: 0,
        retain: false,
        dup: false,
      }),
    );
    expect((await s.expectPacket('publish')).payload.toString()).toBe('over ws');
    ws.close();
  });

  it('stats() counts bytes, packets and clients exactly', async () => {
    await h.start();
    const a = await h.connected('a');
    await subscribe(a, 't');
    const st = h.tb.broker.stats();
    // CONNECT (15) + SUBSCRIBE (8) received; CONNACK (4) + SUBACK (5) sent.
    expect(st).toMatchObject({ packetsReceived: 2, packetsSent: 2, bytesReceived: 15 + 8, bytesSent: 4 + 5 });
    expect(st).toMatchObject({ clientsConnected: 1, clientsMaximum: 1, clientsTotal: 1, subscriptionCount: 1 });
  });

  it('plugins get a BrokerApi, and reload() reaches their reload hooks', async () => {
    let api: BrokerApi | undefined;
    let reloads = 0;
    const plugin = definePlugin({
      name: 'probe',
      apiVersion: 1,
      setup: (ctx) => {
        api = ctx.broker;
        return { reload: () => void reloads++ };
      },
    });
    await h.start({}, { plugins: [plugin] });
    expect(h.tb.broker.plugins?.plugins.map((p) => p.name)).toEqual(['probe']);
    await api!.publish({ topic: 'r', payload: 'x', retain: true }, { trusted: true });
    expect(api!.getRetained('r')?.payload.toString()).toBe('x');
    expect(api!.stats().retainedCount).toBe(1);
    expect(api!.sessionCount()).toBe(0);
    await h.tb.broker.reload();
    expect(reloads).toBe(1);
  });

  it('createBroker(path) loads a YAML config file; start() twice is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'midge-cfg-'));
    try {
      const file = join(dir, 'midge.yaml');
      writeFileSync(
        file,
        'listeners:\n  default:\n    type: tcp\n    bind: 127.0.0.1:0\nplugins: {}\nmax_inflight_messages: 7\n',
      );
      const broker = await createBroker(file, { logger: nullLogger });
      expect(broker.config.max_inflight_messages).toBe(7);
      await broker.start();
      await expect(broker.start()).rejects.toThrow(/start\(\) called/);
      const c = await RawClient.connect(broker.listeners()[0]!.port);
      expect(await c.connect({ clientId: 'yaml' })).toMatchObject({ reasonCode: 0 });
      await broker.close();
      await c.closed();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
