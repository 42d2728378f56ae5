/**
 * Log throttling for endpoint failures: with the endpoint down every CONNECT and publish fails, and one
 * line each would bury the log. The first failure is logged, then at most one line per interval,
 * saying how many failures it stands for.
 */
export class FailureLog {
  readonly #intervalMs: number;
  readonly #now: () => number;
  #last = -Infinity;
  #suppressed = 0;

  constructor(intervalMs: number, now: () => number = Date.now) {
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** Calls `log` with how many failures were skipped since the last line, or skips this one. */
  report(log: (suppressed: number) => void): void {
    const now = this.#now();
    if (now - this.#last < this.#intervalMs) {
      this.#suppressed++;
      return;
    }
    const suppressed = this.#suppressed;
    this.#last = now;
    this.#suppressed = 0;
    log(suppressed);
  }
}
