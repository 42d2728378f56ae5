/**
 * The cluster's figures as `$SYS/broker/cluster/...` topics (published by the node itself, never crossing
 * nodes: `$` topics stay where they are published).
 */
import type { BridgeCounts } from './bridge.js';
import type { OutboxCounts } from './reliable-outbox.js';
import type { RegistryCounts } from './registry.js';
import type { SessionCounts } from './sessions.js';

export interface ClusterFigures {
  readonly node: string;
  /** Nodes heard from lately, this one included. */
  readonly nodes: readonly string[];
  /** NATS reachable now. */
  readonly connected: boolean;
  /** NATS subjects this node subscribes to for its sessions' filters. */
  readonly subjects: number;
  /** Shared subscriptions this node has members of. */
  readonly sharedGroups: number;
  readonly bridge: Readonly<BridgeCounts>;
  readonly registry: Readonly<RegistryCounts>;
  /** QoS 1/2 messages kept for at-least-once delivery (nats-link.ts). */
  readonly outbox: Readonly<OutboxCounts>;
  /** Persistent sessions in JetStream; undefined when `persistent_sessions` is off. */
  readonly sessions: Readonly<SessionCounts> | undefined;
}

export const CLUSTER_SYS_PREFIX = '$SYS/broker/cluster/';

/** Topic → payload, in a stable order. */
export function clusterSysTopics(f: ClusterFigures): [string, string][] {
  const t = (name: string, value: string | number | boolean): [string, string] => [
    CLUSTER_SYS_PREFIX + name,
    typeof value === 'boolean' ? (value ? '1' : '0') : String(value),
  ];
  return [
    t('node', f.node),
    t('nodes', f.nodes.length),
    t('nodes/list', f.nodes.join(',')),
    t('connected', f.connected),
    t('routes', f.subjects),
    t('shared/groups', f.sharedGroups),
    t('messages/sent', f.bridge.sent),
    t('messages/received', f.bridge.received),
    t('messages/not-sent', f.bridge.notSent),
    t('messages/refused', f.bridge.refused),
    t('messages/duplicates', f.bridge.duplicates),
    t('messages/caught-up', f.bridge.caughtUp),
    t('messages/resent', f.outbox.resent),
    t('messages/queued', f.outbox.queued),
    t('messages/given-up', f.outbox.givenUp),
    t('messages/replayed', f.outbox.replayed),
    t('messages/shared/received', f.bridge.sharedReceived),
    t('messages/shared/no-member', f.bridge.sharedNoMember),
    t('sessions/claims', f.registry.claims),
    t('sessions/adopted', f.registry.adopted),
    t('sessions/handed-over', f.registry.handedOver),
    t('sessions/taken-over', f.registry.takenOver),
    t('sessions/unregistered', f.registry.unregistered),
    ...(f.sessions === undefined
      ? []
      : [
          t('sessions/stored-messages', f.sessions.stored),
          t('sessions/not-stored', f.sessions.notStored),
          t('sessions/store-failed', f.sessions.storeFailed),
          t('sessions/recovered', f.sessions.recovered),
          t('sessions/recovered-messages', f.sessions.recoveredMessages),
        ]),
  ];
}
