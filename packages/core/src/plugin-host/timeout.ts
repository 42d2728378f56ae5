/** Bounding plugin code in time: setup, reload, close and async decisions all go through here. */

export const TIMED_OUT: unique symbol = Symbol('timed out');

/** Runs `fn` and returns its result as a promise; async so a synchronous throw becomes a rejection. */
export async function call<T>(fn: () => T | PromiseLike<T>): Promise<T> {
  return fn();
}

/** Settles with `promise`'s value, or TIMED_OUT after `ms` (no limit when ms is 0, negative or not finite). */
export async function withTimeout<T>(promise: PromiseLike<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  if (!(ms > 0 && Number.isFinite(ms))) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, ms, TIMED_OUT);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}
