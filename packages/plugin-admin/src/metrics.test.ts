import { ZERO_STATS, type BrokerStats, type BrokerTimings, type PluginMetric, type StoreStats } from '@midge/mqtt-core';
import { recordingLogger } from '@midge/mqtt-core/testing';
import { describe, expect, it } from 'vitest';
import { findPromtool, parsePrometheusText, promtoolCheck, valueOf } from '../test/prometheus-text.js';
import { brokerMetrics, wantsOpenMetrics } from './metrics.js';

/** A broker whose stats the test sets, counting how often they are read. */
function fakeSource(stats: Partial<BrokerStats>, listeners: Record<string, number> = {}) {
  const source = {
    reads: 0,
    current: { ...ZERO_STATS, ...stats },
    plugins: [] as { plugin: string; metrics: PluginMetric[] }[],
    logger: recordingLogger(),
    broker: {
      storeStats: (): StoreStats => STORE,
      pluginMetrics: () => source.plugins,
      stats: (): BrokerStats => {
        source.reads++;
        return source.current;
      },
      timings: (): BrokerTimings => TIMINGS,
      sessionCount: () => 7,
      subscriptionCount: () => 11,
    },
    connectionsByListener: () => new Map(Object.entries(listeners)),
  };
  return source;
}

const TIMINGS: BrokerTimings = {
  decisions: [
    {
      plugin: 'acl',
      hook: 'authorizeTopic',
      sampleEvery: 16,
      histogram: { bounds: [0.001, 0.01], counts: [5, 2, 1], sum: 0.5, count: 8 },
    },
  ],
  deliveryLatency: { bounds: [0.001, 0.01], counts: [3, 0, 1], sum: 2.25, count: 4 },
  deliveryLatencySampleEvery: 64,
};

const STORE: StoreStats = {
  kind: '@midge/persistence-lmdb',
  writes: 1234,
  writeFailures: 2,
  pendingWrites: 17,
  congested: false,
  failing: 'ENOSPC',
};

const STATS: Partial<BrokerStats> = {
  messagesReceived: 120,
  messagesReceivedByQos: [100, 15, 5],
  messagesSent: 340,
  messagesSentByQos: [300, 30, 10],
  connectRefused: { 'bad-credentials': 4, 'not-authorized': 1 },
  bytesReceived: 5000,
  bytesSent: 9000,
  packetsReceived: 130,
  packetsSent: 345,
  clientsTotal: 9,
  clientsConnected: 3,
  inflightIn: 2,
  inflightOut: 5,
  messagesStored: 4,
  retainedCount: 6,
  dropped: { 'queue-full': 3, expired: 1 },
  limitsHit: { max_queued_bytes: 2 },
  connectionErrors: 1,
};

