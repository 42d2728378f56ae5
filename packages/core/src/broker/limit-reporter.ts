import type { Logger } from '../plugin-api/types.js';
import type { StatsCounter } from './stats.js';
import { ThrottledLog } from './throttled-log.js';

/**
 * Counts every time a configured limit is hit (stats.limitsHit, by config key) and logs it without
 * flooding the log: at most one line per limit per `intervalSeconds` (ThrottledLog).
 */
export class LimitReporter {
  private readonly stats: StatsCounter;
  private readonly log: ThrottledLog;

  constructor(log: Logger, stats: StatsCounter, intervalSeconds: number) {
    this.stats = stats;
    this.log = new ThrottledLog(log, intervalSeconds * 1000);
  }

  /**
   * One hit of limit `cause` (the config key's name, so the log says what to raise). `fields` describe
   * this hit (client id, sizes); they are logged only on the hits that are logged.
   */
  hit(cause: string, message: string, fields?: Readonly<Record<string, unknown>>): void {
    const counts = this.stats.limitsHit;
    counts[cause] = (counts[cause] ?? 0) + 1;
    this.log.warn(cause, message, { limit: cause, ...fields });
  }
}
