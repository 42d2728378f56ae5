import { describe, expect, it } from 'vitest';
import { RING_SIZE, SeenMessages } from './seen-messages.js';

describe('SeenMessages', () => {
  it('knows the messages of each sender it recorded, per incarnation', () => {
    const seen = new SeenMessages();
    seen.record('a', { incarnation: 1, seq: 1 });
    seen.record('a', { incarnation: 1, seq: 3 });
    seen.record('b', { incarnation: 9, seq: 2 });
    expect(seen.has('a', { incarnation: 1, seq: 1 })).toBe(true);
    expect(seen.has('a', { incarnation: 1, seq: 2 })).toBe(false);
    expect(seen.has('a', { incarnation: 2, seq: 1 })).toBe(false);
    expect(seen.has('b', { incarnation: 9, seq: 2 })).toBe(true);
    expect(seen.has('c', { incarnation: 1, seq: 1 })).toBe(false);
    // Recorded after a lookup: still known (the set follows the ring).
    seen.record('a', { incarnation: 1, seq: 4 });
    expect(seen.has('a', { incarnation: 1, seq: 4 })).toBe(true);
    // The node restarted: its old run is forgotten.
    seen.record('a', { incarnation: 2, seq: 1 });
    expect(seen.has('a', { incarnation: 1, seq: 3 })).toBe(false);
    expect(seen.has('a', { incarnation: 2, seq: 1 })).toBe(true);
  });

  it('keeps the last RING_SIZE messages of a sender, with or without lookups going on', () => {
    for (const lookups of [false, true]) {
      const seen = new SeenMessages();
      if (lookups) seen.has('a', { incarnation: 1, seq: 0 });
      for (let seq = 1; seq <= RING_SIZE + 10; seq++) seen.record('a', { incarnation: 1, seq });
      expect(seen.has('a', { incarnation: 1, seq: 10 })).toBe(false);
      expect(seen.has('a', { incarnation: 1, seq: 11 })).toBe(true);
      expect(seen.has('a', { incarnation: 1, seq: RING_SIZE + 10 })).toBe(true);
    }
  });
});
