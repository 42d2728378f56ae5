import { expect, it } from 'vitest';
import { FailureLog } from './throttle.js';

it('logs the first failure, then one line per interval counting the ones skipped', () => {
  let now = 0;
  const log = new FailureLog(10_000, () => now);
  const lines: number[] = [];
  const fail = () => log.report((suppressed) => lines.push(suppressed));
  fail();
  now = 1000;
  fail();
  fail();
  expect(lines).toEqual([0]);
  now = 10_000;
  fail();
  expect(lines).toEqual([0, 2]);
  now = 25_000;
  fail();
  expect(lines).toEqual([0, 2, 0]);
});
