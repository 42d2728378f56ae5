import type { DecisionTiming } from '../plugin-api/types.js';
import type { TimingHistogram } from '../broker/timing-histogram.js';

type HookName = DecisionTiming['hook'];

/**
 * One call in this many is timed. Topic hooks run per publish, subscribe and delivery: timing every call
 * would put two clock reads on the hot path; the rare connect-time hooks are all timed.
 */
export function sampleEveryOf(hook: HookName): number {
  return hook === 'authorizeTopic' || hook === 'vetoTopic' ? 16 : 1;
}

/**
 * `ask` with one call in `every` timed into `histogram`: a synchronous answer when it returns, an
 * asynchronous one when it settles. A throw is not timed (the decision logs it and denies).
 */
export function timedHook<R>(
  ask: (request: R) => unknown,
  histogram: TimingHistogram,
  every: number,
): (request: R) => unknown {
  let untilNext = every;
  return (request) => {
    if (--untilNext > 0) return ask(request);
    untilNext = every;
    const start = performance.now();
    const answer = ask(request);
    if (answer !== null && typeof answer === 'object' && typeof (answer as PromiseLike<unknown>).then === 'function') {
      const settled = (): void => histogram.observe((performance.now() - start) / 1000);
      // The decision awaits `answer` itself and handles its rejection; this branch only times it.
      (answer as PromiseLike<unknown>).then(settled, settled);
      return answer;
    }
    histogram.observe((performance.now() - start) / 1000);
    return answer;
  };
}
