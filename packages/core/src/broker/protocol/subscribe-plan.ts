import type { QoS, Subscription } from '../../codec/packets.js';

/** One distinct topic filter of a SUBSCRIBE, over all of its allowed copies in that packet. */
export interface FilterPlan {
  /** Index of the last allowed copy: its options make the subscription, as in a sequence of SUBSCRIBEs. */
  last: number;
  /** The QoS the last allowed copy asked for: the one granted. */
  qos: QoS;
  /** Some allowed copy asked for Retain Handling 0 (send retained messages on every subscribe). */
  anyHandling0: boolean;
  /** The first allowed copy asked for Retain Handling 1 (send them if the subscription is new). */
  firstHandling1: boolean;
  /** Set once subscribed: whether the subscription did not exist before this packet. */
  isNew: boolean;
}

/**
 * Groups the allowed copies of each topic filter of one SUBSCRIBE, in order of first appearance. A
 * packet repeating `ret/#` a thousand times is one subscription and one delivery of its retained
 * messages, not a thousand [MQTT-3.8.4-3: a repeated filter replaces the subscription].
 */
export function planFilters(
  subscriptions: readonly Subscription[],
  allowed: (i: number) => boolean,
): Map<string, FilterPlan> {
  const plan = new Map<string, FilterPlan>();
  for (const [i, sub] of subscriptions.entries()) {
    if (!allowed(i)) continue;
    const handling = sub.retainHandling ?? 0;
    const p = plan.get(sub.topic);
    if (p === undefined) {
      plan.set(sub.topic, {
        last: i,
        qos: sub.qos,
        anyHandling0: handling === 0,
        firstHandling1: handling === 1,
        isNew: false,
      });
      continue;
    }
    p.last = i;
    p.qos = sub.qos;
    if (handling === 0) p.anyHandling0 = true;
  }
  return plan;
}
