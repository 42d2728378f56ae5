import { describe, expect, it } from 'vitest';
import { SpilledQueue } from './spilled-queue.js';

const seqs = (q: SpilledQueue) => Array.from({ length: q.length }, (_, i) => q.seqAt(i));

describe('SpilledQueue', () => {
  it('keeps entries in order through pushes, shifts, removals and growth', () => {
    const q = new SpilledQueue();
    for (let i = 0; i < 100; i++) q.push(i, (i % 3) as 0 | 1 | 2, i * 10);
    for (let i = 0; i < 40; i++) q.shift();
    q.removeAt(5);
    expect(q.length).toBe(59);
    expect(q.seqAt(0)).toBe(40);
    expect(q.seqAt(5)).toBe(46);
    expect(q.bytesAt(5)).toBe(460);
    expect(q.lastSeq).toBe(99);
    expect(q.indexOfQos(2)).toBe(1); // 41 % 3 = 2
    // Pushing past the end compacts (the 40 free slots in front) or grows, order kept.
    for (let i = 100; i < 300; i++) q.push(i, 1, 1);
    expect(seqs(q).slice(0, 6)).toEqual([40, 41, 42, 43, 44, 46]);
    expect(q.lastSeq).toBe(299);
    expect(q.length).toBe(259);
  });

  it('prepend puts older entries in front, with or without room there', () => {
    const q = new SpilledQueue();
    q.push(10, 1, 1);
    q.push(11, 1, 1);
    q.prepend([
      { seq: 8, qos: 0, bytes: 5 },
      { seq: 9, qos: 2, bytes: 6 },
    ]);
    expect(seqs(q)).toEqual([8, 9, 10, 11]);
    expect(q.qosAt(1)).toBe(2);
    q.shift();
    q.shift();
    q.prepend([{ seq: 9, qos: 1, bytes: 1 }]);
    expect(seqs(q)).toEqual([9, 10, 11]);
    const big = Array.from({ length: 40 }, (_, i) => ({ seq: i - 40, qos: 0 as const, bytes: 1 }));
    q.prepend(big);
    expect(q.length).toBe(43);
    expect(q.seqAt(0)).toBe(-40);
    expect(q.seqAt(40)).toBe(9);
  });

  it('clear empties it', () => {
    const q = new SpilledQueue();
    for (let i = 0; i < 2000; i++) q.push(i, 0, 1);
    q.clear();
    expect(q.length).toBe(0);
    expect(q.lastSeq).toBe(-1);
    q.push(5, 1, 1);
    expect(seqs(q)).toEqual([5]);
  });
});
