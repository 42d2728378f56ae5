import type { BrokerConfig } from '../config/types.js';
import type { Persistence } from '../persistence/types.js';
import type { Logger } from '../plugin-api/types.js';
import type { EventBus } from './events.js';
import type { LimitReporter } from './limit-reporter.js';
import type { PluginHostLike } from './host.js';
import type { Router } from './router.js';
import type { SessionStore } from './session-store.js';
import type { StatsCounter } from './stats.js';
import type { TopicLimits } from './topic.js';

/** Everything a connection and the protocol handlers need from the broker, in one object. */
export interface BrokerContext {
  readonly config: BrokerConfig;
  readonly log: Logger;
  /** Cached `log.isLevelEnabled('debug')`, so the hot path tests a boolean. */
  debug: boolean;
  readonly stats: StatsCounter;
  /** Counts and logs (rate-limited) every time a configured limit is hit. */
  readonly limits: LimitReporter;
  readonly events: EventBus;
  readonly router: Router;
  readonly sessions: SessionStore;
  host: PluginHostLike | undefined;
  readonly persistence: Persistence;
  readonly topicLimits: TopicLimits;
}
