import { ZERO_STATS } from '@midge/mqtt-core';
import { describe, expect, it } from 'vitest';
import { History } from './history.js';

describe('History', () => {
  it('keeps the last `size` samples of the counters, oldest first', () => {
    let received = 0;
    const h = new History(
      { stats: () => ({ ...ZERO_STATS, messagesReceived: received, clientsConnected: 2 }) },
      60_000,
      3,
    );
    for (received = 1; received <= 4; received++) h.sample();
    h.close();
    expect(h.points().map((p) => p.messagesReceived)).toEqual([2, 3, 4]);
    expect(h.points()[0]).toMatchObject({ connections: 2, messagesSent: 0 });
  });
});
