import type { Logger } from '../plugin-api/types.js';
import type { StatsCounter } from './stats.js';

/**
 * Counts every time a configured limit is hit and logs it without flooding the log: the first hit of a
 * cause is logged at once, later hits of the same cause at most once per `intervalSeconds`, with how many
 * were not logged in between. An attacker who hits a limit a million times a second gets one line a minute.
 */
export class LimitReporter {
  private readonly log: Logger;
  private readonly stats: StatsCounter;
  private readonly intervalMs: number;
  /** Per cause: when it was last logged and how many hits came since. */
  private readonly lastLogged = new Map<string, { at: number; suppressed: number }>();

  constructor(log: Logger, stats: StatsCounter, intervalSeconds: number) {
    this.log = log;
    this.stats = stats;
    this.intervalMs = intervalSeconds * 1000;
  }

  /**
   * One hit of limit `cause` (the config key's name, so the log says what to raise). `fields` describe
   * this hit (client id, sizes); they are logged only on the hits that are logged.
   */
  hit(cause: string, message: string, fields?: Readonly<Record<string, unknown>>): void {
    const counts = this.stats.limitsHit;
    counts[cause] = (counts[cause] ?? 0) + 1;
    const now = Date.now();
    const last = this.lastLogged.get(cause);
    if (last !== undefined && now - last.at < this.intervalMs) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.lastLogged.set(cause, { at: now, suppressed: 0 });
    this.log.warn({ limit: cause, ...fields, ...(suppressed > 0 ? { notLoggedSinceLastLine: suppressed } : {}) }, message);
  }
}
