/**
 * Mosquitto's `topic <pattern> <direction> <qos> <local-prefix> <remote-prefix>` lines: which filters the
 * bridge subscribes to on each side, and how a topic is renamed when it crosses. A topic `local_prefix + X`
 * here is `remote_prefix + X` there, both ways.
 */
import { topicMatchesFilter } from '@midge/mqtt-core';
import type { QoS } from '@midge/mqtt-core';
import type { TopicConfig } from './config.js';

export type Direction = 'in' | 'out';

/** One subscription the bridge holds on one side. */
export interface SideSubscription {
  readonly filter: string;
  readonly qos: QoS;
}

function carries(entry: TopicConfig, direction: Direction): boolean {
  return entry.direction === 'both' || entry.direction === direction;
}

export class TopicMap {
  readonly #entries: readonly TopicConfig[];

  constructor(entries: readonly TopicConfig[]) {
    this.#entries = entries;
  }

  /** What the bridge subscribes to on the sending side of `direction`: this broker for out, the remote for in. */
  subscriptions(direction: Direction): SideSubscription[] {
    const byFilter = new Map<string, QoS>();
    for (const e of this.#entries) {
      if (!carries(e, direction)) continue;
      const filter = (direction === 'out' ? e.local_prefix : e.remote_prefix) + e.filter;
      // Two lines with one filter: one subscription, at the higher QoS (a second SUBSCRIBE would replace the first).
      byFilter.set(filter, Math.max(byFilter.get(filter) ?? 0, e.qos) as QoS);
    }
    return [...byFilter].map(([filter, qos]) => ({ filter, qos }));
  }

  /**
   * The name `topic` (as received on the sending side) gets on the other side, by the first line of
   * `direction` whose filter matches it; undefined when none does (a message another subscription of
   * the same session brought: it is not the bridge's to carry).
   */
  translate(topic: string, direction: Direction): string | undefined {
    for (const e of this.#entries) {
      if (!carries(e, direction)) continue;
      const [from, to] = direction === 'out' ? [e.local_prefix, e.remote_prefix] : [e.remote_prefix, e.local_prefix];
      if (topicMatchesFilter(from + e.filter, topic)) return to + topic.slice(from.length);
    }
    return undefined;
  }
}
