/**
 * The outgoing queue is the bridge's persistent session in the edge broker: with a store (LMDB) it
 * survives a restart of the edge while the remote is down, and it is bounded by max_queued_messages.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbPersistence } from '@midge/persistence-lmdb';
import type { TestBroker } from '@midge/mqtt-core/testing';
import { recordingLogger } from '@midge/mqtt-core/testing';
import { afterEach, expect, it } from 'vitest';
import { arrivals, bridgeState, endClients, publisher, startEdge, startRemote, waitFor } from './helpers.js';

let edge: TestBroker | undefined;
let remote: TestBroker | undefined;
let dir = '';
afterEach(async () => {
  await endClients();
  await edge?.close();
  await remote?.close();
  edge = remote = undefined;
  if (dir !== '') await rm(dir, { recursive: true, force: true });
  dir = '';
});

/** An edge whose bridge points at `port`, with an LMDB store in `dir` and these broker settings. */
function edgeAt(port: number, config: Record<string, unknown> = {}): Promise<TestBroker> {
  return startEdge(
    {
      cloud: {
        url: `mqtt://127.0.0.1:${port}`,
        reconnect_delay_min: 0.05,
        reconnect_delay_max: 0.3,
        max_inflight: 5,
        topics: [{ filter: 'data/#', direction: 'out', qos: 1 }],
      },
    },
    recordingLogger(),
    config,
    { persistence: new LmdbPersistence({ path: dir, sync: 'batch' }) },
  );
}

/** Distinct payloads, in the order they first arrived. */
const firsts = (received: { payload: string }[]) => [...new Set(received.map((m) => m.payload))];

it('keeps what waits for the remote across a restart of the edge broker, and sends it in order', async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-bridge-lmdb-'));
  const seen = arrivals();
  remote = await startRemote(0, [seen.plugin]);
  const port = remote.port;
  edge = await edgeAt(port);
  const e = edge;
  await waitFor(() => bridgeState(e, 'cloud') === 'connected', 'the bridge to connect');
  await remote.close();
  remote = undefined;
  await waitFor(() => bridgeState(e, 'cloud') === 'disconnected', 'the bridge to see the remote gone');
  const pub = await publisher(e.url);
  for (let i = 0; i < 50; i++) await pub.publish('data/n', String(i), { qos: 1 });
  await endClients();
  await edge.close();
  edge = await edgeAt(port);
  remote = await startRemote(port, [seen.plugin]);
  await waitFor(() => firsts(seen.received).length === 50, 'the 50 messages at the remote');
  expect(firsts(seen.received)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
});

it('bounds the queue by max_queued_messages while the remote is down (the rest is dropped and counted)', async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-bridge-lmdb-'));
  const seen = arrivals();
  remote = await startRemote(0, [seen.plugin]);
  const port = remote.port;
  edge = await edgeAt(port, { max_queued_messages: 10 });
  const e = edge;
  await waitFor(() => bridgeState(e, 'cloud') === 'connected', 'the bridge to connect');
  await remote.close();
  remote = undefined;
  await waitFor(() => bridgeState(e, 'cloud') === 'disconnected', 'the bridge to see the remote gone');
  const pub = await publisher(e.url);
  for (let i = 0; i < 40; i++) await pub.publish('data/n', String(i), { qos: 1 });
  const dropped = e.broker.api.stats().dropped['queue-full'] ?? 0;
  remote = await startRemote(port, [seen.plugin]);
  await waitFor(() => firsts(seen.received).length === 40 - dropped, 'what was queued at the remote');
  // At most the inflight window (5, held by the bridge) and the queue (10) got through.
  expect(40 - dropped).toBeLessThanOrEqual(15);
  expect(dropped).toBeGreaterThanOrEqual(25);
  const got = firsts(seen.received).map(Number);
  expect(got).toEqual([...got].sort((a, b) => a - b));
});

it('drops the subscriptions of topics removed from the config from its persistent local session', async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-bridge-lmdb-'));
  remote = await startRemote();
  const withTopics = (topics: unknown[]) =>
    startEdge(
      { cloud: { url: remote?.url, reconnect_delay_min: 0.05, topics } },
      recordingLogger(),
      {},
      {
        persistence: new LmdbPersistence({ path: dir, sync: 'batch' }),
      },
    );
  const filters = (tb: TestBroker) =>
    [...tb.broker.api.subscriptions()]
      .filter((s) => s.clientId === '$bridge/cloud')
      .map((s) => s.filter)
      .sort();
  edge = await withTopics([{ filter: 'a/#' }, { filter: 'b/#' }]);
  const first = edge;
  await waitFor(() => filters(first).length === 2, 'both subscriptions');
  await edge.close();
  edge = await withTopics([{ filter: 'b/#' }, { filter: 'c/#' }]);
  const second = edge;
  await waitFor(() => filters(second).join() === 'b/#,c/#', 'the subscriptions of the new config only');
  expect(filters(second)).toEqual(['b/#', 'c/#']);
});
