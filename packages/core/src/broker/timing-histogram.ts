import type { HistogramSnapshot } from '../plugin-api/types.js';

/**
 * A histogram of durations in seconds with fixed bucket bounds, filled by sampled observations (a few per
 * thousand hot-path calls), read by `snapshot()`. Prometheus-shaped so an exporter maps it directly.
 */
export class TimingHistogram {
  readonly #bounds: readonly number[];
  /** Observations per bucket; the last one is above every bound (+Inf). */
  readonly #counts: number[];
  #sum = 0;
  #count = 0;

  constructor(bounds: readonly number[]) {
    this.#bounds = bounds;
    this.#counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(seconds: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && seconds > (bounds[i] as number)) i++;
    this.#counts[i] = (this.#counts[i] as number) + 1;
    this.#sum += seconds;
    this.#count++;
  }

  snapshot(): HistogramSnapshot {
    return { bounds: this.#bounds, counts: [...this.#counts], sum: this.#sum, count: this.#count };
  }
}

/** Bounds for a plugin's decision (a hash lookup to an HTTP call): 10 µs to 5 s. */
export const DECISION_BOUNDS: readonly number[] = Object.freeze([
  0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
  5,
]);

/** Bounds for publish-to-delivery latency: 50 µs (same tick) to 10 s (a queue drained late). */
export const LATENCY_BOUNDS: readonly number[] = Object.freeze([
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);
