/** What a ThrottledLog writes to: a pino logger, or a listener's smaller log. */
export interface WarnLog {
  warn(obj: object, msg?: string): void;
}

/**
 * Warnings that cannot flood the log: the first of a cause is written at once, later ones of the same cause
 * at most once per interval, with how many were not written in between (`notLoggedSinceLastLine`). An
 * attacker who hits a limit, or a listener out of file descriptors, a million times a second gets one line
 * per interval.
 */
export class ThrottledLog {
  readonly #log: WarnLog | undefined;
  readonly #intervalMs: number;
  /** Per cause: when it was last written and how many came since. */
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(log: WarnLog | undefined, intervalMs: number) {
    this.#log = log;
    this.#intervalMs = intervalMs;
  }

  /** One occurrence of `cause`; `fields` describe it and are written only with the lines that are. */
  warn(cause: string, message: string, fields: Readonly<Record<string, unknown>>): void {
    const now = Date.now();
    const last = this.#last.get(cause);
    if (last !== undefined && now - last.at < this.#intervalMs) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.#last.set(cause, { at: now, suppressed: 0 });
    this.#log?.warn(suppressed > 0 ? { ...fields, notLoggedSinceLastLine: suppressed } : fields, message);
  }
}
