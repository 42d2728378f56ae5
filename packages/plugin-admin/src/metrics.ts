/**
 * The broker's exact counters (`BrokerApi.stats()`) as Prometheus metrics, read when scraped: nothing is
 * added to the broker's hot path. Connections by listener are counted from the connect and disconnect
 * events. No label per client or per topic (cardinality).
 */
import type { BrokerApi, BrokerStats } from '@midge/mqtt-core';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';

/** A counter whose value is read from the broker at scrape time (the broker's counters only grow). */
function counterOf(
  registry: Registry,
  name: string,
  help: string,
  read: (s: BrokerStats) => number | Readonly<Record<string, number>>,
  stats: () => BrokerStats,
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

function gaugeOf(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

export interface BrokerMetrics {
  readonly registry: Registry;
  /** A client connected / disconnected on `listener`. */
  connected(listener: string): void;
  disconnected(listener: string): void;
}

export function brokerMetrics(broker: Pick<BrokerApi, 'stats' | 'sessionCount' | 'subscriptionCount'>): BrokerMetrics {
  const registry = new Registry();
  const stats = (): BrokerStats => broker.stats();
  const byListener = new Map<string, number>();
  new Gauge({
    name: 'midge_connections',
    help: 'Connected MQTT clients, by listener',
    labelNames: ['listener'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [listener, n] of byListener) this.set({ listener }, n);
    },
  });
  counterOf(
    registry,
    'midge_connect_total',
    'Connections accepted (CONNACK 0), by result',
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
  // Node's own: event-loop lag, heap, GC, file descriptors.
  collectDefaultMetrics({ register: registry, prefix: 'midge_' });
  return {
    registry,
    connected: (listener) => byListener.set(listener, (byListener.get(listener) ?? 0) + 1),
    disconnected: (listener) => {
      const n = (byListener.get(listener) ?? 1) - 1;
      if (n > 0) byListener.set(listener, n);
      else byListener.delete(listener);
    },
  };
}
