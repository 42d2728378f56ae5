/**
 * A Midge at the edge bridged to another Midge over real sockets: both directions at QoS 0/1/2, prefix
 * mapping, the retained flag, no loop on a topic bridged both ways, the `$SYS` state topic.
 */
import { createTestBroker, recordingLogger, type TestBroker } from '@midge/mqtt-core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { bridgeState, endClients, publisher, sleep, startEdge, startRemote, subscriber, waitFor } from './helpers.js';

let edge: TestBroker | undefined;
let remote: TestBroker | undefined;
afterEach(async () => {
  await endClients();
  await edge?.close();
  await remote?.close();
  edge = remote = undefined;
});

async function bridged(topics: unknown[], extra: Record<string, unknown> = {}): Promise<[TestBroker, TestBroker]> {
  remote = await startRemote();
  edge = await startEdge({
    cloud: { url: remote.url, reconnect_delay_min: 0.05, reconnect_delay_max: 0.5, topics, ...extra },
  });
  const e = edge;
  await waitFor(() => bridgeState(e, 'cloud') === 'connected', 'the bridge to connect');
  return [edge, remote];
}

describe('Midge ↔ Midge bridge', () => {
  it('carries out with remote_prefix and in with local_prefix, at QoS 0, 1 and 2, counted', async () => {
    const [e, r] = await bridged([
      { filter: 'sensors/#', direction: 'out', qos: 2, remote_prefix: 'site1/' },
      { filter: 'commands/#', direction: 'in', qos: 2, local_prefix: 'cloud/' },
    ]);
    const atRemote = await subscriber(r.url, ['#']);
    const atEdge = await subscriber(e.url, ['#']);
    const edgePub = await publisher(e.url);
    const remotePub = await publisher(r.url);
    const N = 20;
    for (let i = 0; i < N; i++) {
      for (const qos of [0, 1, 2] as const) {
        await edgePub.publish(`sensors/t/${qos}`, `o${i}`, { qos });
        await remotePub.publish(`commands/x/${qos}`, `i${i}`, { qos });
      }
    }
    const outs = () => atRemote.messages.filter((m) => m.topic.startsWith('site1/sensors/'));
    const ins = () => atEdge.messages.filter((m) => m.topic.startsWith('cloud/commands/'));
    await waitFor(() => outs().length === 3 * N && ins().length === 3 * N, 'every message across');
    for (const qos of [0, 1, 2] as const) {
      const out = outs().filter((m) => m.topic === `site1/sensors/t/${qos}`);
      expect(out.map((m) => m.payload.toString())).toEqual(Array.from({ length: N }, (_, i) => `o${i}`));
      expect(new Set(out.map((m) => m.qos))).toEqual(new Set([qos]));
      const inn = ins().filter((m) => m.topic === `cloud/commands/x/${qos}`);
      expect(inn.map((m) => m.payload.toString())).toEqual(Array.from({ length: N }, (_, i) => `i${i}`));
      expect(new Set(inn.map((m) => m.qos))).toEqual(new Set([qos]));
    }
    // Nothing crossed that the topics do not name: remote's commands stay there, edge's sensors here.
    expect(atRemote.messages.filter((m) => m.topic.startsWith('commands/')).length).toBe(3 * N);
    expect(atEdge.messages.filter((m) => m.topic.startsWith('sensors/')).length).toBe(3 * N);
    expect(atEdge.messages.some((m) => m.topic.startsWith('site1/'))).toBe(false);
    const metrics = e.broker.api.pluginMetrics().find((p) => p.plugin === '@midge/plugin-bridge')?.metrics ?? [];
    const out1 = metrics.find(
      (m) => m.name === 'bridge_messages_total' && m.labels?.direction === 'out' && m.labels.qos === '1',
    );
    expect(out1?.value).toBe(N);
  });

  it('keeps the retained flag both ways', async () => {
    const [e, r] = await bridged([
      { filter: 'up/#', direction: 'out', qos: 1 },
      { filter: 'down/#', direction: 'in', qos: 1 },
    ]);
    const edgePub = await publisher(e.url);
    const remotePub = await publisher(r.url);
    await edgePub.publish('up/kept', 'u', { qos: 1, retain: true });
    await edgePub.publish('up/live', 'l', { qos: 1, retain: false });
    await remotePub.publish('down/kept', 'd', { qos: 1, retain: true });
    await waitFor(
      () => r.broker.api.getRetained('up/kept') !== undefined && e.broker.api.getRetained('down/kept') !== undefined,
      'the retained messages on the other side',
    );
    expect(r.broker.api.getRetained('up/kept')?.payload.toString()).toBe('u');
    expect(e.broker.api.getRetained('down/kept')?.payload.toString()).toBe('d');
    await sleep(100);
    expect(r.broker.api.getRetained('up/live')).toBeUndefined();
  });

  it('a topic bridged both ways does not loop: each message arrives once on each side', async () => {
    const [e, r] = await bridged([{ filter: 'shared/#', direction: 'both', qos: 1 }]);
    const atRemote = await subscriber(r.url, ['shared/#']);
    const atEdge = await subscriber(e.url, ['shared/#']);
    await (await publisher(e.url)).publish('shared/a', 'from-edge', { qos: 1 });
    await (await publisher(r.url)).publish('shared/b', 'from-remote', { qos: 1 });
    await waitFor(() => atRemote.messages.length >= 2 && atEdge.messages.length >= 2, 'both messages on both sides');
    // Long enough for an echo to go round (a few local round trips).
    await sleep(500);
    const payloads = (ms: { payload: Buffer }[]) => ms.map((m) => m.payload.toString()).sort();
    expect(payloads(atRemote.messages)).toEqual(['from-edge', 'from-remote']);
    expect(payloads(atEdge.messages)).toEqual(['from-edge', 'from-remote']);
  });

  it('publishes its state retained under $SYS/broker/bridge/<name>/state', async () => {
    const [e, r] = await bridged([{ filter: 'x', direction: 'out', qos: 0 }]);
    expect(bridgeState(e, 'cloud')).toBe('connected');
    await r.close();
    remote = undefined;
    await waitFor(() => bridgeState(e, 'cloud') === 'disconnected', 'the state to say disconnected');
    const connected = e.broker.api
      .pluginMetrics()
      .flatMap((p) => p.metrics)
      .find((m) => m.name === 'bridge_connected');
    expect(connected?.value).toBe(0);
  });
});

describe('Midge ↔ Midge bridge settings', () => {
  it('warns when the remote takes fewer unacknowledged messages than max_inflight', async () => {
    remote = await createTestBroker({ receive_maximum: 5 });
    const logger = recordingLogger();
    edge = await startEdge({ cloud: { url: remote.url, max_inflight: 20, topics: [{ filter: 'x' }] } }, logger);
    const e = edge;
    await waitFor(() => bridgeState(e, 'cloud') === 'connected', 'the bridge to connect');
    const warning = logger.records.find((r) => r.level === 'warn' && /fewer unacknowledged/.test(r.msg));
    expect(warning?.obj).toMatchObject({ receiveMaximum: 5, max_inflight: 20 });
  });
});
