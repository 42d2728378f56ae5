import { describe, expect, it } from 'vitest';
import { PendingTopics } from './retained-pending.js';

describe('PendingTopics', () => {
  it('keeps each topic once, in first-change order, and drains', () => {
    const pending = new PendingTopics(10);
    for (const topic of ['a', 'b', 'a', 'c', 'b']) expect(pending.add(topic)).toBe(true);
    expect(pending.size).toBe(3);
    expect(pending.drain()).toEqual(['a', 'b', 'c']);
    expect(pending.size).toBe(0);
    expect(pending.drain()).toEqual([]);
  });

  it('is bounded: past the bound a new topic is counted and not kept, a kept one still changes', () => {
    const pending = new PendingTopics(2);
    pending.add('a');
    pending.add('b');
    expect(pending.add('c')).toBe(false);
    expect(pending.add('d')).toBe(false);
    expect(pending.add('a')).toBe(true);
    expect(pending.overflowed).toBe(2);
    expect(pending.drain()).toEqual(['a', 'b']);
    // Room again after a drain; the count stays (since start).
    expect(pending.add('c')).toBe(true);
    expect(pending.overflowed).toBe(2);
  });
});
