/** The subscriptions list of the admin API: every session's filters, filtered, sorted and paged. */
import type { SubscriptionEntry } from '@midge/mqtt-core';

export interface SubscriptionQuery {
  readonly limit: number;
  readonly offset: number;
  /** Only this client id's. */
  readonly client?: string | undefined;
  /** Filters starting with it. */
  readonly prefix?: string | undefined;
}

export function subscriptionPage(
  entries: Iterable<SubscriptionEntry>,
  query: SubscriptionQuery,
): { total: number; offset: number; limit: number; subscriptions: { clientId: string; filter: string }[] } {
  const { client, prefix } = query;
  const matching: { clientId: string; filter: string }[] = [];
  for (const e of entries)
    if ((client === undefined || e.clientId === client) && (prefix === undefined || e.filter.startsWith(prefix)))
      matching.push({ clientId: e.clientId, filter: e.filter });
  matching.sort((a, b) =>
    a.clientId !== b.clientId
      ? a.clientId < b.clientId
        ? -1
        : 1
      : a.filter < b.filter
        ? -1
        : a.filter > b.filter
          ? 1
          : 0,
  );
  return {
    total: matching.length,
    offset: query.offset,
    limit: query.limit,
    subscriptions: matching.slice(query.offset, query.offset + query.limit),
  };
}
