import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  filterCovers,
  findControlCharacter,
  isBrokerOnlyTopic,
  isSharedFilter,
  isSysTopic,
  parseSharedFilter,
  topicMatchesFilter,
  validateTopicFilter,
  validateTopicName,
} from './topic.js';

const noLimits = { maxLength: 0, maxLevels: 0 };

/** Reference matcher: translate the filter to a regular expression, independently of topic.ts. */
function referenceMatcher(filter: string): (topic: string) => boolean {
  const rootWildcard = filter.startsWith('#') || filter.startsWith('+');
  const levels = filter.split('/');
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  let source: string;
  if (levels[levels.length - 1] === '#') {
    const prefix = levels.slice(0, -1).map((l) => (l === '+' ? '[^/]*' : escape(l)));
    // `a/#` matches `a` and anything below it; a lone `#` matches every topic.
    source = prefix.length === 0 ? '.*' : `${prefix.join('/')}(?:/.*)?`;
  } else {
    source = levels.map((l) => (l === '+' ? '[^/]*' : escape(l))).join('/');
  }
  const re = new RegExp(`^${source}$`, 's');
  return (topic) => !(rootWildcard && topic.startsWith('$')) && re.test(topic);
}
function referenceMatch(filter: string, topic: string): boolean {
  return referenceMatcher(filter)(topic);
}

// A small alphabet of levels so that random filters and topics collide often. 'z' and '$z' never
// appear in filters: they stand for "any other value", which makes the finite universe below
// faithful to the infinite one.
const filterLiterals = ['a', 'b', '', '$s'];
const topicLevels = ['a', 'b', '', '$s', 'z', '$z'];

const arbFilterLevels = fc.array(fc.constantFrom(...filterLiterals, '+'), { minLength: 0, maxLength: 2 });
/** Valid filters: literal/'+' levels, optionally ending with '#'. */
const arbFilter = fc
  .tuple(arbFilterLevels, fc.boolean())
  .filter(([levels, hash]) => levels.length > 0 || hash)
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'))
  .filter((f) => f !== '');
const arbTopic = fc
  .array(fc.constantFrom(...topicLevels), { minLength: 1, maxLength: 5 })
  .map((levels) => levels.join('/'))
  .filter((t) => t !== '');

/** Every valid topic of up to `depth` levels over `topicLevels`. */
function universe(depth: number): string[] {
  const out: string[] = [];
  let frontier: string[][] = [[]];
  for (let d = 1; d <= depth; d++) {
    const next: string[][] = [];
    for (const prefix of frontier) for (const l of topicLevels) next.push([...prefix, l]);
    for (const levels of next) {
      const t = levels.join('/');
      if (t !== '') out.push(t);
    }
    frontier = next;
  }
  return out;
}
// Filters have at most 3 levels ('#' included); one more level shows every difference.
const UNIVERSE = universe(4);

describe('validateTopicName', () => {
  it('[MQTT-4.7.3-1] rejects an empty topic name', () => {
    expect(validateTopicName('', noLimits)).toMatch(/MQTT-4.7.3-1/);
  });

  it('[MQTT-3.3.2-2] rejects wildcards in a topic name', () => {
    expect(validateTopicName('a/+', noLimits)).toMatch(/MQTT-3.3.2-2/);
    expect(validateTopicName('a/#', noLimits)).toMatch(/MQTT-3.3.2-2/);
    expect(validateTopicName('a+b', noLimits)).toMatch(/MQTT-3.3.2-2/);
  });

  it('[MQTT-4.7.3-2] rejects the null character', () => {
    expect(validateTopicName('a\u0000b', noLimits)).toMatch(/MQTT-4.7.3-2/);
  });

  it('accepts empty levels, spaces, $ topics and non-ASCII', () => {
    for (const t of ['/', 'a//b', '/a', 'a b', '$SYS/broker', 'température/é', 'a']) {
      expect(validateTopicName(t, noLimits)).toBeUndefined();
    }
  });

  it('enforces max_topic_length in UTF-8 bytes, not characters', () => {
    expect(validateTopicName('abcd', { maxLength: 4, maxLevels: 0 })).toBeUndefined();
    expect(validateTopicName('abcde', { maxLength: 4, maxLevels: 0 })).toMatch(/5 bytes.*max_topic_length \(4\)/);
    // 'é' is 2 bytes: 3 characters, 4 bytes.
    expect(validateTopicName('éaa', { maxLength: 4, maxLevels: 0 })).toBeUndefined();
    expect(validateTopicName('ééa', { maxLength: 4, maxLevels: 0 })).toMatch(/5 bytes/);
    expect(validateTopicName('😀😀', { maxLength: 7, maxLevels: 0 })).toMatch(/8 bytes/);
  });

  it('enforces max_topic_levels', () => {
    expect(validateTopicName('a/b/c', { maxLength: 0, maxLevels: 3 })).toBeUndefined();
    expect(validateTopicName('a/b/c/', { maxLength: 0, maxLevels: 3 })).toMatch(/4 levels/);
  });
});

