import { describe, expect, it } from 'vitest';
import { filtersOverlap } from './filters.js';

/** A deliberately naive matcher (split and compare), independent of the code under test. */
function naiveMatch(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if ((f[0] === '+' || f[0] === '#') && topic.startsWith('$')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

describe('filtersOverlap', () => {
  const cases: [string, string, boolean][] = [
    ['#', 'data/classified', true],
    ['data/+', 'data/classified', true],
    ['+/classified', 'data/classified', true],
    ['data/#', 'data/classified', true],
    ['data', 'data/classified', false],
    ['data/classified/x', 'data/classified', false],
    ['data/classified/#', 'data/classified', true], // '#' matches the parent level
    ['data/classified/+', 'data/classified', false],
    ['+', 'data/classified', false],
    ['+/+', 'data/classified', true],
    ['+/+/+', 'data/classified', false],
    ['+/#', 'data/classified', true],
    ['a/+/c', 'a/b/+', true], // a/b/c
    ['a/+/c', 'a/b/d', false],
    ['a/#', 'b/#', false],
    ['a/+', '+/b', true],
    ['', '+', true], // the empty topic level: '+' matches it
    ['a//b', 'a/+/b', true],
    ['prohibited', 'prohibited', true],
    ['prohibited', 'Prohibited', false],
    // Root wildcards never reach `$` topics [MQTT-4.7.2-1].
    ['#', '$SYS/broker', false],
    ['+/broker', '$SYS/broker', false],
    ['$SYS/#', '$SYS/broker', true],
    ['$SYS/+', '$SYS/broker/x', false],
    ['a/$SYS', 'a/+', true], // only the first level is special
    ['#', '#', true],
    ['+', '#', true],
  ];
  it.each(cases)('%s ∩ %s → %s', (a, b, expected) => {
    expect(filtersOverlap(a, b)).toBe(expected);
    expect(filtersOverlap(b, a)).toBe(expected);
  });

  it('agrees with brute force over every filter of up to 3 levels', () => {
    // Filters over a small alphabet; topics over the same literals plus one more, up to one level deeper
    // than the longest filter, so any overlap has a witness among them.
    const literals = ['a', 'b', '$s', ''];
    const topicLevels = [...literals, 'z'];
    const filters: string[] = [];
    const build = (prefix: string[], depth: number): void => {
      if (prefix.length > 0) filters.push(prefix.join('/'));
      if (prefix.length > 0 && prefix[prefix.length - 1] === '#') return;
      if (depth === 3) return;
      for (const l of [...literals, '+', '#']) build([...prefix, l], depth + 1);
    };
    build([], 0);
    const topics: string[] = [];
    const buildTopics = (prefix: string[]): void => {
      if (prefix.length > 0) topics.push(prefix.join('/'));
      if (prefix.length === 4) return;
      for (const l of topicLevels) buildTopics([...prefix, l]);
    };
    buildTopics([]);
    // Each filter's set of matching topics as a bitmask.
    const masks = filters.map((f) => {
      const words = new Uint32Array(Math.ceil(topics.length / 32));
      topics.forEach((t, i) => {
        if (naiveMatch(f, t)) words[i >> 5]! |= 1 << (i & 31);
      });
      return words;
    });
    let mismatches = 0;
    for (let i = 0; i < filters.length; i++) {
      for (let j = i; j < filters.length; j++) {
        const mi = masks[i]!;
        const mj = masks[j]!;
        let expected = false;
        for (let w = 0; w < mi.length && !expected; w++) expected = (mi[w]! & mj[w]!) !== 0;
        const got = filtersOverlap(filters[i]!, filters[j]!);
        if (got !== expected) {
          mismatches++;
          if (mismatches < 5) expect.soft(got, `${filters[i]} ∩ ${filters[j]}`).toBe(expected);
        }
      }
    }
    expect(filters.length).toBeGreaterThan(150);
    expect(mismatches).toBe(0);
  });
});
