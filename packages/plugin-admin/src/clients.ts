/**
 * The connected clients as the admin API shows them, read from the broker (`BrokerApi.connectedClients()`)
 * at each request: the broker's own list is the truth (a takeover's closed connection is not in it, a
 * plugin set up again by a reload sees everyone), and nothing is kept in step on the connect path.
 */
import type { ClientInfo, ConnectedClient } from '@midge/mqtt-core';

/** One connected client as the admin API shows it. */
export interface ClientRow {
  readonly clientId: string;
  readonly username: string | null;
  readonly listener: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly protocolVersion: number;
  readonly secure: boolean;
  /** ISO 8601 time of its CONNACK. */
  readonly connectedAt: string;
}

export interface ClientQuery {
  readonly limit: number;
  readonly offset: number;
  /** Client ids starting with it. */
  readonly prefix?: string | undefined;
  readonly username?: string | undefined;
  readonly listener?: string | undefined;
}

/** A page of clients, sorted by client id; `total` counts every client the filters match. */
export interface ClientPage {
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly clients: ClientRow[];
}

/** A page of `connected`, filtered, sorted by client id. */
export function clientPage(connected: readonly ConnectedClient[], query: ClientQuery): ClientPage {
  const { prefix, username, listener } = query;
  const matching: ClientRow[] = [];
  for (const { client: c, connectedAt } of connected) {
    if (prefix !== undefined && !c.clientId.startsWith(prefix)) continue;
    if (username !== undefined && c.username !== username) continue;
    if (listener !== undefined && c.listener !== listener) continue;
    matching.push(row(c, connectedAt));
  }
  matching.sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
  return {
    total: matching.length,
    offset: query.offset,
    limit: query.limit,
    clients: matching.slice(query.offset, query.offset + query.limit),
  };
}

/** How many of `connected` each listener serves (listeners with none are absent). */
export function connectionsByListener(connected: readonly ConnectedClient[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const { client } of connected) counts.set(client.listener, (counts.get(client.listener) ?? 0) + 1);
  return counts;
}

function row(c: ClientInfo, since: number): ClientRow {
  return {
    clientId: c.clientId,
    username: c.username ?? null,
    listener: c.listener,
    remoteAddress: c.remoteAddress,
    remotePort: c.remotePort,
    protocolVersion: c.protocolVersion,
    secure: c.secure,
    connectedAt: new Date(since).toISOString(),
  };
}
