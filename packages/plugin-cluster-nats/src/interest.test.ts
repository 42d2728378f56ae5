import { describe, expect, it } from 'vitest';
import { logText, recordingLogger } from '@midge/mqtt-core/testing';
import { InterestTable } from './interest.js';
import { MAX_SUBJECT_BYTES } from './subject.js';

/** An InterestTable over a fake NATS connection that records what it was asked to do. */
function table() {
  const calls: string[] = [];
  const logger = recordingLogger();
  const interest = new InterestTable(
    'midge.msg',
    (subject) => {
      calls.push(`+${subject}`);
      return () => calls.push(`-${subject}`);
    },
    logger,
  );
  return { interest, calls, logger };
}

describe('InterestTable', () => {
  it('subscribes to a subject once however many sessions hold it, and lets it go with the last one', () => {
    const { interest, calls } = table();
    interest.add('a/b');
    interest.add('a/b');
    interest.remove('a/b');
    expect(calls).toEqual(['+midge.msg.a.b']);
    interest.remove('a/b');
    expect(calls).toEqual(['+midge.msg.a.b', '-midge.msg.a.b']);
    expect(interest.size).toBe(0);
  });

  it('counts subjects, not filters: `a/#` and `a` share the subject `a`', () => {
    const { interest, calls } = table();
    interest.add('a/#');
    interest.add('a');
    expect(interest.subjects()).toEqual(['midge.msg.a', 'midge.msg.a.>']);
    interest.remove('a/#');
    expect(interest.subjects()).toEqual(['midge.msg.a']);
    expect(calls).toEqual(['+midge.msg.a', '+midge.msg.a.>', '-midge.msg.a.>']);
  });

  it('leaves shared subscriptions to their queue groups (share.ts), and subscribes a $ filter to nothing', () => {
    const { interest } = table();
    interest.add('$share/g/t/+');
    interest.add('$SYS/#');
    interest.add('$share/g/$SYS/x');
    expect(interest.subjects()).toEqual([]);
    interest.remove('$SYS/#');
    interest.remove('$share/g/t/+');
    expect(interest.size).toBe(0);
  });

  it('ignores the removal of a filter it does not hold (never goes below zero)', () => {
    const { interest, calls } = table();
    interest.remove('x');
    interest.add('x');
    interest.remove('y');
    expect(calls).toEqual(['+midge.msg.x']);
  });

  it('does not subscribe to a filter whose subject would be too long, and warns once per filter', () => {
    const { interest, calls, logger } = table();
    const long = 'l'.repeat(MAX_SUBJECT_BYTES);
    interest.add(long);
    interest.add(long);
    interest.remove(long);
    expect(calls).toEqual([]);
    expect(logText(logger.records, 'warn').match(/too long/g)).toHaveLength(1);
  });

  it('clear ends every subscription', () => {
    const { interest, calls } = table();
    interest.add('a');
    interest.add('b/+');
    interest.clear();
    expect(calls.filter((c) => c.startsWith('-')).sort()).toEqual(['-midge.msg.a', '-midge.msg.b.*']);
    expect(interest.size).toBe(0);
  });
});
