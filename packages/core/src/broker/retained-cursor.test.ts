import { describe, expect, it } from 'vitest';
import { RetainedStore } from './retained-store.js';

function all(store: RetainedStore<string>, filter: string): string[] {
  const cursor = store.cursor(filter);
  const out: string[] = [];
  for (let m = cursor.next(); m !== undefined; m = cursor.next()) out.push(m);
  return out;
}

function matched(store: RetainedStore<string>, filter: string): string[] {
  const out: string[] = [];
  store.match(filter, (m) => out.push(m), undefined);
  return out;
}

const TOPICS = ['a', 'a/b', 'a/b/c', 'a/c', 'a/b/c/d', 'b', 'b/b', '$SYS/x', '$SYS/x/y', 'a/$x', '/a', 'a/', 'x/y/z'];
const FILTERS = ['#', '+', 'a/#', 'a/+', '+/b', '+/+/c', 'a/b/c', '$SYS/#', '+/#', 'a/+/#', '/+', '+/', 'nothing/#', 'a/b/c/d/e'];

describe('RetainedCursor', () => {
  it.each(FILTERS)('returns what match() visits for %s, in the same order', (filter) => {
    const store = new RetainedStore<string>();
    for (const t of TOPICS) store.set(t, t);
    expect(all(store, filter)).toEqual(matched(store, filter));
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
