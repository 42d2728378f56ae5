/** The sessions list of the admin API: the broker's session summaries, filtered, sorted and paged. */
import type { SessionSummary } from '@midge/mqtt-core';

export interface SessionRow {
  readonly clientId: string;
  readonly username: string | null;
  readonly connected: boolean;
  readonly persistent: boolean;
  readonly subscriptions: number;
  readonly queued: number;
  readonly inflight: number;
  readonly expiryInterval: number | null;
}

export interface SessionQuery {
  readonly limit: number;
  readonly offset: number;
  /** Client ids starting with it. */
  readonly prefix?: string | undefined;
  /** Only connected (true) or only offline (false) sessions. */
  readonly connected?: boolean | undefined;
}

export function sessionPage(
  sessions: readonly SessionSummary[],
  query: SessionQuery,
): { total: number; offset: number; limit: number; sessions: SessionRow[] } {
  const { prefix, connected } = query;
  const matching = sessions
    .filter(
      (s) =>
        (prefix === undefined || s.clientId.startsWith(prefix)) &&
        (connected === undefined || s.connected === connected),
    )
    .sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
  return {
    total: matching.length,
    offset: query.offset,
    limit: query.limit,
    sessions: matching.slice(query.offset, query.offset + query.limit).map((s) => ({
      clientId: s.clientId,
      username: s.username ?? null,
      connected: s.connected,
      persistent: s.persistent,
      subscriptions: s.subscriptions,
      queued: s.queued,
      inflight: s.inflight,
      expiryInterval: s.expiryInterval ?? null,
    })),
  };
}