describe('validateTopicFilter', () => {
  it('[MQTT-4.7.3-1] rejects an empty filter', () => {
    expect(validateTopicFilter('', noLimits)).toMatch(/MQTT-4.7.3-1/);
  });

  it('[MQTT-4.7.1-2] accepts # only alone in the last level', () => {
    for (const ok of ['#', 'a/#', '+/#', '/#', 'a//#']) expect(validateTopicFilter(ok, noLimits)).toBeUndefined();
    for (const bad of ['a#', '#/a', 'a/#/b', 'a/b#', '##', 'a/#/']) {
      expect(validateTopicFilter(bad, noLimits), bad).toMatch(/MQTT-4.7.1-2/);
    }
  });

  it('[MQTT-4.7.1-3] accepts + only as a whole level', () => {
    for (const ok of ['+', '+/+', 'a/+/b', '/+', '+/', '+//+'])
      expect(validateTopicFilter(ok, noLimits)).toBeUndefined();
    for (const bad of ['a+', '+a', 'a/b+/c', '++', 'a/+b']) {
      expect(validateTopicFilter(bad, noLimits), bad).toMatch(/MQTT-4.7.1-3/);
    }
  });

  it('[MQTT-4.7.3-2] rejects the null character', () => {
    expect(validateTopicFilter('a/\u0000', noLimits)).toMatch(/MQTT-4.7.3-2/);
  });

  it('enforces the limits', () => {
    expect(validateTopicFilter('a/+/#', { maxLength: 5, maxLevels: 3 })).toBeUndefined();
    expect(validateTopicFilter('a/+/#', { maxLength: 4, maxLevels: 0 })).toMatch(/max_topic_length/);
    expect(validateTopicFilter('a/+/#', { maxLength: 0, maxLevels: 2 })).toMatch(/max_topic_levels/);
  });

  it('accepts every generated valid filter', () => {
    fc.assert(fc.property(arbFilter, (f) => validateTopicFilter(f, noLimits) === undefined));
  });
});

describe('parseSharedFilter', () => {
  it('[MQTT-4.8.2-1] splits $share/{group}/{filter}', () => {
    expect(parseSharedFilter('$share/g1/a/+/#')).toEqual({ group: 'g1', filter: 'a/+/#' });
    expect(parseSharedFilter('$share/g/#')).toEqual({ group: 'g', filter: '#' });
    expect(parseSharedFilter('$share/g//')).toEqual({ group: 'g', filter: '/' });
  });

  it('returns undefined for plain filters', () => {
    expect(parseSharedFilter('a/b')).toBeUndefined();
    expect(parseSharedFilter('$SYS/#')).toBeUndefined();
    expect(parseSharedFilter('$sharex/g/a')).toBeUndefined();
    expect(isSharedFilter('$sharex/g/a')).toBe(false);
  });

  it('[MQTT-4.8.2-2] rejects an empty group, a group with wildcards and a missing filter', () => {
    for (const bad of ['$share/', '$share//a', '$share/g', '$share/g/', '$share/g+/a', '$share/#/a', '$share/+/a']) {
      expect(isSharedFilter(bad)).toBe(true);
      expect(parseSharedFilter(bad), bad).toBeUndefined();
    }
  });
});

describe('isSysTopic', () => {
  it('is true for topics starting with $', () => {
    expect(isSysTopic('$SYS/broker/uptime')).toBe(true);
    expect(isSysTopic('$')).toBe(true);
    expect(isSysTopic('a/$SYS')).toBe(false);
    expect(isSysTopic('')).toBe(false);
  });
});

