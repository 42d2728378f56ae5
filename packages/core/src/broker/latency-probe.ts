import type { HistogramSnapshot } from '../plugin-api/types.js';
import { LATENCY_BOUNDS, TimingHistogram } from './timing-histogram.js';

/** One message in this many has its deliveries timed. */
export const LATENCY_SAMPLE_EVERY = 64;

/**
 * Publish-to-delivery latency, sampled: every LATENCY_SAMPLE_EVERY-th message entering the pipeline
 * becomes the probe, and each write of it to a subscriber until the next probe is one observation (a
 * fan-out gives one per receiver). The probe is followed by identity, through the copies the broker
 * makes of it (`copied`), so the hot path pays two pointer comparisons per write and nothing per message
 * but a counter. A delivery of a sample after the next sample was taken (a queue drained much later) is
 * not observed.
 */
export class LatencyProbe {
  readonly #histogram = new TimingHistogram(LATENCY_BOUNDS);
  #untilNext = LATENCY_SAMPLE_EVERY;
  #message: object | undefined;
  #copy: object | undefined;
  #at = 0;

  /** A message enters the pipeline. */
  entered(message: object): void {
    if (--this.#untilNext > 0) return;
    this.#untilNext = LATENCY_SAMPLE_EVERY;
    this.#message = message;
    this.#copy = undefined;
    this.#at = performance.now();
  }

  /** The broker copied `from` (to keep it past this tick): a delivery of the copy is one of the probe. */
  copied(from: object, to: object): void {
    if (from === this.#message) this.#copy = to;
  }

  /** `message` was written to a subscriber. */
  delivered(message: object): void {
    if (message !== this.#message && message !== this.#copy) return;
    this.#histogram.observe((performance.now() - this.#at) / 1000);
  }

  snapshot(): HistogramSnapshot {
    return this.#histogram.snapshot();
  }
}
