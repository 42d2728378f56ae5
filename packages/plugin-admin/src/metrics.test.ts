import { ZERO_STATS, type BrokerStats } from '@midge/mqtt-core';
import { describe, expect, it } from 'vitest';
import { findPromtool, parsePrometheusText, promtoolCheck, valueOf } from '../test/prometheus-text.js';
import { brokerMetrics, wantsOpenMetrics } from './metrics.js';

/** A broker whose stats the test sets, counting how often they are read. */
function fakeSource(stats: Partial<BrokerStats>, listeners: Record<string, number> = {}) {
  const source = {
    reads: 0,
    current: { ...ZERO_STATS, ...stats },
    broker: {
      stats: (): BrokerStats => {
        source.reads++;
        return source.current;
      },
      sessionCount: () => 7,
      subscriptionCount: () => 11,
    },
    connectionsByListener: () => new Map(Object.entries(listeners)),
  };
  return source;
}

const STATS: Partial<BrokerStats> = {
  messagesReceived: 120,
  messagesSent: 340,
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
      ['midge_messages_received_total', {}, 120],
      ['midge_messages_sent_total', {}, 340],
      ['midge_bytes_received_total', {}, 5000],
      ['midge_bytes_sent_total', {}, 9000],
      ['midge_packets_received_total', {}, 130],
      ['midge_packets_sent_total', {}, 345],
      ['midge_connect_total', { result: 'accepted' }, 9],
      ['midge_connections', { listener: 'default' }, 2],
      ['midge_connections', { listener: 'ws' }, 1],
      ['midge_clients_connected', {}, 3],
      ['midge_inflight_messages', { direction: 'in' }, 2],
      ['midge_inflight_messages', { direction: 'out' }, 5],
      ['midge_queued_messages', {}, 4],
      ['midge_retained_messages', {}, 6],
      ['midge_sessions', {}, 7],
      ['midge_subscriptions', {}, 11],
      ['midge_messages_dropped_total', { reason: 'queue-full' }, 3],
      ['midge_messages_dropped_total', { reason: 'expired' }, 1],
      ['midge_limits_hit_total', { cause: 'max_queued_bytes' }, 2],
      ['midge_connection_errors_total', {}, 1],
    ];
    for (const [name, labels, value] of expected)
      expect([name, labels, valueOf(f, name, labels)]).toEqual([name, labels, value]);
    expect(f.get('midge_messages_received_total')?.type).toBe('counter');
    expect(f.get('midge_connections')?.type).toBe('gauge');
    // Node's default metrics, under the same prefix.
    expect(f.get('midge_nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(f.get('midge_nodejs_heap_size_used_bytes')?.type).toBe('gauge');
  });

  it('reads the stats again at each scrape and forgets listeners without clients', async () => {
    const listeners: Record<string, number> = { default: 1 };
    const source = fakeSource(STATS, listeners);
    const metrics = brokerMetrics(source);
    await metrics.scrape(false);
    source.current = { ...source.current, messagesReceived: 121 };
    delete listeners['default'];
    const f = parsePrometheusText((await metrics.scrape(false)).body);
    expect(valueOf(f, 'midge_messages_received_total')).toBe(121);
    expect(f.get('midge_connections')?.samples).toEqual([]);
  });

  it('renders OpenMetrics when asked: counters typed without _total, samples with it, # EOF at the end', async () => {
    const metrics = brokerMetrics(fakeSource(STATS));
    const om = await metrics.scrape(true);
    expect(om.contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(om.body).toMatch(/^# TYPE midge_messages_received counter$/m);
    expect(om.body).toMatch(/^midge_messages_received_total 120$/m);
    expect(om.body.endsWith('# EOF\n')).toBe(true);
    // The text registry is untouched by the OpenMetrics rendering.
    const text = await metrics.scrape(false);
    expect(text.body).toMatch(/^# TYPE midge_messages_received_total counter$/m);
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
