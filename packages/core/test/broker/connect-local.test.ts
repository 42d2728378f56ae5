/**
 * `BrokerApi.connectLocal`: an in-process connection served like a network one, for a client given the
 * stream through its `stream` option; and the client's `manualAck`, which holds PUBACK until `ack()`.
 */
import type { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type ClientMessage, type MqttClient } from '../../src/client/index.js';
import type { BrokerEvents } from '../../src/plugin-api/types.js';
import { createTestBroker, type TestBroker } from '../../src/testing/index.js';
import { collect, waitFor } from '../client/helpers.js';

let tb: TestBroker | undefined;
const clients: MqttClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.end(true);
  await tb?.close();
  tb = undefined;
});

function local(t: TestBroker, clientId: string, extra: Parameters<typeof connect>[1] = {}): Promise<MqttClient> {
  return connect({
    url: 'mqtt://in-process',
    clientId,
    protocolVersion: 5,
    reconnectInitialDelay: 0.05,
    stream: () => t.broker.api.connectLocal({ listener: 'bridge' }),
    ...extra,
  }).then((c) => {
    clients.push(c);
    return c;
  });
}

describe('BrokerApi.connectLocal', () => {
  it('serves an in-process client as a connection of the named listener, both ways', async () => {
    tb = await createTestBroker();
    const seen: BrokerEvents['client:connected'][] = [];
    tb.broker.on('client:connected', (e) => seen.push(e));
    const c = await local(tb, 'in-proc');
    expect(seen.map((e) => [e.client.clientId, e.client.listener, e.client.remoteAddress])).toEqual([
      ['in-proc', 'bridge', ''],
    ]);
    await c.subscribe('a/#', { qos: 1 });
    const net = await connect(tb.url);
    clients.push(net);
    const got = collect(c, 1);
    await net.publish('a/b', 'over tcp', { qos: 1 });
    expect((await got)[0]?.payload.toString()).toBe('over tcp');
    const back = collect(net, 1);
    await net.subscribe('z', { qos: 1 });
    await c.publish('z', 'in process', { qos: 1 });
    expect((await back)[0]?.payload.toString()).toBe('in process');
  });

  it('a destroyed stream is a lost connection: the client reconnects through a new one and resumes its session', async () => {
    tb = await createTestBroker();
    const streams: Duplex[] = [];
    const t = tb;
    const c = await local(t, 'resumer', {
      clean: false,
      properties: { sessionExpiryInterval: 60 },
      stream: () => {
        const s = t.broker.api.connectLocal();
        streams.push(s);
        return s;
      },
    });
    await c.subscribe('q/#', { qos: 1 });
    const back = new Promise<boolean>((resolve) => c.once('connect', (r) => resolve(r.sessionPresent)));
    streams[0]?.destroy();
    expect(await back).toBe(true);
    expect(streams.length).toBe(2);
    expect(t.broker.api.sessions().find((s) => s.clientId === 'resumer')?.connected).toBe(true);
  });
});

describe('client manualAck', () => {
  it('holds the PUBACK until ack(): the broker resends an unacknowledged message after a reconnect', async () => {
    tb = await createTestBroker();
    const t = tb;
    const streams: Duplex[] = [];
    const c = await local(t, 'holder', {
      clean: false,
      manualAck: true,
      properties: { sessionExpiryInterval: 60 },
      stream: () => {
        const s = t.broker.api.connectLocal();
        streams.push(s);
        return s;
      },
    });
    await c.subscribe('m/#', { qos: 1 });
    const received: ClientMessage[] = [];
    c.on('message', (m) => received.push(m));
    await t.broker.api.publish({ topic: 'm/1', payload: 'one', qos: 1 }, { trusted: true });
    await t.broker.api.publish({ topic: 'm/2', payload: 'two', qos: 1 }, { trusted: true });
    await waitFor(() => received.length === 2, 'two messages');
    const inflight = () => t.broker.api.sessions().find((s) => s.clientId === 'holder')?.inflight;
    // Nothing acknowledged yet: both are inflight at the broker.
    expect(inflight()).toBe(2);
    received[0]?.ack?.();
    received[0]?.ack?.();
    await waitFor(() => inflight() === 1, 'one acknowledged');
    // The unacknowledged one comes again (DUP) on the next connection; the acknowledged one does not.
    streams[0]?.destroy();
    await waitFor(() => received.length === 3, 'the resend');
    expect(received[2]).toMatchObject({ topic: 'm/2', dup: true });
    received[2]?.ack?.();
    await waitFor(() => inflight() === 0, 'all acknowledged');
  });

  it('without manualAck a message carries no ack() and is acknowledged on delivery', async () => {
    tb = await createTestBroker();
    const t = tb;
    const c = await local(t, 'auto');
    await c.subscribe('m/#', { qos: 1 });
    const got = collect(c, 1);
    await t.broker.api.publish({ topic: 'm/1', payload: 'one', qos: 1 }, { trusted: true });
    expect((await got)[0]?.ack).toBeUndefined();
    await waitFor(
      () => t.broker.api.sessions().find((s) => s.clientId === 'auto')?.inflight === 0,
      'the automatic PUBACK',
    );
  });
});
