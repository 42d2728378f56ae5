import { describe, expect, it } from 'vitest';
import { clusterMetrics } from './cluster-metrics.js';

describe('clusterMetrics', () => {
  it("gives the cluster's counts as gauges and labelled counters, names valid for midge_ prefixing", () => {
    const metrics = clusterMetrics(
      {
        node: 'a',
        nodes: ['a', 'b', 'c'],
        connected: true,
        subjects: 4,
        sharedGroups: 1,
        bridge: {
          sent: 10,
          received: 20,
          notSent: 1,
          refused: 2,
          sharedReceived: 3,
          sharedNoMember: 0,
          duplicates: 0,
          caughtUp: 0,
        },
        registry: { claims: 5, adopted: 1, handedOver: 2, takenOver: 0, unregistered: 0 },
        outbox: { resent: 0, queued: 0, givenUp: 0, replayed: 0 },
        sessions: undefined,
      },
      { written: 7, applied: 8, deferred: 0, notShared: 0, refused: 0 },
    );
    const value = (name: string, labels?: Record<string, string>) =>
      metrics.find((m) => m.name === name && JSON.stringify(m.labels) === JSON.stringify(labels))?.value;
    expect(value('cluster_connected')).toBe(1);
    expect(value('cluster_nodes')).toBe(3);
    expect(value('cluster_routes')).toBe(4);
    expect(value('cluster_messages_total', { outcome: 'sent' })).toBe(10);
    expect(value('cluster_messages_total', { outcome: 'received' })).toBe(20);
    expect(value('cluster_sessions_total', { event: 'handed-over' })).toBe(2);
    expect(value('cluster_retained_total', { outcome: 'applied' })).toBe(8);
    for (const m of metrics) {
      expect(m.name).toMatch(/^[a-z_][a-z0-9_]*$/);
      if (m.type === 'counter') expect(m.name).toMatch(/_total$/);
    }
  });
});
