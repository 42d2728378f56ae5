import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topicMatchesFilter } from '@midge/mqtt-core';
import { filterSubjects, levelToken, messageSubjectRoot, topicSubject } from './subject.js';

const ROOT = messageSubjectRoot('midge');

/** NATS's matching rule: `*` is one token, `>` (last) one or more; every other token is literal. */
function natsMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const token = p[i];
    if (token === '>') return i === p.length - 1 && s.length > i;
    if (i >= s.length) return false;
    if (token !== '*' && token !== s[i]) return false;
  }
  return p.length === s.length;
}

/** Whether any of the subjects a node subscribes to for `filter` carries a message on `topic`. */
const crosses = (filter: string, topic: string): boolean =>
  filterSubjects(ROOT, filter).some((pattern) => natsMatches(pattern, topicSubject(ROOT, topic)));

describe('topicSubject', () => {
  it.each([
    ['a', 'midge.msg.a'],
    ['a/b/c', 'midge.msg.a.b.c'],
    // Empty levels, as NATS's MQTT gateway writes them.
    ['/a', 'midge.msg./.a'],
    ['a/', 'midge.msg.a./'],
    ['a//b', 'midge.msg.a./.b'],
    ['/', 'midge.msg././'],
    // Dots as newer NATS gateways write them; what the gateway refuses or maps lossily, escaped.
    ['v1.2/x', 'midge.msg.v1//2.x'],
    ['.', 'midge.msg.//'],
    ['a b', 'midge.msg.a/20b'],
    ['tab\there', 'midge.msg.tab/09here'],
    ['line\r\nend', 'midge.msg.line/0D/0Aend'],
    ['del\u007f', 'midge.msg.del/7F'],
    // A literal `*` or `>` level is not a NATS wildcard; inside a level they mean nothing to NATS.
    ['a/*/b', 'midge.msg.a./2A.b'],
    ['a/>', 'midge.msg.a./3E'],
    ['a*b/x>', 'midge.msg.a*b.x>'],
    ['ünï/東京', 'midge.msg.ünï.東京'],
  ])('maps topic %j to %s', (topic, subject) => {
    expect(topicSubject(ROOT, topic)).toBe(subject);
  });

  it('keeps `/` for the empty level only: every escape is longer, so no level maps onto it', () => {
    expect(levelToken('')).toBe('/');
    for (const level of ['.', ' ', '*', '>', '\u0001', 'a.b']) expect(levelToken(level).length).toBeGreaterThan(1);
  });

  it('never produces a subject with whitespace, control characters, empty tokens or wildcard tokens', () => {
    fc.assert(
      fc.property(topicArbitrary, (topic) => {
        const subject = topicSubject(ROOT, topic);
        expect([...subject].filter((ch) => ch.charCodeAt(0) <= 0x20 || ch.charCodeAt(0) === 0x7f)).toEqual([]);
        for (const token of subject.split('.')) {
          expect(token).not.toBe('');
          expect(token).not.toBe('*');
          expect(token).not.toBe('>');
        }
      }),
    );
  });

  it('maps different topics to different subjects', () => {
    fc.assert(
      fc.property(topicArbitrary, topicArbitrary, (a, b) => {
        fc.pre(a !== b);
        expect(topicSubject(ROOT, a)).not.toBe(topicSubject(ROOT, b));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('filterSubjects', () => {
  it.each([
    ['a/b', ['midge.msg.a.b']],
    ['a/+/c', ['midge.msg.a.*.c']],
    ['+', ['midge.msg.*']],
    ['#', ['midge.msg.>']],
    // `a/#` matches `a` too [MQTT-4.7.1-2]; NATS's `>` needs one more token.
    ['a/#', ['midge.msg.a', 'midge.msg.a.>']],
    ['+/#', ['midge.msg.*', 'midge.msg.*.>']],
    ['/+', ['midge.msg./.*']],
    ['a/./*', ['midge.msg.a.//./2A']],
  ])('maps filter %j to %j', (filter, subjects) => {
    expect(filterSubjects(ROOT, filter)).toEqual(subjects);
  });

  it('lets a message cross exactly when its topic matches the filter, as MQTT says', () => {
    fc.assert(
      fc.property(filterArbitrary, topicArbitrary, (filter, topic) => {
        expect(crosses(filter, topic)).toBe(topicMatchesFilter(filter, topic));
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with MQTT on topics built from the filter itself (matches are not rare)', () => {
    const matching = filterArbitrary.chain((filter) =>
      fc
        .array(levelArbitrary, { minLength: 0, maxLength: 3 })
        .map((extra) => ({ filter, topic: topicFrom(filter, extra) })),
    );
    let matched = 0;
    fc.assert(
      fc.property(matching, ({ filter, topic }) => {
        const expected = topicMatchesFilter(filter, topic);
        if (expected) matched++;
        expect(crosses(filter, topic)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
    expect(matched).toBeGreaterThan(500);
  });
});

// Levels from characters that matter to the mapping: separators of NATS, wildcards of both, escapes.
const levelChar = fc.constantFrom('a', 'b', '.', ' ', '*', '>', '/', '\t', '\u007f', 'é', '+', '#', '_', '2', 'F');
const levelArbitrary = fc
  .array(levelChar, { minLength: 0, maxLength: 4 })
  .map((cs) => cs.join('').replace(/[/+#]/g, 'x'));
const topicArbitrary = fc
  .array(levelArbitrary, { minLength: 1, maxLength: 5 })
  .map((levels) => levels.join('/'))
  .filter((t) => !t.startsWith('$'));
const filterLevel = fc.oneof(levelArbitrary, fc.constant('+'));
const filterArbitrary = fc
  .tuple(fc.array(filterLevel, { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'))
  .filter((f) => !f.startsWith('$'));

/** A topic shaped by `filter`: each `+` filled, a trailing `#` replaced by `extra` levels (or none). */
function topicFrom(filter: string, extra: string[]): string {
  const levels = filter.split('/');
  const out: string[] = [];
  for (const level of levels) {
    if (level === '#') return [...out, ...extra].join('/') || 'x';
    out.push(level === '+' ? (extra[0] ?? 'y') : level);
  }
  return out.join('/');
}