describe('topicMatchesFilter', () => {
  const cases: [string, string, boolean][] = [
    ['a/b', 'a/b', true],
    ['a/b', 'a/c', false],
    ['a/b', 'a', false],
    ['a', 'a/b', false],
    ['+', 'a', true],
    ['+', 'a/b', false],
    ['+', '/', false],
    ['+/+', '/', true],
    ['a/+', 'a/', true],
    ['a/+', 'a', false],
    ['a/+/c', 'a/b/c', true],
    ['#', 'a', true],
    ['#', 'a/b/c', true],
    ['#', '/', true],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/#', 'ab', false],
    ['a/#', 'b/a', false],
    ['+/#', 'a', true],
    ['/#', 'a', false],
    ['/#', '/a', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking/wimbledon', true],
    ['sport/+/player1', 'sport/tennis/player1', true],
  ];
  it.each(cases)('filter %j, topic %j → %s [MQTT-4.7.1-2] [MQTT-4.7.1-3]', (filter, topic, expected) => {
    expect(topicMatchesFilter(filter, topic)).toBe(expected);
  });

  it('[MQTT-4.7.2-1] root wildcards do not match $ topics; literal $ levels do', () => {
    expect(topicMatchesFilter('#', '$SYS/x')).toBe(false);
    expect(topicMatchesFilter('+/x', '$SYS/x')).toBe(false);
    expect(topicMatchesFilter('+/#', '$SYS')).toBe(false);
    expect(topicMatchesFilter('$SYS/#', '$SYS/x')).toBe(true);
    expect(topicMatchesFilter('$SYS/#', '$SYS')).toBe(true);
    expect(topicMatchesFilter('$SYS/+', '$SYS/x')).toBe(true);
    // Only the first level is special.
    expect(topicMatchesFilter('a/+', 'a/$x')).toBe(true);
    expect(topicMatchesFilter('a/#', 'a/$x/y')).toBe(true);
  });

  it('agrees with a regex-based reference matcher (property)', () => {
    fc.assert(
      fc.property(arbFilter, arbTopic, (filter, topic) => {
        expect(topicMatchesFilter(filter, topic)).toBe(referenceMatch(filter, topic));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('filterCovers', () => {
  const cases: [string, string, boolean][] = [
    ['a/+', 'a/#', false],
    ['a/#', 'a/+/b', true],
    ['a/#', 'a', true],
    ['a/#', 'a/#', true],
    ['a/#', 'a/+', true],
    ['#', 'a/#', true],
    ['#', '#', true],
    ['#', '+/#', true],
    ['+/#', '#', true],
    ['#', '$SYS/#', false],
    ['#', '$SYS/x', false],
    ['+/#', '$SYS', false],
    ['+/+', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
    ['$SYS/#', '#', false],
    ['+/+', 'a/+', true],
    ['a/+', 'a/b', true],
    ['a/+', '+/b', false],
    ['a/b', 'a/+', false],
    ['a/+/#', 'a/#', false],
    ['a/+/#', 'a/b', true],
    ['a', 'a/#', false],
    ['a/b', 'a/b', true],
    ['+', '+/#', false],
    ['+', '#', false],
    // The parent of `/#` would be the empty topic, which is not a topic name.
    ['/+/#', '/#', true],
    ['/#', '/+/#', true],
    ['a/+/#', 'a/#', false],
  ];
  it.each(cases)('grant %j covers %j → %s', (granting, requested, expected) => {
    expect(filterCovers(granting, requested)).toBe(expected);
  });

  it('[MQTT-4.7.2-1] agrees with brute force over a universe of topics (property)', () => {
    fc.assert(
      fc.property(arbFilter, arbFilter, (granting, requested) => {
        const g = referenceMatcher(granting);
        const r = referenceMatcher(requested);
        const expected = UNIVERSE.every((t) => !r(t) || g(t));
        expect(filterCovers(granting, requested)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('is reflexive and transitive (property)', () => {
    fc.assert(fc.property(arbFilter, (f) => filterCovers(f, f)));
    fc.assert(
      fc.property(arbFilter, arbFilter, arbFilter, (a, b, c) => {
        if (filterCovers(a, b) && filterCovers(b, c)) expect(filterCovers(a, c)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('control characters (control_characters: reject) [MQTT-1.5.4]', () => {
  const reject = { maxLength: 0, maxLevels: 0, rejectControl: true };
  const controls = [0x01, 0x09, 0x0a, 0x1b, 0x1f, 0x7f, 0x85, 0x9f].map((c) => String.fromCharCode(c));
  const neighbours = [' ', '~', '\u00a0', '\u00ff', '\u2028', 'é'];

  it('are refused in topic names and filters only when asked, and found in client ids and usernames', () => {
    for (const c of controls) {
      expect(validateTopicName(`a/${c}`, reject), JSON.stringify(c)).toMatch(/control character/);
      expect(validateTopicFilter(`a/${c}/#`, reject), JSON.stringify(c)).toMatch(/control character/);
      expect(validateTopicName(`a/${c}`, noLimits)).toBeUndefined();
      expect(validateTopicFilter(`+/${c}`, noLimits)).toBeUndefined();
      expect(findControlCharacter(`id${c}`)).toBe(2);
    }
    for (const c of neighbours) {
      expect(validateTopicName(`a/${c}`, reject)).toBeUndefined();
      expect(validateTopicFilter(`a/${c}`, reject)).toBeUndefined();
      expect(findControlCharacter(c)).toBe(-1);
    }
    // U+0000 keeps its own rule whatever the policy [MQTT-4.7.3-2].
    expect(validateTopicName('a\u0000', noLimits)).toMatch(/MQTT-4.7.3-2/);
    expect(findControlCharacter('a\u0000')).toBe(-1);
  });
});

describe('isBrokerOnlyTopic', () => {
  it('is $SYS and $share and below; other $ topics are open to clients', () => {
    for (const t of ['$SYS', '$SYS/', '$SYS/broker/uptime', '$share', '$share/g/t'])
      expect(isBrokerOnlyTopic(t), t).toBe(true);
    for (const t of ['$SYSTEM/x', '$sys/x', '$shared/x', '$app/x', 'a/$SYS', 'SYS'])
      expect(isBrokerOnlyTopic(t), t).toBe(false);
  });
});
