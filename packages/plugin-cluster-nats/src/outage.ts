/**
 * What the operator hears about the link to NATS: one warning when it is lost (however many reconnection
 * attempts follow), one line when it is back with how long it was down and how many messages were not
 * shared meanwhile. Messages are not queued while the link is down: they are counted here instead.
 */
import type { Logger } from '@midge/mqtt-core';

export class OutageReporter {
  readonly #logger: Logger;
  /** Where NATS is, as logs may show it (no password). */
  readonly #where: string;
  /** When the current outage began, or undefined while the link is up. */
  #since: number | undefined;
  /** Messages not sent to other nodes during the current outage. */
  #dropped = 0;
  /** Every message not sent since start, for whoever reads the figures. */
  #droppedTotal = 0;

  constructor(logger: Logger, where: string) {
    this.#logger = logger;
    this.#where = where;
  }

  get down(): boolean {
    return this.#since !== undefined;
  }

  /** Messages not sent to other nodes because the link was down, since start. */
  get droppedTotal(): number {
    return this.#droppedTotal;
  }

  /** The link went down (or an attempt to bring it back failed): warns the first time only. */
  lost(detail: string | undefined): void {
    if (this.#since !== undefined) return;
    this.#since = Date.now();
    this.#logger.warn(
      { nats: this.#where, ...(detail === undefined ? {} : { err: detail }) },
      'lost the connection to NATS: reconnecting; until it is back, messages published here do not reach ' +
        'other nodes and messages published there do not reach this one',
    );
  }

  /** One message was not sent to the other nodes because the link is down. */
  drop(): void {
    this.#dropped++;
    this.#droppedTotal++;
  }

  /** The link is up again (`server`: where it reconnected). */
  regained(server: string): void {
    const since = this.#since;
    if (since === undefined) return;
    this.#since = undefined;
    const downMs = Date.now() - since;
    const dropped = this.#dropped;
    this.#dropped = 0;
    if (dropped > 0)
      this.#logger.warn(
        { nats: this.#where, server, downMs, dropped },
        `reconnected to NATS; ${dropped} messages published here meanwhile did not reach other nodes`,
      );
    else this.#logger.info({ nats: this.#where, server, downMs }, 'reconnected to NATS');
  }
}
