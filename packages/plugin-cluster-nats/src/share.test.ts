import { describe, expect, it } from 'vitest';
import { ShareTable, shareQueue } from './share.js';
import type { Share } from './share.js';

function table() {
  const calls: string[] = [];
  const shares = new ShareTable('midge.msg', 'midge', (subject: string, queue: string, share: Share) => {
    calls.push(`+${subject} ${queue === shareQueue('midge', share) ? 'q' : 'wrong queue'} ${share.group}`);
    return () => calls.push(`-${subject}`);
  });
  return { shares, calls };
}

describe('shared subscriptions across the cluster', () => {
  it('names one queue group per group and filter, the same on every node of a prefix', () => {
    const q = shareQueue('midge', { group: 'g', filter: 'a/#' });
    expect(q).toMatch(/^share-[0-9a-f]{32}$/);
    expect(shareQueue('midge', { group: 'g', filter: 'a/#' })).toBe(q);
    expect(shareQueue('midge', { group: 'g', filter: 'a/+' })).not.toBe(q);
    expect(shareQueue('midge', { group: 'h', filter: 'a/#' })).not.toBe(q);
    expect(shareQueue('other', { group: 'g', filter: 'a/#' })).not.toBe(q);
  });

  it('subscribes the filter subjects of a group once however many members it has here, and ends with the last', () => {
    const { shares, calls } = table();
    shares.add('$share/g/a/#');
    shares.add('$share/g/a/#');
    expect(calls).toEqual(['+midge.msg.a q g', '+midge.msg.a.> q g']);
    shares.remove('$share/g/a/#');
    expect(shares.size).toBe(1);
    shares.remove('$share/g/a/#');
    expect(calls.slice(2)).toEqual(['-midge.msg.a', '-midge.msg.a.>']);
    expect(shares.size).toBe(0);
  });

  it('leaves plain filters, $ filters and unknown removals alone', () => {
    const { shares, calls } = table();
    shares.add('a/b');
    shares.add('$share/g/$SYS/#');
    shares.remove('$share/g/never');
    shares.remove('a/b');
    expect(calls).toEqual([]);
  });
});
