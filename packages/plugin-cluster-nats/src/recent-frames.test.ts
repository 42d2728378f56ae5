import { describe, expect, it } from 'vitest';
import { MAX_RECENT, RECENT_MS, RecentFrames } from './recent-frames.js';

const list = (recent: RecentFrames, since: number, now: number): string[] => {
  const out: string[] = [];
  recent.since(since, now, (subject) => out.push(subject));
  return out;
};

describe('RecentFrames', () => {
  it('gives back what was sent since a time, within the last RECENT_MS, oldest first', () => {
    const recent = new RecentFrames();
    recent.add('a', new Uint8Array(1), 1000);
    recent.add('b', new Uint8Array(1), 2000);
    recent.add('c', new Uint8Array(1), 3000);
    expect(list(recent, 2000, 3000)).toEqual(['b', 'c']);
    expect(list(recent, 0, 1000 + RECENT_MS + 1)).toEqual(['b', 'c']);
    // Older than RECENT_MS when something new comes: dropped.
    recent.add('d', new Uint8Array(1), 2500 + RECENT_MS);
    expect(recent.size).toBe(2);
    expect(list(recent, 0, 2500 + RECENT_MS)).toEqual(['c', 'd']);
  });

  it('keeps at most MAX_RECENT, the newest', () => {
    const recent = new RecentFrames();
    for (let i = 0; i < MAX_RECENT + 3; i++) recent.add(String(i), new Uint8Array(1), 5000);
    expect(recent.size).toBe(MAX_RECENT);
    const all = list(recent, 0, 5000);
    expect(all[0]).toBe('3');
    expect(all.at(-1)).toBe(String(MAX_RECENT + 2));
  });
});
