import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordingLogger } from '../testing/plugin-context.js';
import { LimitReporter } from './limit-reporter.js';
import { StatsCounter } from './stats.js';

describe('LimitReporter', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('counts every hit and logs one line per cause per interval, with the count left out in between', () => {
    const log = recordingLogger();
    const stats = new StatsCounter();
    const limits = new LimitReporter(log, stats, 60);
    for (let i = 0; i < 1000; i++) limits.hit('max_queued_bytes', 'queue full', { clientId: `c${i}` });
    limits.hit('max_subscriptions_per_client', 'too many subscriptions');
    expect(stats.limitsHit).toEqual({ max_queued_bytes: 1000, max_subscriptions_per_client: 1 });
    expect(log.records.filter((r) => r.level === 'warn').map((r) => r.msg)).toEqual([
      'queue full',
      'too many subscriptions',
    ]);
    vi.advanceTimersByTime(60_000);
    limits.hit('max_queued_bytes', 'queue full', { clientId: 'late' });
    const last = log.records.at(-1)!;
    expect(last.msg).toBe('queue full');
    expect(last.obj).toMatchObject({ limit: 'max_queued_bytes', clientId: 'late', notLoggedSinceLastLine: 999 });
    expect(stats.snapshot().limitsHit).toEqual({ max_queued_bytes: 1001, max_subscriptions_per_client: 1 });
  });
});
