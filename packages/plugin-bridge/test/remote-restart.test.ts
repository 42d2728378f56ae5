/**
 * The remote Midge stops mid-stream and comes back on the same port: every QoS 1 message the edge
 * acknowledged to its publisher reaches the remote, in order, though a third of them were published
 * while the remote was down (they waited in the bridge's session in the edge broker); and, with a remote
 * that keeps sessions in a store, every message published on the remote reaches the edge.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbPersistence } from '@midge/persistence-lmdb';
import type { TestBroker } from '@midge/mqtt-core/testing';
import { afterEach, expect, it } from 'vitest';
import {
  arrivals,
  bridgeState,
  endClients,
  publisher,
  startEdge,
  startRemote,
  subscriber,
  waitFor,
} from './helpers.js';

let edge: TestBroker | undefined;
let remote: TestBroker | undefined;
afterEach(async () => {
  await endClients();
  await edge?.close();
  await remote?.close();
  edge = remote = undefined;
});

it('loses no acknowledged QoS 1 message across a remote restart, and keeps their order', async () => {
  const seen = arrivals();
  remote = await startRemote(0, [seen.plugin]);
  const port = remote.port;
  edge = await startEdge({
    cloud: {
      url: remote.url,
      reconnect_delay_min: 0.05,
      reconnect_delay_max: 0.3,
      topics: [{ filter: 'data/#', direction: 'out', qos: 1 }],
    },
  });
  const e = edge;
  await waitFor(() => bridgeState(e, 'cloud') === 'connected', 'the bridge to connect');
  const pub = await publisher(e.url);
  const N = 300;
  let acknowledged = 0;
  for (let i = 0; i < N; i++) {
    // Each awaited: resolved on the edge's PUBACK, the message is the edge's to deliver.
    await pub.publish('data/n', String(i), { qos: 1 });
    acknowledged++;
    if (i === 100) {
      await remote?.close();
      remote = undefined;
    }
    if (i === 200) {
      expect(bridgeState(e, 'cloud')).toBe('disconnected');
      remote = await startRemote(port, [seen.plugin]);
    }
  }
  expect(acknowledged).toBe(N);
  await waitFor(
    () => new Set(seen.received.map((m) => m.payload)).size === N,
    `all ${N} messages at the remote`,
    20_000,
  );
  // QoS 1 is at least once: a message in flight when the remote stopped may come twice. In order: the
  // first arrivals of the messages are 0, 1, 2, ...
  const firsts: number[] = [];
  const had = new Set<string>();
  for (const m of seen.received) {
    if (had.has(m.payload)) continue;
    had.add(m.payload);
    firsts.push(Number(m.payload));
  }
  expect(firsts).toEqual(Array.from({ length: N }, (_, i) => i));
  expect(seen.received.every((m) => m.topic === 'data/n' && m.qos === 1)).toBe(true);
});

it('counts QoS 1 both ways across a restart of a remote with a store: none lost, in order', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'midge-bridge-remote-'));
  try {
    const store = () => ({ persistence: new LmdbPersistence({ path: dir, sync: 'batch' }) });
    remote = await startRemote(0, [], store());
    const port = remote.port;
    edge = await startEdge({
      cloud: {
        url: remote.url,
        reconnect_delay_min: 0.05,
        reconnect_delay_max: 0.3,
        topics: [
          { filter: 'up/#', direction: 'out', qos: 1 },
          { filter: 'down/#', direction: 'in', qos: 1 },
        ],
      },
    });
    const e = edge;
    await waitFor(() => bridgeState(e, 'cloud') === 'connected', 'the bridge to connect');
    const again = { clean: false, reconnectInitialDelay: 0.05, reconnectRetries: -1 };
    // Counted at the remote by a persistent subscriber (its session is in the remote's store too).
    const atRemote = await subscriber(remote.url, ['up/#'], {
      ...again,
      clientId: 'count-up',
      properties: { sessionExpiryInterval: 600 },
      qos: 1,
    });
    const atEdge = await subscriber(e.url, ['down/#'], { qos: 1 });
    const edgePub = await publisher(e.url);
    const remotePub = await publisher(remote.url, again);
    const N = 150;
    for (let i = 0; i < N; i++) {
      if (i === 50) {
        await remote?.close();
        remote = undefined;
        await waitFor(() => bridgeState(e, 'cloud') === 'disconnected', 'the bridge to see the remote gone');
      }
      if (i === 100) remote = await startRemote(port, [], store());
      await edgePub.publish('up/n', `u${i}`, { qos: 1 });
      // Down: the remote is the publisher's broker; while it is away its client waits to reconnect.
      if (i < 50 || i >= 100) await remotePub.publish('down/n', `d${i}`, { qos: 1 });
    }
    const firsts = (ms: { payload: Buffer }[]) => [...new Set(ms.map((m) => m.payload.toString()))];
    await waitFor(
      () => firsts(atRemote.messages).length === N && firsts(atEdge.messages).length === 100,
      'every message on each side',
      20_000,
    );
    expect(firsts(atRemote.messages)).toEqual(Array.from({ length: N }, (_, i) => `u${i}`));
    const down = [...Array.from({ length: 50 }, (_, i) => i), ...Array.from({ length: 50 }, (_, i) => 100 + i)];
    expect(firsts(atEdge.messages)).toEqual(down.map((i) => `d${i}`));
  } finally {
    await endClients();
    await edge?.close();
    await remote?.close();
    edge = remote = undefined;
    await rm(dir, { recursive: true, force: true });
  }
});
