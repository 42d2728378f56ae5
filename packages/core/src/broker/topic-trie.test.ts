import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { topicMatchesFilter } from './topic.js';
import { TopicTrie } from './topic-trie.js';

type Hit = [filterValue: string, key: string];

/** Values are the filter itself, so a hit says which entry matched. */
function collect(trie: TopicTrie<string>, topic: string): string[] {
  const hits: string[] = [];
  trie.match(topic, (value, key, out) => out.push(`${value}|${key}`), hits);
  return hits.sort();
}

const levels = ['a', 'b', '', '$s'];
const arbFilter = fc
  .tuple(fc.array(fc.constantFrom(...levels, '+'), { maxLength: 3 }), fc.boolean())
  .filter(([l, hash]) => l.length > 0 || hash)
  .map(([l, hash]) => (hash ? [...l, '#'] : l).join('/'))
  .filter((f) => f !== '');
const arbTopic = fc
  .array(fc.constantFrom(...levels, 'z'), { minLength: 1, maxLength: 4 })
  .map((l) => l.join('/'))
  .filter((t) => t !== '');
const arbKey = fc.constantFrom('c1', 'c2', 'c3');

describe('TopicTrie', () => {
  it('stores, replaces and reads entries', () => {
    const trie = new TopicTrie<number>();
    expect(trie.set('a/+', 'c1', 1)).toBeUndefined();
    expect(trie.set('a/+', 'c2', 2)).toBeUndefined();
    expect(trie.set('a/+', 'c1', 3)).toBe(1);
    expect(trie.size).toBe(2);
    expect(trie.get('a/+', 'c1')).toBe(3);
    expect(trie.get('a/+', 'c3')).toBeUndefined();
    expect(trie.get('a/b', 'c1')).toBeUndefined();
    expect(trie.get('a/#', 'c1')).toBeUndefined();
  });

  it('visits a key once per matching filter', () => {
    const trie = new TopicTrie<string>();
    for (const f of ['a/b', 'a/+', 'a/#', '#', '+/b', 'a/b/c', 'b/#']) trie.set(f, 'c1', f);
    expect(collect(trie, 'a/b')).toEqual(['#|c1', '+/b|c1', 'a/#|c1', 'a/+|c1', 'a/b|c1']);
  });

  it('[MQTT-4.7.1-2] # matches the parent level and everything below', () => {
    const trie = new TopicTrie<string>();
    trie.set('a/#', 'c1', 'a/#');
    expect(collect(trie, 'a')).toEqual(['a/#|c1']);
    expect(collect(trie, 'a/b/c/d')).toEqual(['a/#|c1']);
    expect(collect(trie, 'ab')).toEqual([]);
  });

  it('[MQTT-4.7.1-3] + matches exactly one level, empty levels included', () => {
    const trie = new TopicTrie<string>();
    trie.set('a/+', 'c1', 'a/+');
    expect(collect(trie, 'a/')).toEqual(['a/+|c1']);
    expect(collect(trie, 'a')).toEqual([]);
    expect(collect(trie, 'a/b/c')).toEqual([]);
  });

  it('[MQTT-4.7.2-1] root wildcards do not match $ topics, $ literals do', () => {
    const trie = new TopicTrie<string>();
    for (const f of ['#', '+/#', '+/info', '$SYS/#', '$SYS/+', '$SYS/info']) trie.set(f, 'c1', f);
    expect(collect(trie, '$SYS/info')).toEqual(['$SYS/#|c1', '$SYS/+|c1', '$SYS/info|c1']);
    expect(collect(trie, '$SYS')).toEqual(['$SYS/#|c1']);
    expect(collect(trie, 'x/info')).toEqual(['#|c1', '+/#|c1', '+/info|c1']);
    // Below the first level '$' is an ordinary character.
    trie.set('a/+', 'c2', 'a/+');
    expect(collect(trie, 'a/$x')).toEqual(['#|c1', '+/#|c1', 'a/+|c2']);
  });

  it('deletes entries and prunes empty nodes', () => {
    const trie = new TopicTrie<string>();
    trie.set('a/b/c', 'c1', 'x');
    trie.set('a/+/#', 'c1', 'y');
    trie.set('a/#', 'c2', 'z');
    expect(trie.nodeCount).toBe(4); // a, a/b, a/b/c, a/+ ('#' lives in its parent)
    expect(trie.delete('a/b/c', 'c2')).toBe(false);
    expect(trie.delete('a/b', 'c1')).toBe(false);
    expect(trie.delete('a/b/c', 'c1')).toBe(true);
    expect(trie.nodeCount).toBe(2);
    expect(trie.delete('a/b/c', 'c1')).toBe(false);
    expect(trie.delete('a/+/#', 'c1')).toBe(true);
    expect(trie.delete('a/#', 'c2')).toBe(true);
    expect(trie.size).toBe(0);
    expect(collect(trie, 'a/b/c')).toEqual([]);
    expect(trie.nodeCount).toBe(0);
  });

  it('keeps sibling entries when deleting with swap-remove', () => {
    const trie = new TopicTrie<string>();
    for (const k of ['c1', 'c2', 'c3', 'c4']) trie.set('t', k, k);
    trie.delete('t', 'c1');
    trie.delete('t', 'c3');
    expect(collect(trie, 't')).toEqual(['c2|c2', 'c4|c4']);
    expect(trie.get('t', 'c4')).toBe('c4');
    expect(trie.set('t', 'c4', 'new')).toBe('c4');
    expect(collect(trie, 't')).toEqual(['c2|c2', 'new|c4']);
  });

  it('match returns exactly the entries whose filter matches, after any sequence of set/delete (property)', () => {
    const op = fc.tuple(fc.boolean(), arbFilter, arbKey);
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 40 }),
        fc.array(arbTopic, { minLength: 1, maxLength: 8 }),
        (ops, topics) => {
          const trie = new TopicTrie<string>();
          const model = new Map<string, string>(); // `${filter}|${key}` → filter
          for (const [add, filter, key] of ops) {
            const id = `${filter}|${key}`;
            if (add) {
              expect(trie.set(filter, key, filter)).toBe(model.get(id));
              model.set(id, filter);
            } else {
              expect(trie.delete(filter, key)).toBe(model.delete(id));
            }
          }
          expect(trie.size).toBe(model.size);
          for (const topic of topics) {
            const expected = [...model.entries()]
              .filter(([, filter]) => topicMatchesFilter(filter, topic))
              .map(([id]) => id)
              .sort();
            expect(collect(trie, topic)).toEqual(expected);
          }
          for (const id of [...model.keys()]) {
            const [filter, key] = splitId(id);
            expect(trie.delete(filter, key)).toBe(true);
          }
          expect(trie.size).toBe(0);
          expect(trie.nodeCount).toBe(0);
        },
      ),
      { numRuns: 1000 },
    );
  });

  describe('match cache', () => {
    it('a hit gives the same visits, in the same order, as the miss that cached it', () => {
      const trie = new TopicTrie<string>();
      for (const f of ['a/b', 'a/+', 'a/#', '#', '+/b', 'a/b/c', 'b/#']) {
        trie.set(f, 'c1', f);
        trie.set(f, 'c2', f);
      }
      const inOrder = (topic: string): string[] => {
        const hits: string[] = [];
        trie.match(topic, (value, key, out) => out.push(`${value}|${key}`), hits);
        return hits;
      };
      expect(trie.cachedTopics).toBe(0);
      const miss = inOrder('a/b');
      expect(trie.cachedTopics).toBe(1);
      expect(miss).toHaveLength(10);
      expect(inOrder('a/b')).toEqual(miss);
      expect(inOrder('a/b')).toEqual(miss);
      expect(trie.cachedTopics).toBe(1);
      // Same order as a trie without a cache.
      const plain = new TopicTrie<string>({ matchCacheSize: 0 });
      for (const f of ['a/b', 'a/+', 'a/#', '#', '+/b', 'a/b/c', 'b/#']) {
        plain.set(f, 'c1', f);
        plain.set(f, 'c2', f);
      }
      const plainHits: string[] = [];
      plain.match('a/b', (value, key, out) => out.push(`${value}|${key}`), plainHits);
      expect(miss).toEqual(plainHits);
    });

    it('a new filter invalidates: a cached topic then matches it', () => {
      const trie = new TopicTrie<string>();
      trie.set('a/b', 'c1', 'a/b');
      expect(collect(trie, 'a/b')).toEqual(['a/b|c1']);
      expect(trie.cachedTopics).toBe(1);
      trie.set('a/+', 'c1', 'a/+'); // new node and new Entries
      expect(trie.cachedTopics).toBe(0);
      expect(collect(trie, 'a/b')).toEqual(['a/+|c1', 'a/b|c1']);
      trie.set('#', 'c2', '#'); // new Entries on an existing node (the root)
      expect(trie.cachedTopics).toBe(0);
      expect(collect(trie, 'a/b')).toEqual(['#|c2', 'a/+|c1', 'a/b|c1']);
      expect(collect(trie, 'a')).toEqual(['#|c2']);
      trie.set('a', 'c3', 'a'); // new exact Entries on the existing node 'a'
      expect(collect(trie, 'a')).toEqual(['#|c2', 'a|c3']);
    });

    it('a new key on an existing filter is seen without invalidation', () => {
      const trie = new TopicTrie<string>();
      trie.set('a/+', 'c1', 'a/+');
      expect(collect(trie, 'a/b')).toEqual(['a/+|c1']);
      expect(collect(trie, 'a/c')).toEqual(['a/+|c1']);
      expect(trie.cachedTopics).toBe(2);
      trie.set('a/+', 'c2', 'a/+');
      trie.set('a/+', 'c1', 'replaced');
      expect(trie.cachedTopics).toBe(2);
      expect(collect(trie, 'a/b')).toEqual(['a/+|c2', 'replaced|c1']);
      trie.delete('a/+', 'c2'); // not the last key: no invalidation either
      expect(trie.cachedTopics).toBe(2);
      expect(collect(trie, 'a/c')).toEqual(['replaced|c1']);
    });

    it('deleting the last key of a filter and adding it again later works', () => {
      const trie = new TopicTrie<string>();
      trie.set('a/#', 'c1', 'a/#');
      trie.set('a/b', 'c2', 'a/b');
      expect(collect(trie, 'a/b')).toEqual(['a/#|c1', 'a/b|c2']);
      expect(trie.delete('a/#', 'c1')).toBe(true);
      expect(collect(trie, 'a/b')).toEqual(['a/b|c2']);
      expect(trie.delete('a/b', 'c2')).toBe(true);
      expect(trie.nodeCount).toBe(0);
      expect(collect(trie, 'a/b')).toEqual([]);
      expect(trie.cachedTopics).toBe(1);
      trie.set('a/b', 'c3', 'a/b');
      expect(collect(trie, 'a/b')).toEqual(['a/b|c3']);
      trie.set('a/#', 'c1', 'a/#');
      expect(collect(trie, 'a/b')).toEqual(['a/#|c1', 'a/b|c3']);
    });

    it('applies +, # and the $ rule through the cache', () => {
      const trie = new TopicTrie<string>();
      for (const f of ['#', '+/#', '+/info', '$SYS/#', '$SYS/+', '$SYS/info', 'a/+']) trie.set(f, 'c1', f);
      for (let round = 0; round < 3; round++) {
        expect(collect(trie, '$SYS/info')).toEqual(['$SYS/#|c1', '$SYS/+|c1', '$SYS/info|c1']);
        expect(collect(trie, '$SYS')).toEqual(['$SYS/#|c1']);
        expect(collect(trie, '$other/info')).toEqual([]);
        expect(collect(trie, 'x/info')).toEqual(['#|c1', '+/#|c1', '+/info|c1']);
        expect(collect(trie, 'a/$x')).toEqual(['#|c1', '+/#|c1', 'a/+|c1']);
        expect(collect(trie, 'a')).toEqual(['#|c1', '+/#|c1']);
        expect(collect(trie, 'a/')).toEqual(['#|c1', '+/#|c1', 'a/+|c1']);
      }
      expect(trie.cachedTopics).toBe(7);
      trie.set('$other/+', 'c2', '$other/+');
      expect(collect(trie, '$other/info')).toEqual(['$other/+|c2']);
    });

    it('never holds more than matchCacheSize topics', () => {
      const n = 16;
      const trie = new TopicTrie<string>({ matchCacheSize: n });
      trie.set('#', 'c1', '#');
      let most = 0;
      for (let i = 0; i < 5 * n + 3; i++) {
        expect(collect(trie, `t/${i}`)).toEqual(['#|c1']);
        most = Math.max(most, trie.cachedTopics);
        expect(trie.cachedTopics).toBeLessThanOrEqual(n);
      }
      expect(most).toBe(n);
      // The topics cached last are hits.
      const before = trie.cachedTopics;
      expect(collect(trie, `t/${5 * n + 2}`)).toEqual(['#|c1']);
      expect(trie.cachedTopics).toBe(before);
    });

    it('never holds more than matchCacheChars characters of topic names', () => {
      const trie = new TopicTrie<string>({ matchCacheSize: 1000, matchCacheChars: 100 });
      trie.set('+/#', 'c1', '+/#');
      for (let i = 0; i < 50; i++) {
        expect(collect(trie, `${String(i).padStart(2, '0')}/${'x'.repeat(27)}`)).toEqual(['+/#|c1']); // 30 chars
        expect(trie.cachedTopics).toBeLessThanOrEqual(3);
      }
      expect(trie.cachedTopics).toBeGreaterThan(0);
      // A topic longer than the whole budget is matched but not cached.
      const cached = trie.cachedTopics;
      expect(collect(trie, `a/${'x'.repeat(200)}`)).toEqual(['+/#|c1']);
      expect(trie.cachedTopics).toBe(cached);
    });

    it('is disabled by matchCacheSize: 0', () => {
      const trie = new TopicTrie<string>({ matchCacheSize: 0 });
      trie.set('a/+', 'c1', 'a/+');
      expect(collect(trie, 'a/b')).toEqual(['a/+|c1']);
      expect(collect(trie, 'a/b')).toEqual(['a/+|c1']);
      expect(trie.cachedTopics).toBe(0);
      trie.set('a/b', 'c2', 'a/b');
      expect(collect(trie, 'a/b')).toEqual(['a/+|c1', 'a/b|c2']);
    });

    it('matches like a trie without a cache, after any interleaving of set/delete/match (property)', () => {
      type Op = { kind: 'set' | 'delete'; filter: string; key: string } | { kind: 'match'; topic: string };
      // A small pool of topics, so that matches hit the cache (random topics rarely repeat).
      const pool = ['a', 'a/b', 'b/a', 'a/b/z', 'a//b', '/a', 'z', '$s', '$s/a', '$s/a/b'];
      const arbOp: fc.Arbitrary<Op> = fc.oneof(
        {
          weight: 2,
          arbitrary: fc.record({
            kind: fc.constantFrom('set' as const, 'delete' as const),
            filter: arbFilter,
            key: arbKey,
          }),
        },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('match' as const), topic: arbTopic }) },
        { weight: 3, arbitrary: fc.record({ kind: fc.constant('match' as const), topic: fc.constantFrom(...pool) }) },
      );
      const inOrder = (trie: TopicTrie<string>, topic: string): string[] => {
        const hits: string[] = [];
        trie.match(topic, (value, key, out) => out.push(`${value}|${key}`), hits);
        return hits;
      };
      fc.assert(
        fc.property(fc.array(arbOp, { maxLength: 80 }), fc.integer({ min: 1, max: 6 }), (ops, cacheSize) => {
          const cached = new TopicTrie<string>({ matchCacheSize: cacheSize });
          const plain = new TopicTrie<string>({ matchCacheSize: 0 });
          let n = 0;
          for (const op of ops) {
            if (op.kind === 'match') {
              // Exact visit order, not just the set: a hit must replay the walk.
              expect(inOrder(cached, op.topic)).toEqual(inOrder(plain, op.topic));
              expect(cached.cachedTopics).toBeLessThanOrEqual(cacheSize);
            } else if (op.kind === 'set') {
              const value = `${op.filter}#${n++}`;
              expect(cached.set(op.filter, op.key, value)).toBe(plain.set(op.filter, op.key, value));
            } else {
              expect(cached.delete(op.filter, op.key)).toBe(plain.delete(op.filter, op.key));
            }
          }
          for (const topic of [...pool, ...pool]) expect(inOrder(cached, topic)).toEqual(inOrder(plain, topic));
          expect(plain.cachedTopics).toBe(0);
        }),
        { numRuns: 2000 },
      );
    });
  });
});

function splitId(id: string): Hit {
  const bar = id.lastIndexOf('|');
  return [id.slice(0, bar), id.slice(bar + 1)];
}
