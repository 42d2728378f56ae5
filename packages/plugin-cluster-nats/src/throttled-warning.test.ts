import { afterEach, describe, expect, it, vi } from 'vitest';
import { recordingLogger } from '@midge/mqtt-core/testing';
import { ThrottledWarning } from './throttled-warning.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('ThrottledWarning', () => {
  it('writes the first of a kind, then one a minute with how many were left out', () => {
    vi.useFakeTimers();
    const logger = recordingLogger();
    const warnings = new ThrottledWarning(logger);
    for (let i = 0; i < 5; i++) warnings.warn('kind one', { i });
    warnings.warn('kind two', {});
    expect(logger.records.map((r) => [r.msg, r.obj])).toEqual([
      ['kind one', { i: 0 }],
      ['kind two', {}],
    ]);
    vi.advanceTimersByTime(60_000);
    warnings.warn('kind one', { i: 5 });
    expect(logger.records[2]).toMatchObject({
      level: 'warn',
      msg: 'kind one',
      obj: { i: 5, notLoggedSinceLastLine: 4 },
    });
  });
});
