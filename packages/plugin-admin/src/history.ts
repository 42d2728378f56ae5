/**
 * The last 15 minutes of the broker's counters, for the dashboard's charts: `broker.stats()` sampled every
 * 5 s into a ring of 180 points, so a freshly opened dashboard draws its charts at once. Rates are computed
 * by the page from consecutive points (counters only grow).
 */
import type { BrokerApi } from '@midge/mqtt-core';

export interface HistoryPoint {
  /** Epoch ms. */
  readonly t: number;
  readonly connections: number;
  readonly messagesReceived: number;
  readonly messagesSent: number;
  readonly bytesReceived: number;
  readonly bytesSent: number;
}

export const HISTORY_INTERVAL_MS = 5000;
export const HISTORY_POINTS = 180;

export class History {
  readonly #points: HistoryPoint[] = [];
  readonly #broker: Pick<BrokerApi, 'stats'>;
  readonly #timer: NodeJS.Timeout;
  readonly #size: number;

  constructor(broker: Pick<BrokerApi, 'stats'>, intervalMs = HISTORY_INTERVAL_MS, size = HISTORY_POINTS) {
    this.#broker = broker;
    this.#size = size;
    this.sample();
    // Never keeps the process alive on its own.
    this.#timer = setInterval(() => this.sample(), intervalMs).unref();
  }

  sample(): void {
    const s = this.#broker.stats();
    this.#points.push({
      t: Date.now(),
      connections: s.clientsConnected,
      messagesReceived: s.messagesReceived,
      messagesSent: s.messagesSent,
      bytesReceived: s.bytesReceived,
      bytesSent: s.bytesSent,
    });
    if (this.#points.length > this.#size) this.#points.shift();
  }

  points(): readonly HistoryPoint[] {
    return this.#points;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
