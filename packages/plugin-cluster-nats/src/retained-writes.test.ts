import { describe, expect, it } from 'vitest';
import { OwnWrites } from './retained-writes.js';

describe('OwnWrites', () => {
  it('skips reading back its own last write of a topic, once', () => {
    const writes = new OwnWrites();
    const id = writes.wrote('t');
    expect(writes.skip('t', id)).toBe(true);
    expect(writes.size).toBe(0);
    // Read again (the stream re-read after an outage): judged afresh, applied.
    expect(writes.skip('t', id)).toBe(false);
  });

  it('skips an older write of its own while a newer one is on its way', () => {
    const writes = new OwnWrites();
    const first = writes.wrote('t');
    const second = writes.wrote('t');
    expect(writes.skip('t', first)).toBe(true);
    expect(writes.skip('t', second)).toBe(true);
  });

  it("applies another writer's record and then its own write again (the stream's order decides)", () => {
    const writes = new OwnWrites();
    const mine = writes.wrote('t');
    // Another node's record came first in the stream: applied, over this node's value.
    expect(writes.skip('t', 'other-incarnation:1')).toBe(false);
    // This node's write follows it in the stream: applied again, so every node ends with it.
    expect(writes.skip('t', mine)).toBe(false);
  });

  it('applies records of other topics, of an earlier process, or without an id', () => {
    const writes = new OwnWrites();
    const earlier = new OwnWrites().wrote('t');
    writes.wrote('t');
    expect(writes.skip('u', `${writes.incarnation}:1`)).toBe(false);
    expect(writes.skip('t', earlier)).toBe(false);
    writes.wrote('t');
    expect(writes.skip('t', undefined)).toBe(false);
    expect(writes.skip('t', `${writes.incarnation}:not-a-number`)).toBe(false);
  });

  it('forgets everything on clear', () => {
    const writes = new OwnWrites();
    const id = writes.wrote('t');
    writes.clear();
    expect(writes.skip('t', id)).toBe(false);
  });
});
