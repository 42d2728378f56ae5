/**
 * The broker's exact counters (`BrokerApi.stats()`) as Prometheus metrics, read when scraped: nothing is
 * added to the broker's hot path. Connections by listener come from the connect and disconnect events
 * (counted by `ConnectedClients`). No label per client or per topic (cardinality).
 *
 * Two registries hold the same metrics, one per exposition format: prom-client renames a registry's
 * counters in place when it renders OpenMetrics, so one registry cannot serve both formats. The
 * OpenMetrics one is built on the first request that asks for it.
 */
import type { BrokerApi, BrokerStats } from '@midge/mqtt-core';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { OpenMetricsContentType, PrometheusContentType, RegistryContentType } from 'prom-client';

type AnyRegistry = Registry<PrometheusContentType> | Registry<OpenMetricsContentType>;

/** What the metrics are read from at scrape time. */
export interface MetricsSource {
  readonly broker: Pick<BrokerApi, 'stats' | 'sessionCount' | 'subscriptionCount'>;
  /** Connected clients per listener name. */
  connectionsByListener(): ReadonlyMap<string, number>;
}

/** Reads the broker's stats once per scrape, so every metric of one scrape shows the same moment. */
type ReadStats = () => BrokerStats;

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
  // Only `accepted`: the broker has no counter or event for refused CONNECTs yet.
  counterOf(
    registry,
    'midge_connect_total',
    'CONNECTs answered, by result (accepted: CONNACK 0)',
    (s) => ({ accepted: s.clientsTotal }),
    stats,
    'result',
  );
  counterOf(
    registry,
    'midge_messages_received_total',
    'Application messages (PUBLISH) received from clients',
    (s) => s.messagesReceived,
    stats,
  );
  counterOf(
    registry,
    'midge_messages_sent_total',
    'Application messages (PUBLISH) sent to clients',
    (s) => s.messagesSent,
    stats,
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
  gaugeOf(registry, 'midge_sessions', 'Sessions held (connected and offline)', () => broker.sessionCount());
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
  const text = new Registry<PrometheusContentType>();
  registerBrokerMetrics(text, source, stats);
  registerNodeMetrics(text);
  let openMetrics: Registry<OpenMetricsContentType> | undefined;
  return {
    async scrape(wantOpenMetrics) {
      let registry: AnyRegistry = text;
      if (wantOpenMetrics) {
        if (openMetrics === undefined) {
          openMetrics = new Registry<OpenMetricsContentType>();
          openMetrics.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
          registerBrokerMetrics(openMetrics, source, stats);
          registerNodeMetrics(openMetrics);
        }
        registry = openMetrics;
      }
      current = undefined;
      try {
        return { contentType: registry.contentType, body: await registry.metrics() };
      } finally {
        current = undefined;
      }
    },
  };
}
