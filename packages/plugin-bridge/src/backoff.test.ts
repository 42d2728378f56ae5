import { describe, expect, it } from 'vitest';
import { reconnectDelay } from './backoff.js';

describe('reconnectDelay', () => {
  it('doubles its ceiling from min up to max', () => {
    const top = () => 1;
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => reconnectDelay(n, 1, 30, top))).toEqual([1, 2, 4, 8, 16, 30, 30]);
  });

  it('draws each delay between min and the ceiling (full jitter)', () => {
    expect(reconnectDelay(5, 1, 30, () => 0)).toBe(1);
    expect(reconnectDelay(5, 1, 30, () => 0.5)).toBe(8.5);
  });
});
