/**
 * The cluster's figures for metrics exporters (the plugin's `metrics` hook; `@midge/plugin-admin` shows
 * them as `midge_cluster_*`): the same counts the `$SYS/broker/cluster/...` topics carry, plus the
 * retained store's, with bounded labels only (directions and outcomes, never a node, client or topic).
 */
import type { PluginMetric } from '@midge/mqtt-core';
import type { RetainedCounts } from './retained.js';
import type { ClusterFigures } from './sys-topics.js';

export function clusterMetrics(f: ClusterFigures, retained: Readonly<RetainedCounts>): PluginMetric[] {
  const gauge = (name: string, help: string, value: number): PluginMetric => ({ name, help, type: 'gauge', value });
  const counter = (name: string, help: string, value: number, labels: Record<string, string>): PluginMetric => ({
    name,
    help,
    type: 'counter',
    value,
    labels,
  });
  const MESSAGES = 'Messages between this node and the cluster, by outcome';
  const SESSIONS = 'Client ids and sessions moving between nodes, by event';
  const STORED = 'QoS 1/2 messages this node stored in JetStream for persistent sessions, by outcome';
  const RETAINED = "Retained changes between this node and the cluster's stream, by outcome";
  return [
    gauge('cluster_connected', '1 while NATS is reachable', f.connected ? 1 : 0),
    gauge('cluster_nodes', 'Nodes heard from lately, this one included', f.nodes.length),
    gauge('cluster_routes', "NATS subjects this node subscribes to for its sessions' filters", f.subjects),
    gauge('cluster_shared_groups', 'Shared subscriptions this node has members of', f.sharedGroups),
    counter('cluster_messages_total', MESSAGES, f.bridge.sent, { outcome: 'sent' }),
    counter('cluster_messages_total', MESSAGES, f.bridge.received, { outcome: 'received' }),
    counter('cluster_messages_total', MESSAGES, f.bridge.notSent, { outcome: 'not-sent' }),
    counter('cluster_messages_total', MESSAGES, f.bridge.refused, { outcome: 'refused' }),
    counter('cluster_messages_total', MESSAGES, f.bridge.duplicates, { outcome: 'duplicate' }),
    counter('cluster_messages_total', MESSAGES, f.bridge.caughtUp, { outcome: 'caught-up' }),
    counter('cluster_messages_total', MESSAGES, f.outbox.resent, { outcome: 'resent' }),
    counter('cluster_messages_total', MESSAGES, f.outbox.queued, { outcome: 'queued' }),
    counter('cluster_messages_total', MESSAGES, f.outbox.givenUp, { outcome: 'given-up' }),
    counter('cluster_messages_total', MESSAGES, f.outbox.replayed, { outcome: 'replayed' }),
    counter('cluster_messages_total', MESSAGES, f.bridge.sharedReceived, { outcome: 'shared-received' }),
    counter('cluster_messages_total', MESSAGES, f.bridge.sharedNoMember, { outcome: 'shared-no-member' }),
    counter('cluster_sessions_total', SESSIONS, f.registry.claims, { event: 'claim' }),
    counter('cluster_sessions_total', SESSIONS, f.registry.adopted, { event: 'adopted' }),
    counter('cluster_sessions_total', SESSIONS, f.registry.handedOver, { event: 'handed-over' }),
    counter('cluster_sessions_total', SESSIONS, f.registry.takenOver, { event: 'taken-over' }),
    counter('cluster_sessions_total', SESSIONS, f.registry.unregistered, { event: 'unregistered' }),
    ...(f.sessions === undefined
      ? []
      : [
          counter('cluster_session_messages_total', STORED, f.sessions.stored, { outcome: 'stored' }),
          counter('cluster_session_messages_total', STORED, f.sessions.notStored, { outcome: 'not-stored' }),
          counter('cluster_session_messages_total', STORED, f.sessions.storeFailed, { outcome: 'store-failed' }),
          counter('cluster_session_messages_total', STORED, f.sessions.recoveredMessages, { outcome: 'recovered' }),
          counter('cluster_sessions_total', SESSIONS, f.sessions.recovered, { event: 'recovered' }),
        ]),
    counter('cluster_retained_total', RETAINED, retained.written, { outcome: 'written' }),
    counter('cluster_retained_total', RETAINED, retained.applied, { outcome: 'applied' }),
    counter('cluster_retained_total', RETAINED, retained.deferred, { outcome: 'deferred' }),
    counter('cluster_retained_total', RETAINED, retained.notShared, { outcome: 'not-shared' }),
    counter('cluster_retained_total', RETAINED, retained.refused, { outcome: 'refused' }),
  ];
}
