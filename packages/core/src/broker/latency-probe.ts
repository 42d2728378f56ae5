import type { HistogramSnapshot } from '../plugin-api/types.js';
import { LATENCY_BOUNDS, TimingHistogram } from './timing-histogram.js';

/** One message in this many has its deliveries timed. */
export const LATENCY_SAMPLE_EVERY = 64;

/**
 * Publish-to-delivery latency, sampled: every LATENCY_SAMPLE_EVERY-th message entering the pipeline becomes
 * the probe, and the end of its fan-out (written to every connected receiver, queued for the others) is one
 * observation: the time the broker took, authorization (a plugin's asynchronous answer too) and routing
 * included. The probe is followed by identity through the copies the broker makes of it while it waits
 * (`copied`), so the hot path pays a counter per message and a comparison per routed message; nothing per
 * write. Deliveries from a queue later (an offline session coming back) are not observed.
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

  /** The broker copied `from` to route it later (after a plugin's answer, after the message being routed). */
  copied(from: object, to: object): void {
    if (from === this.#message) this.#copy = to;
  }

  /** `message` was routed: written to the connected receivers, queued for the others. */
  routed(message: object): void {
    if (message !== this.#message && message !== this.#copy) return;
    this.#histogram.observe((performance.now() - this.#at) / 1000);
    // Observed once: a message routed again (a will, a retained replay) is not this publish.
    this.#message = undefined;
    this.#copy = undefined;
  }

  snapshot(): HistogramSnapshot {
    return this.#histogram.snapshot();
  }
}
