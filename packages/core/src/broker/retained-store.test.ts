import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RetainedStore } from './retained-store.js';
import { topicMatchesFilter } from './topic.js';

function collect<M>(store: RetainedStore<M>, filter: string): string[] {
  const topics: string[] = [];
  store.match(filter, (_message, topic, out) => out.push(topic), topics);
  return topics.sort();
}

const levels = ['a', 'b', '', '$s'];
const arbTopic = fc
  .array(fc.constantFrom(...levels), { minLength: 1, maxLength: 4 })
  .map((l) => l.join('/'))
  .filter((t) => t !== '');
const arbFilter = fc
  .tuple(fc.array(fc.constantFrom(...levels, 'z', '+'), { maxLength: 3 }), fc.boolean())
  .filter(([l, hash]) => l.length > 0 || hash)
  .map(([l, hash]) => (hash ? [...l, '#'] : l).join('/'))
  .filter((f) => f !== '');

describe('RetainedStore', () => {
  it('sets, replaces, reads and deletes by topic name', () => {
    const store = new RetainedStore<string>();
    store.set('a/b', 'one');
    store.set('a/b', 'two');
    store.set('a', 'parent');
    expect(store.size).toBe(2);
    expect(store.get('a/b')).toBe('two');
    expect(store.get('a')).toBe('parent');
    expect(store.get('a/b/c')).toBeUndefined();
    expect(store.get('b')).toBeUndefined();
    expect(store.delete('a/b/c')).toBe(false);
    expect(store.delete('a/b')).toBe(true);
    expect(store.delete('a/b')).toBe(false);
    expect(store.get('a')).toBe('parent');
    expect(store.size).toBe(1);
  });

  it('passes the message and its topic to the visitor', () => {
    const store = new RetainedStore<{ payload: string }>();
    store.set('x/y', { payload: 'p' });
    const seen: [string, string][] = [];
    store.match('x/+', (m, topic, out) => out.push([topic, m.payload]), seen);
    expect(seen).toEqual([['x/y', 'p']]);
  });

  it('[MQTT-4.7.1-2] # returns the parent level and everything below it', () => {
    const store = new RetainedStore<number>();
    for (const t of ['a', 'a/b', 'a/b/c', 'ab', 'b/a']) store.set(t, 1);
    expect(collect(store, 'a/#')).toEqual(['a', 'a/b', 'a/b/c']);
    expect(collect(store, 'a/b/#')).toEqual(['a/b', 'a/b/c']);
  });

  it('[MQTT-4.7.1-3] + matches one level, empty ones included', () => {
    const store = new RetainedStore<number>();
    for (const t of ['a', 'a/', 'a/b', 'a/b/c', '/b']) store.set(t, 1);
    expect(collect(store, 'a/+')).toEqual(['a/', 'a/b']);
    expect(collect(store, '+/b')).toEqual(['/b', 'a/b']);
  });

  it('[MQTT-4.7.2-1] # at the root does not return $SYS topics; $SYS/# does', () => {
    const store = new RetainedStore<number>();
    for (const t of ['$SYS/broker/uptime', '$SYS', 'a', 'a/$x']) store.set(t, 1);
    expect(collect(store, '#')).toEqual(['a', 'a/$x']);
    expect(collect(store, '+')).toEqual(['a']);
    expect(collect(store, '+/+')).toEqual(['a/$x']);
    expect(collect(store, '$SYS/#')).toEqual(['$SYS', '$SYS/broker/uptime']);
    expect(collect(store, '$SYS/+/uptime')).toEqual(['$SYS/broker/uptime']);
  });

  it('match returns exactly the topics that the filter matches, after set/delete sequences (property)', () => {
    const op = fc.tuple(fc.boolean(), arbTopic, fc.nat(9));
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 40 }),
        fc.array(arbFilter, { minLength: 1, maxLength: 8 }),
        (ops, filters) => {
          const store = new RetainedStore<number>();
          const model = new Map<string, number>();
          for (const [add, topic, value] of ops) {
            if (add) {
              store.set(topic, value);
              model.set(topic, value);
            } else {
              expect(store.delete(topic)).toBe(model.delete(topic));
            }
          }
          expect(store.size).toBe(model.size);
          for (const [topic, value] of model) expect(store.get(topic)).toBe(value);
          for (const filter of filters) {
            const expected = [...model.keys()].filter((t) => topicMatchesFilter(filter, t)).sort();
            expect(collect(store, filter)).toEqual(expected);
          }
          for (const topic of [...model.keys()]) expect(store.delete(topic)).toBe(true);
          expect(store.nodeCount).toBe(0);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('prunes emptied branches, so deleting everything leaves nothing to walk', () => {
    const store = new RetainedStore<number>();
    store.set('a/b/c/d', 1);
    store.set('a/b', 2);
    expect(store.nodeCount).toBe(4);
    store.delete('a/b/c/d');
    expect(store.nodeCount).toBe(2);
    expect(collect(store, '#')).toEqual(['a/b']);
    store.delete('a/b');
    expect(store.size).toBe(0);
    expect(store.nodeCount).toBe(0);
    expect(collect(store, '#')).toEqual([]);
    // A fresh set after pruning still works along the same path.
    store.set('a/b/c/d', 3);
    expect(store.get('a/b/c/d')).toBe(3);
  });
});