describe('broker metrics', () => {
  it("maps the broker's stats to Prometheus series, one stats read per scrape", async () => {
    const source = fakeSource(STATS, { default: 2, ws: 1 });
    const { contentType, body } = await brokerMetrics(source).scrape(false);
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(source.reads).toBe(1);
    const f = parsePrometheusText(body);
    const expected: [string, Record<string, string>, number][] = [
      ['midge_messages_received_total', { qos: '0' }, 100],
      ['midge_messages_received_total', { qos: '1' }, 15],
      ['midge_messages_received_total', { qos: '2' }, 5],
      ['midge_messages_sent_total', { qos: '0' }, 300],
      ['midge_messages_sent_total', { qos: '1' }, 30],
      ['midge_messages_sent_total', { qos: '2' }, 10],
      ['midge_bytes_received_total', {}, 5000],
      ['midge_bytes_sent_total', {}, 9000],
      ['midge_packets_received_total', {}, 130],
      ['midge_packets_sent_total', {}, 345],
      ['midge_connect_total', { result: 'accepted' }, 9],
      ['midge_connect_total', { result: 'bad-credentials' }, 4],
      ['midge_connect_total', { result: 'not-authorized' }, 1],
      ['midge_connections', { listener: 'default' }, 2],
      ['midge_connections', { listener: 'ws' }, 1],
      ['midge_clients_connected', {}, 3],
      ['midge_inflight_messages', { direction: 'in' }, 2],
      ['midge_inflight_messages', { direction: 'out' }, 5],
      ['midge_queued_messages', {}, 4],
      ['midge_retained_messages', {}, 6],
      ['midge_sessions', { state: 'connected' }, 3],
      ['midge_sessions', { state: 'offline' }, 4],
      ['midge_subscriptions', {}, 11],
      ['midge_messages_dropped_total', { reason: 'queue-full' }, 3],
      ['midge_messages_dropped_total', { reason: 'expired' }, 1],
      ['midge_limits_hit_total', { cause: 'max_queued_bytes' }, 2],
      ['midge_connection_errors_total', {}, 1],
      // Buckets are cumulative, as Prometheus reads them.
      ['midge_plugin_decision_seconds_bucket', { plugin: 'acl', hook: 'authorizeTopic', le: '0.001' }, 5],
      ['midge_plugin_decision_seconds_bucket', { plugin: 'acl', hook: 'authorizeTopic', le: '0.01' }, 7],
      ['midge_plugin_decision_seconds_bucket', { plugin: 'acl', hook: 'authorizeTopic', le: '+Inf' }, 8],
      ['midge_plugin_decision_seconds_sum', { plugin: 'acl', hook: 'authorizeTopic' }, 0.5],
      ['midge_plugin_decision_seconds_count', { plugin: 'acl', hook: 'authorizeTopic' }, 8],
      ['midge_delivery_latency_seconds_bucket', { le: '0.001' }, 3],
      ['midge_delivery_latency_seconds_bucket', { le: '0.01' }, 3],
      ['midge_delivery_latency_seconds_bucket', { le: '+Inf' }, 4],
      ['midge_delivery_latency_seconds_sum', {}, 2.25],
      ['midge_delivery_latency_seconds_count', {}, 4],
      ['midge_store_writes_total', {}, 1234],
      ['midge_store_write_failures_total', {}, 2],
      ['midge_store_pending_writes', {}, 17],
      ['midge_store_congested', {}, 0],
      ['midge_store_failing', {}, 1],
      ['midge_store_info', { kind: '@midge/persistence-lmdb' }, 1],
    ];
    for (const [name, labels, value] of expected)
      expect([name, labels, valueOf(f, name, labels)]).toEqual([name, labels, value]);
    expect(f.get('midge_messages_received_total')?.type).toBe('counter');
    expect(f.get('midge_connections')?.type).toBe('gauge');
    expect(f.get('midge_plugin_decision_seconds')?.type).toBe('histogram');
    expect(f.get('midge_delivery_latency_seconds')?.type).toBe('histogram');
    // Node's default metrics, under the same prefix.
    expect(f.get('midge_nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(f.get('midge_nodejs_heap_size_used_bytes')?.type).toBe('gauge');
  });

  it('reads the stats again at each scrape and forgets listeners without clients', async () => {
    const listeners: Record<string, number> = { default: 1 };
    const source = fakeSource(STATS, listeners);
    const metrics = brokerMetrics(source);
    await metrics.scrape(false);
    source.current = { ...source.current, messagesReceived: 121, messagesReceivedByQos: [101, 15, 5] };
    delete listeners['default'];
    const f = parsePrometheusText((await metrics.scrape(false)).body);
    expect(valueOf(f, 'midge_messages_received_total', { qos: '0' })).toBe(101);
    expect(f.get('midge_connections')?.samples).toEqual([]);
  });

  it('renders OpenMetrics when asked: counters typed without _total, samples with it, # EOF at the end', async () => {
    const metrics = brokerMetrics(fakeSource(STATS));
    const om = await metrics.scrape(true);
    expect(om.contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(om.body).toMatch(/^# TYPE midge_messages_received counter$/m);
    expect(om.body).toMatch(/^midge_messages_received_total\{qos="0"\} 100$/m);
    expect(om.body).toMatch(/^# TYPE midge_delivery_latency_seconds histogram$/m);
    expect(om.body).toMatch(/^midge_delivery_latency_seconds_bucket\{le="\+Inf"\} 4$/m);
    expect(om.body.endsWith('# EOF\n')).toBe(true);
    // The text registry is untouched by the OpenMetrics rendering.
    const text = await metrics.scrape(false);
    expect(text.body).toMatch(/^# TYPE midge_messages_received_total counter$/m);
  });

  it("exports plugins' figures as midge_<name>, refusing bad or clashing names once, in both formats", async () => {
    const source = fakeSource(STATS);
    source.plugins = [
      {
        plugin: 'cluster',
        metrics: [
          { name: 'cluster_nodes', help: 'Nodes', type: 'gauge', value: 3 },
          { name: 'cluster_messages_total', help: 'Sent', type: 'counter', value: 10, labels: { direction: 'out' } },
          { name: 'cluster_messages_total', help: 'Sent', type: 'counter', value: 7, labels: { direction: 'in' } },
          { name: 'connections', help: 'clash', type: 'gauge', value: 1 },
          { name: 'Bad-Name', help: 'bad', type: 'gauge', value: 1 },
          { name: 'cluster_sent', help: 'a counter without _total', type: 'counter', value: 1 },
        ],
      },
      { plugin: 'other', metrics: [{ name: 'cluster_nodes', help: 'taken', type: 'gauge', value: 9 }] },
    ];
    const metrics = brokerMetrics(source);
    const f = parsePrometheusText((await metrics.scrape(false)).body);
    expect(valueOf(f, 'midge_cluster_nodes')).toBe(3);
    expect(valueOf(f, 'midge_cluster_messages_total', { direction: 'out' })).toBe(10);
    expect(valueOf(f, 'midge_cluster_messages_total', { direction: 'in' })).toBe(7);
    expect(f.get('midge_cluster_messages_total')?.type).toBe('counter');
    expect(f.get('midge_Bad-Name')).toBeUndefined();
    expect(f.get('midge_cluster_sent')).toBeUndefined();
    const warnings = () => source.logger.records.filter((r) => r.level === 'warn').map((r) => String(r.msg));
    expect(warnings()).toHaveLength(4);
    expect(warnings().join('\n')).toMatch(/'connections' left out of \/metrics: the broker's own midge_connections/);
    expect(warnings().join('\n')).toMatch(/plugin other: metric 'cluster_nodes' left out .* by plugin cluster/);

    const om = await metrics.scrape(true);
    expect(om.body).toMatch(/^# TYPE midge_cluster_messages counter$/m);
    expect(om.body).toMatch(/^midge_cluster_messages_total\{direction="out"\} 10$/m);
    expect(om.body).toMatch(/^midge_cluster_nodes 3$/m);

    // The plugin is gone (a reload): its families render no samples; nothing is said twice.
    source.plugins = [];
    const after = parsePrometheusText((await metrics.scrape(false)).body);
    expect(valueOf(after, 'midge_cluster_nodes')).toBeUndefined();
    expect(warnings()).toHaveLength(4);
  });

  it('tells an OpenMetrics Accept header (as Prometheus sends) from others', () => {
    expect(
      wantsOpenMetrics(
        'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
      ),
    ).toBe(true);
    expect(wantsOpenMetrics('text/plain')).toBe(false);
    expect(wantsOpenMetrics('*/*')).toBe(false);
    expect(wantsOpenMetrics(undefined)).toBe(false);
  });

  // Outside CI a machine without promtool skips this check (the strict parser above still runs); in CI a
  // missing promtool is a failure, never a silent skip (.ci/run extracts it from Debian's prometheus package).
  const promtool = findPromtool();
  it.runIf(promtool !== undefined || process.env['CI'] === 'true')('passes promtool check metrics', async () => {
    expect(promtool, "promtool is missing: .ci/run extracts it from Debian's prometheus package").toBeDefined();
    const { body } = await brokerMetrics(fakeSource(STATS, { default: 2 })).scrape(false);
    const r = promtoolCheck(promtool ?? 'promtool', body);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });
});
