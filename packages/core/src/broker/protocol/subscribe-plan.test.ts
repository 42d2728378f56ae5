import { describe, expect, it } from 'vitest';
import type { Subscription } from '../../codec/packets.js';
import { planFilters } from './subscribe-plan.js';

const sub = (topic: string, qos: 0 | 1 | 2, retainHandling?: 0 | 1 | 2): Subscription =>
  retainHandling === undefined ? { topic, qos } : { topic, qos, retainHandling };

describe('planFilters', () => {
  it('[MQTT-3.8.4-3] a repeated filter is planned once, with the QoS and index of its last allowed copy', () => {
    const subs = [sub('a/#', 2), sub('b', 0), sub('a/#', 1), sub('a/#', 0)];
    // The last copy of a/# is refused: the one before it makes the subscription.
    const plan = planFilters(subs, (i) => i !== 3);
    expect([...plan.keys()]).toEqual(['a/#', 'b']);
    expect(plan.get('a/#')).toMatchObject({ last: 2, qos: 1 });
    expect(plan.get('b')).toMatchObject({ last: 1, qos: 0 });
  });

  it('leaves out a filter whose every copy was refused', () => {
    const plan = planFilters([sub('x', 1), sub('x', 2)], () => false);
    expect(plan.size).toBe(0);
  });

  it('[MQTT-3.3.1-9] remembers Retain Handling 0 on any copy and 1 on the first', () => {
    const plan = planFilters([sub('t', 0, 1), sub('t', 1, 2), sub('u', 0, 2), sub('u', 0, 0)], () => true);
    expect(plan.get('t')).toMatchObject({ anyHandling0: false, firstHandling1: true });
    expect(plan.get('u')).toMatchObject({ anyHandling0: true, firstHandling1: false });
  });
});
