import { describe, expect, it } from 'vitest';
import { TimingHistogram } from '../broker/timing-histogram.js';
import { sampleEveryOf, timedHook } from './timed-hook.js';

describe('timedHook', () => {
  it('times one call in `every`, answering every call as the hook does', () => {
    const histogram = new TimingHistogram([1]);
    let calls = 0;
    const ask = timedHook(
      (n: number) => {
        calls++;
        return n * 2;
      },
      histogram,
      4,
    );
    const answers = [1, 2, 3, 4, 5, 6, 7, 8, 9].map(ask);
    expect(answers).toEqual([2, 4, 6, 8, 10, 12, 14, 16, 18]);
    expect(calls).toBe(9);
    expect(histogram.snapshot().count).toBe(2);
  });

  it('times an asynchronous answer until it settles, a rejection included', async () => {
    const histogram = new TimingHistogram([0.01, 10]);
    const slow = timedHook(() => new Promise((r) => setTimeout(() => r('ok'), 30)), histogram, 1);
    await expect(slow(undefined)).resolves.toBe('ok');
    const failing = timedHook(() => Promise.reject(new Error('down')), histogram, 1);
    await expect(failing(undefined)).rejects.toThrow('down');
    await new Promise((r) => setImmediate(r));
    const s = histogram.snapshot();
    expect(s.count).toBe(2);
    // The 30 ms answer is above the first bound.
    expect(s.counts[1]).toBeGreaterThanOrEqual(1);
    expect(s.sum).toBeGreaterThanOrEqual(0.025);
  });

  it('samples topic hooks and times every connect-time hook', () => {
    expect(sampleEveryOf('authorizeTopic')).toBe(16);
    expect(sampleEveryOf('vetoTopic')).toBe(16);
    expect(sampleEveryOf('authenticate')).toBe(1);
    expect(sampleEveryOf('authorizeClient')).toBe(1);
  });
});
