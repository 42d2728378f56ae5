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
      fc.property(fc.array(op, { maxLength: 40 }), fc.array(arbTopic, { minLength: 1, maxLength: 8 }), (ops, topics) => {
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
      }),
      { numRuns: 1000 },
    );
  });
});

function splitId(id: string): Hit {
  const bar = id.lastIndexOf('|');
  return [id.slice(0, bar), id.slice(bar + 1)];
}
