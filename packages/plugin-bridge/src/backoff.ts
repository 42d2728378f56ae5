/**
 * Reconnect delays: doubling from `min`, capped at `max`, with full jitter (each delay drawn at random
 * between `min` and the doubled value), so bridges of many edge brokers that lost the same remote do
 * not all knock at the same instant when it returns.
 */
export function reconnectDelay(attempt: number, min: number, max: number, random: () => number = Math.random): number {
  const ceiling = Math.min(min * 2 ** Math.max(attempt - 1, 0), max);
  return min + random() * (ceiling - min);
}
