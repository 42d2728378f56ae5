import type { SubscriptionEntry } from '../plugin-api/types.js';

/** What `subscriptionEntries` reads of a session. */
interface SubscriptionHolder {
  readonly clientId: string;
  subscriptionFilters(): string[];
}

/**
 * Every subscription of `sessions`, one entry per client id and filter (`BrokerApi.subscriptions()`). Lazy,
 * so a broker with a million subscriptions builds no list of them; each session's filters are copied
 * before they are handed out, so a consumer that subscribes or unsubscribes meanwhile does not disturb it.
 */
export function* subscriptionEntries(sessions: Iterable<SubscriptionHolder>): IterableIterator<SubscriptionEntry> {
  for (const session of sessions) {
    for (const filter of session.subscriptionFilters()) yield { clientId: session.clientId, filter };
  }
}
