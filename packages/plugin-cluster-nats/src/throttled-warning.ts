/**
 * Warnings about single messages that cannot flood the log: the first of a kind is written at once, later
 * ones of the same kind at most once a minute, with how many were left out in between.
 */
import type { Logger } from '@midge/mqtt-core';

export const WARNING_INTERVAL_MS = 60_000;

export class ThrottledWarning {
  readonly #logger: Logger;
  readonly #intervalMs: number;
  readonly #last = new Map<string, { at: number; suppressed: number }>();

  constructor(logger: Logger, intervalMs = WARNING_INTERVAL_MS) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
  }

  /** One occurrence of `kind` (also the log message); `fields` are written with the lines that are. */
  warn(kind: string, fields: Readonly<Record<string, unknown>>): void {
    const now = Date.now();
    const last = this.#last.get(kind);
    if (last !== undefined && now - last.at < this.#intervalMs) {
      last.suppressed++;
      return;
    }
    const suppressed = last?.suppressed ?? 0;
    this.#last.set(kind, { at: now, suppressed: 0 });
    this.#logger.warn(suppressed > 0 ? { ...fields, notLoggedSinceLastLine: suppressed } : fields, kind);
  }
}
