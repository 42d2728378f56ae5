/**
 * The broker's exact counters (`BrokerApi.stats()`) as Prometheus metrics, read when scraped: nothing is
 * added to the broker's hot path. Connections by listener come from the connect and disconnect events
 * (counted by `ConnectedClients`). No label per client or per topic (cardinality).
 *
 * Two registries hold the same metrics, one per exposition format: prom-client renames a registry's
 * counters in place when it renders OpenMetrics, so one registry cannot serve both formats. The
 * OpenMetrics one is built on the first request that asks for it.
 */
import type { BrokerApi, BrokerStats, BrokerTimings, Logger } from '@midge/mqtt-core';
import { PluginMetricsExporter } from './plugin-metrics.js';
import { registerExternalHistogram } from './external-histogram.js';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { OpenMetricsContentType, PrometheusContentType, RegistryContentType } from 'prom-client';

type AnyRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

/** What the metrics are read from at scrape time. */
export interface MetricsSource {
  readonly broker: Pick<
    BrokerApi,
    'stats' | 'timings' | 'sessionCount' | 'subscriptionCount' | 'storeStats' | 'pluginMetrics'
  >;
  /** Where refused plugin metrics are reported (once each). */
  readonly logger: Logger;
  /** Connected clients per listener name. */
  connectionsByListener(): ReadonlyMap<string, number>;
}

/** Reads the broker's stats once per scrape, so every metric of one scrape shows the same moment. */
type ReadStats = () => BrokerStats;
type ReadTimings = () => BrokerTimings;

/** A [QoS 0, QoS 1, QoS 2] triple as label values. */
function byQos(counts: readonly [number, number, number]): Record<string, number> {
  return { '0': counts[0], '1': counts[1], '2': counts[2] };
}

/** A counter whose value is read from the broker at scrape time (the broker's counters only grow). */
function counterOf(
  registry: AnyRegistry,
  name: string,
  help: string,
  read: (s: BrokerStats) => number | Readonly<Record<string, number>>,
  stats: ReadStats,
  label?: string,
): void {
  new Counter({
    name,
    help,
    registers: [registry],
    labelNames: label === undefined ? [] : [label],
    collect() {
      const value = read(stats());
      this.reset();
      if (typeof value === 'number') this.inc(value);
      else if (label !== undefined) for (const [k, n] of Object.entries(value)) this.inc({ [label]: k }, n);
    },
  });
}

function gaugeOf(registry: AnyRegistry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/** Registers every broker metric in `registry`. */
export function registerBrokerMetrics(registry: AnyRegistry, source: MetricsSource, stats: ReadStats): void {
  const { broker } = source;
  new Gauge({
    name: 'midge_connections',
    help: 'Connected MQTT clients, by listener',
    labelNames: ['listener'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [listener, n] of source.connectionsByListener()) this.set({ listener }, n);
    },
  });
  counterOf(
    registry,
    'midge_connect_total',
    'CONNECTs answered with a CONNACK, by result (accepted, or the refusal: bad-credentials, not-authorized, ...)',
    (s) => ({ accepted: s.clientsTotal, ...s.connectRefused }),
    stats,
    'result',
  );
  counterOf(
    registry,
    'midge_messages_received_total',
    'Application messages (PUBLISH) received from clients, by the QoS they were published with',
    (s) => byQos(s.messagesReceivedByQos),
    stats,
    'qos',
  );
  counterOf(
    registry,
    'midge_messages_sent_total',
    'Application messages (PUBLISH) sent to clients, by delivery QoS (resends not counted)',
    (s) => byQos(s.messagesSentByQos),
    stats,
    'qos',
  );
  counterOf(registry, 'midge_bytes_received_total', 'Bytes received from clients', (s) => s.bytesReceived, stats);
  counterOf(registry, 'midge_bytes_sent_total', 'Bytes sent to clients', (s) => s.bytesSent, stats);
  counterOf(registry, 'midge_packets_received_total', 'MQTT packets received', (s) => s.packetsReceived, stats);
  counterOf(registry, 'midge_packets_sent_total', 'MQTT packets sent', (s) => s.packetsSent, stats);
  counterOf(registry, 'midge_messages_dropped_total', 'Messages dropped, by reason', (s) => s.dropped, stats, 'reason');
  counterOf(
    registry,
    'midge_limits_hit_total',
    'Times a configured limit was hit, by cause',
    (s) => s.limitsHit,
    stats,
    'cause',
  );
  counterOf(
    registry,
    'midge_connection_errors_total',
    'Exceptions caught on one connection (each closed that connection only)',
    (s) => s.connectionErrors,
    stats,
  );
  gaugeOf(registry, 'midge_clients_connected', 'Connected MQTT clients', () => stats().clientsConnected);
  new Gauge({
    name: 'midge_sessions',
    help: 'Sessions held, by state: connected (a client uses it) or offline (persistent, waiting for its client)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const connected = stats().clientsConnected;
      this.set({ state: 'connected' }, connected);
      // Every connected client has a session; the others wait for theirs to come back (or to expire).
      this.set({ state: 'offline' }, Math.max(0, broker.sessionCount() - connected));
    },
  });
  gaugeOf(registry, 'midge_subscriptions', 'Subscriptions held', () => broker.subscriptionCount());
  gaugeOf(registry, 'midge_retained_messages', 'Retained messages held', () => stats().retainedCount);
  gaugeOf(
    registry,
    'midge_queued_messages',
    'Messages queued for offline or throttled sessions',
    () => stats().messagesStored,
  );
  new Gauge({
    name: 'midge_inflight_messages',
    help: 'QoS 1/2 messages not yet completed, by direction',
    labelNames: ['direction'],
    registers: [registry],
    collect() {
      const s = stats();
      this.set({ direction: 'in' }, s.inflightIn);
      this.set({ direction: 'out' }, s.inflightOut);
    },
  });
}

