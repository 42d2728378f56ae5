import type { BrokerConfig } from '../config/types.js';
import type { Persistence } from '../persistence/types.js';
import type { Logger } from '../plugin-api/types.js';
import type { EventBus } from './events.js';
import type { Journal } from './journal.js';
import type { LimitReporter } from './limit-reporter.js';
import type { PluginHostLike } from './plugin-port.js';
import type { StatsCounter } from './stats.js';
import type { TopicLimits } from './topic.js';

/**
 * What the parts below the connections (router, pipeline, session store, delivery) share: config,
 * logging, counters, events, persistence and the plugin host. Types only, and it names none of those
 * parts: each gets its collaborators as constructor arguments (broker.ts wires them), so no import
 * points back up.
 */
export interface BrokerServices {
  readonly config: BrokerConfig;
  readonly log: Logger;
  /** Cached `log.isLevelEnabled('debug')`, so the hot path tests a boolean; re-read on reload. */
  debug: boolean;
  readonly stats: StatsCounter;
  /** Counts and logs (rate-limited) every time a configured limit is hit. */
  readonly limits: LimitReporter;
  readonly events: EventBus;
  /** The store; chosen at start when the config names one (`persistence:`), so not readonly. */
  persistence: Persistence;
  /** Write-through to `persistence`, and the writes a QoS 1/2 publish must wait for. */
  readonly journal: Journal;
  readonly topicLimits: TopicLimits;
  /**
   * The plugin host once `start()` set the plugins up (undefined before, and without plugins). Plugins
   * start after the broker exists, since their setup gets its API, and after persisted state is restored.
   */
  host: PluginHostLike | undefined;
}
