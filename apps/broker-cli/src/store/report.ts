/**
 * What `midge store inspect` reads from a store, through the `Persistence` interface only (so it works for any
 * store package): sessions with their queue depths but not their queues (`listSessions(0)` and `countQueued`),
 * wills, retained messages. Payloads are reduced to their sizes.
 */
import {
  topicMatchesFilter,
  type PersistedDelivery,
  type PersistedSession,
  type PersistedWill,
  type Persistence,
  type ProtocolVersion,
  type QoS,
} from '@midge/mqtt-core';

/** Where the store is: shown above every report. */
export interface StoreLocation {
  /** The store module (`persistence.store`). */
  readonly store: string;
  readonly path: string;
}

export interface SessionSummary {
  readonly clientId: string;
  /** The owner: a username, `null` for an anonymous client, absent in records written before owners were stored. */
  readonly username?: string | null;
  readonly protocolVersion: ProtocolVersion;
  /** Epoch ms of the last disconnect; absent: a client was connected when the store was last written. */
  readonly disconnectedAt?: number;
  /** Seconds; absent: the broker's `session_expiry_interval`. */
  readonly expiryInterval?: number;
  readonly subscriptions: number;
  readonly queued: number;
  readonly inflight: number;
  readonly inboundQos2: number;
}

export interface MessageSummary {
  readonly topic: string;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly payloadBytes: number;
  /** Epoch ms of the v5 message expiry. */
  readonly expiresAt?: number;
}

export interface WillSummary extends MessageSummary {
  readonly clientId: string;
  /** v5 Will Delay Interval, seconds. */
  readonly delay: number;
  /** Epoch ms a delayed will is due; absent while its client is connected. */
  readonly publishAt?: number;
  readonly username: string | null;
}

export interface Totals {
  readonly sessions: number;
  readonly connected: number;
  readonly queued: number;
  readonly inflight: number;
  readonly inboundQos2: number;
  readonly wills: number;
  readonly delayedWills: number;
  readonly retained: number;
  readonly retainedBytes: number;
}

export interface StoreReport {
  readonly totals: Totals;
  /** By client id. */
  readonly sessions: readonly SessionSummary[];
  /** By client id. */
  readonly wills: readonly WillSummary[];
  /** By topic; only those matching the `--retained` filter when one was given. */
  readonly retained: readonly MessageSummary[];
}

export interface SessionDetail {
  readonly summary: SessionSummary;
  /** By filter. */
  readonly subscriptions: PersistedSession['subscriptions'];
  /** The oldest queued messages (at most the number asked for). */
  readonly queue: readonly (MessageSummary & { readonly seq: number })[];
  readonly inflight: readonly (MessageSummary & { readonly packetId: number; readonly state: 'publish' | 'pubrel' })[];
  readonly inboundQos2: readonly number[];
  readonly will?: WillSummary;
}

export async function storeReport(store: Persistence, retainedFilter?: string): Promise<StoreReport> {
  const sessions = await summaries(store);
  const wills = [...(await store.listWills())]
    .map(([clientId, will]) => willSummary(clientId, will))
    .sort((a, b) => compare(a.clientId, b.clientId));
  const allRetained = (await store.listRetained())
    .map((m) => messageSummary(m))
    .sort((a, b) => compare(a.topic, b.topic));
  const retained =
    retainedFilter === undefined ? allRetained : allRetained.filter((m) => topicMatchesFilter(retainedFilter, m.topic));
  const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);
  return {
    totals: {
      sessions: sessions.length,
      connected: sessions.filter((s) => s.disconnectedAt === undefined).length,
      queued: sum(sessions.map((s) => s.queued)),
      inflight: sum(sessions.map((s) => s.inflight)),
      inboundQos2: sum(sessions.map((s) => s.inboundQos2)),
      wills: wills.length,
      delayedWills: wills.filter((w) => w.publishAt !== undefined).length,
      retained: allRetained.length,
      retainedBytes: sum(allRetained.map((m) => m.payloadBytes)),
    },
    sessions,
    wills,
    retained,
  };
}

/** One session with its subscriptions, inflight messages and its `maxQueued` oldest queued ones; undefined if none. */
export async function sessionDetail(
  store: Persistence,
  clientId: string,
  maxQueued: number,
): Promise<SessionDetail | undefined> {
  // listSessions(0) rather than getSession: the latter reads the whole queue, which may be millions of messages.
  const session = (await store.listSessions(0)).find((s) => s.clientId === clientId);
  if (session === undefined) return undefined;
  const will = (await store.listWills()).get(clientId);
  const queue = await store.listQueued(clientId, -1, maxQueued);
  return {
    summary: summaryOf(session, await store.countQueued(clientId)),
    subscriptions: [...session.subscriptions].sort((a, b) => compare(a.topic, b.topic)),
    queue: queue.map((e) => ({ seq: e.seq, ...deliverySummary(e.delivery) })),
    inflight: session.inflight.map((i) => ({ packetId: i.packetId, state: i.state, ...deliverySummary(i.delivery) })),
    inboundQos2: session.inboundQos2,
    ...(will !== undefined ? { will: willSummary(clientId, will) } : {}),
  };
}

async function summaries(store: Persistence): Promise<SessionSummary[]> {
  const sessions = (await store.listSessions(0)).sort((a, b) => compare(a.clientId, b.clientId));
  const out: SessionSummary[] = [];
  for (const session of sessions) out.push(summaryOf(session, await store.countQueued(session.clientId)));
  return out;
}

function summaryOf(s: PersistedSession, queued: number): SessionSummary {
  return {
    clientId: s.clientId,
    ...(s.username !== undefined ? { username: s.username } : {}),
    protocolVersion: s.protocolVersion ?? 4,
    ...(s.disconnectedAt !== undefined ? { disconnectedAt: s.disconnectedAt } : {}),
    ...(s.expiryInterval !== undefined ? { expiryInterval: s.expiryInterval } : {}),
    subscriptions: s.subscriptions.length,
    queued,
    inflight: s.inflight.length,
    inboundQos2: s.inboundQos2.length,
  };
}

function messageSummary(m: PersistedDelivery['message'], qos: QoS = m.qos, retain = m.retain): MessageSummary {
  return {
    topic: m.topic,
    qos,
    retain,
    payloadBytes: m.payload.length,
    ...(m.expiresAt !== undefined ? { expiresAt: m.expiresAt } : {}),
  };
}

/** A delivery with the QoS and RETAIN flag it is sent with. */
function deliverySummary(d: PersistedDelivery): MessageSummary {
  return messageSummary(d.message, d.qos, d.retain);
}

function willSummary(clientId: string, w: PersistedWill): WillSummary {
  return {
    clientId,
    ...messageSummary(w.message),
    delay: w.delay,
    ...(w.publishAt !== undefined ? { publishAt: w.publishAt } : {}),
    username: w.username,
  };
}

/** By UTF-16 code units: stable whatever the locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
