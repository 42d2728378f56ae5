/**
 * The connected clients, read from `BrokerApi.connectedClients()` at `broker:post-start` and followed from
 * the `client:connected` / `client:disconnected` events (a list kept here answers filters and paging). Keyed by the `ClientInfo` object, which the broker keeps for the whole
 * connection: during a takeover the old and the new connection of one client id are both listed until the
 * old one's disconnect arrives, and that disconnect removes the old one only.
 */
import type { ClientInfo } from '@midge/mqtt-core';

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

export class ConnectedClients {
  readonly #since = new Map<ClientInfo, number>();
  readonly #byListener = new Map<string, number>();

  connected(client: ClientInfo, now = Date.now()): void {
    if (this.#since.has(client)) return;
    this.#since.set(client, now);
    this.#byListener.set(client.listener, (this.#byListener.get(client.listener) ?? 0) + 1);
  }

  disconnected(client: ClientInfo): void {
    if (!this.#since.delete(client)) return;
    const n = (this.#byListener.get(client.listener) ?? 1) - 1;
    if (n > 0) this.#byListener.set(client.listener, n);
    else this.#byListener.delete(client.listener);
  }

  get size(): number {
    return this.#since.size;
  }

  byListener(): ReadonlyMap<string, number> {
    return this.#byListener;
  }

  list(query: ClientQuery): ClientPage {
    const { prefix, username, listener } = query;
    const matching: ClientRow[] = [];
    for (const [c, since] of this.#since) {
      if (prefix !== undefined && !c.clientId.startsWith(prefix)) continue;
      if (username !== undefined && c.username !== username) continue;
      if (listener !== undefined && c.listener !== listener) continue;
      matching.push(row(c, since));
    }
    matching.sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
    return {
      total: matching.length,
      offset: query.offset,
      limit: query.limit,
      clients: matching.slice(query.offset, query.offset + query.limit),
    };
  }
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
