import { describe, expect, it } from 'vitest';
import { effectiveFilter, topicFilterProblem } from './filters.js';

describe('topicFilterProblem', () => {
  it.each(['a', 'a/b', '#', 'a/#', '+', '+/+/x', 'a//b', '$SYS/#', '%u/in/%c'])('accepts %s', (f) => {
    expect(topicFilterProblem(f)).toBeUndefined();
  });
  it('leaves length and level limits to the broker', () => {
    expect(topicFilterProblem('x'.repeat(70_000))).toBeUndefined();
    expect(topicFilterProblem('a/'.repeat(2000) + '#')).toBeUndefined();
  });
  it.each(['', 'a/#/b', 'a#', 'a/b#', 'a+', '+a/b', 'a/+b', 'a\u0000b'])('rejects %j', (f) => {
    expect(typeof topicFilterProblem(f)).toBe('string');
  });
});

describe('effectiveFilter', () => {
  it.each([
    ['$share/g/data/#', 'data/#'],
    ['data/#', 'data/#'],
    ['$share/g', '$share/g'],
    ['$share/g/', '$share/g/'],
    ['$SYS/#', '$SYS/#'],
  ])('%s → %s', (filter, effective) => {
    expect(effectiveFilter(filter)).toBe(effective);
  });
});
