import { describe, expect, it } from 'vitest';
import { RetainedStore } from './retained-store.js';

function all(store: RetainedStore<string>, filter: string): string[] {
  const cursor = store.cursor(filter);
  const out: string[] = [];
  for (let m = cursor.next(); m !== undefined; m = cursor.next()) out.push(m);
  return out;
}

/**
 * The oracle: the recursive walk RetainedStore.match used before it became the cursor run to its end,
 * over the store's topics rebuilt into a plain trie (insertion order kept), so the cursor is checked
 * against an independent implementation.
 */
interface RefNode {
  message: string | undefined;
  children: Map<string, RefNode>;
}
function matched(topics: readonly string[], filter: string): string[] {
  const root: RefNode = { message: undefined, children: new Map() };
  for (const t of topics) {
    let n = root;
    for (const level of t.split('/')) {
      let c = n.children.get(level);
      if (c === undefined) n.children.set(level, (c = { message: undefined, children: new Map() }));
      n = c;
    }
    n.message = t;
  }
  const out: string[] = [];
  const subtree = (n: RefNode): void => {
    if (n.message !== undefined) out.push(n.message);
    for (const c of n.children.values()) subtree(c);
  };
  const walk = (n: RefNode, levels: string[], i: number): void => {
    const level = levels[i]!;
    const atRoot = i === 0;
    const last = i === levels.length - 1;
    if (level === '#') {
      if (n.message !== undefined) out.push(n.message);
      for (const [l, c] of n.children) if (!(atRoot && l.startsWith('$'))) subtree(c);
      return;
    }
    if (level === '+') {
      for (const [l, c] of n.children) {
        if (atRoot && l.startsWith('$')) continue;
        if (last) {
          if (c.message !== undefined) out.push(c.message);
        } else walk(c, levels, i + 1);
      }
      return;
    }
    const c = n.children.get(level);
    if (c === undefined) return;
    if (last) {
      if (c.message !== undefined) out.push(c.message);
    } else walk(c, levels, i + 1);
  };
  walk(root, filter.split('/'), 0);
  return out;
}

const TOPICS = ['a', 'a/b', 'a/b/c', 'a/c', 'a/b/c/d', 'b', 'b/b', '$SYS/x', '$SYS/x/y', 'a/$x', '/a', 'a/', 'x/y/z'];
const FILTERS = [
  '#',
  '+',
  'a/#',
  'a/+',
  '+/b',
  '+/+/c',
  'a/b/c',
  '$SYS/#',
  '+/#',
  'a/+/#',
  '/+',
  '+/',
  'nothing/#',
  'a/b/c/d/e',
];

describe('RetainedCursor', () => {
  it.each(FILTERS)('returns what a recursive walk visits for %s, in the same order', (filter) => {
    const store = new RetainedStore<string>();
    for (const t of TOPICS) store.set(t, t);
    expect(all(store, filter)).toEqual(matched(TOPICS, filter));
  });

  it('resumes after each message while the store changes: deleted messages are not returned after their deletion', () => {
    const store = new RetainedStore<string>();
    for (let i = 0; i < 100; i++) store.set(`t/${i}`, `t/${i}`);
    const cursor = store.cursor('t/#');
    const seen: string[] = [];
    for (let m = cursor.next(); m !== undefined; m = cursor.next()) {
      seen.push(m);
      if (seen.length === 10) for (let i = 50; i < 100; i++) store.delete(`t/${i}`);
    }
    expect(seen).toHaveLength(50);
    expect(seen.every((t) => Number(t.slice(2)) < 50)).toBe(true);
  });

  it('walks topics deeper than the call stack', () => {
    const store = new RetainedStore<string>();
    const deep = Array.from({ length: 20_000 }, () => 'l').join('/');
    store.set(deep, 'deep');
    expect(all(store, '#')).toEqual(['deep']);
    expect(all(store, deep)).toEqual(['deep']);
  });
});