/** The store's writes as the broker sees them (any engine). */
function registerStoreMetrics(registry: AnyRegistry, source: MetricsSource): void {
  const { broker } = source;
  new Counter({
    name: 'midge_store_writes_total',
    help: 'Writes the broker issued to its store (sessions, queues, inflight, retained, wills)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(broker.storeStats().writes);
    },
  });
  new Counter({
    name: 'midge_store_write_failures_total',
    help: 'Store writes that failed (disk full, I/O error): the QoS 1/2 messages behind them were not acknowledged',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(broker.storeStats().writeFailures);
    },
  });
  gaugeOf(
    registry,
    'midge_store_pending_writes',
    'Store writes issued and not yet confirmed',
    () => broker.storeStats().pendingWrites,
  );
  gaugeOf(
    registry,
    'midge_store_congested',
    '1 while more writes wait than the store keeps up with (sending queued messages is held back)',
    () => (broker.storeStats().congested ? 1 : 0),
  );
  gaugeOf(
    registry,
    'midge_store_failing',
    '1 while the last store write failed and none succeeded since (/readyz is not ready then)',
    () => (broker.storeStats().failing === undefined ? 0 : 1),
  );
  new Gauge({
    name: 'midge_store_info',
    help: 'The store the broker writes to (always 1; the kind is the label)',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.reset();
      this.set({ kind: broker.storeStats().kind }, 1);
    },
  });
}

/** The broker's sampled timings: plugin decision time by plugin and hook, publish-to-delivery latency. */
function registerTimings(registry: AnyRegistry, timings: ReadTimings): void {
  registerExternalHistogram(
    registry,
    'midge_plugin_decision_seconds',
    'Time plugins took to answer decision hooks (authenticate, authorizeTopic, ...), by plugin and hook; topic hooks sampled one call in 16, an asynchronous answer timed until it settled',
    () => timings().decisions.map((d) => ({ labels: { plugin: d.plugin, hook: d.hook }, histogram: d.histogram })),
  );
  registerExternalHistogram(
    registry,
    'midge_delivery_latency_seconds',
    'Time from a PUBLISH entering the broker to the end of its fan-out (written to every connected receiver), for one message in 64',
    () => [{ labels: {}, histogram: timings().deliveryLatency }],
  );
}

/** Node's own metrics (event-loop lag, heap, GC, file descriptors), with the broker's prefix. */
function registerNodeMetrics<T extends RegistryContentType>(registry: Registry<T>): void {
  collectDefaultMetrics<T>({ register: registry, prefix: 'midge_' });
  // Gauges named `_total`, which Prometheus' lint (promtool check metrics) rejects; the same figures stay,
  // by type, in midge_nodejs_active_handles / _requests / _resources.
  for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total'])
    registry.removeSingleMetric(`midge_nodejs_${name}`);
}

/** One rendering of the metrics: the body and its content type. */
export interface Exposition {
  readonly contentType: string;
  readonly body: string;
}

export interface BrokerMetrics {
  /** The metrics as the Prometheus text format (0.0.4) or, with `openMetrics`, OpenMetrics 1.0. */
  scrape(openMetrics: boolean): Promise<Exposition>;
}

/** True when an Accept header asks for OpenMetrics (Prometheus itself does, preferring it to text). */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept);
}

export function brokerMetrics(source: MetricsSource): BrokerMetrics {
  // The stats of the scrape in progress: one snapshot per scrape rather than one per metric.
  let current: BrokerStats | undefined;
  const stats = (): BrokerStats => (current ??= source.broker.stats());
  let currentTimings: BrokerTimings | undefined;
  const timings = (): BrokerTimings => (currentTimings ??= source.broker.timings());
  const text = new Registry<PrometheusContentType>();
  registerBrokerMetrics(text, source, stats);
  registerStoreMetrics(text, source);
  registerTimings(text, timings);
  registerNodeMetrics(text);
  const refusalsSaid = new Set<string>();
  const exporterOf = (registry: AnyRegistry) =>
    new PluginMetricsExporter(
      registry,
      (name) => registry.getSingleMetric(name) !== undefined,
      source.logger,
      refusalsSaid,
    );
  const textPlugins = exporterOf(text);
  let openMetrics: Registry<OpenMetricsContentType> | undefined;
  let openMetricsPlugins: PluginMetricsExporter | undefined;
  return {
    async scrape(wantOpenMetrics) {
      let registry: AnyRegistry = text;
      if (wantOpenMetrics) {
        if (openMetrics === undefined) {
          openMetrics = new Registry<OpenMetricsContentType>();
          openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
          registerBrokerMetrics(openMetrics, source, stats);
          registerStoreMetrics(openMetrics, source);
          registerTimings(openMetrics, timings);
          registerNodeMetrics(openMetrics);
          openMetricsPlugins = exporterOf(openMetrics);
        }
        registry = openMetrics;
      }
      (wantOpenMetrics ? openMetricsPlugins : textPlugins)?.update(source.broker.pluginMetrics());
      current = undefined;
      currentTimings = undefined;
      try {
        return { contentType: registry.contentType, body: await registry.metrics() };
      } finally {
        current = undefined;
        currentTimings = undefined;
      }
    },
  };
}
