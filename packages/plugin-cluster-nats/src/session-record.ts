/**
 * What the cluster keeps of a persistent session outside its node (bucket `<prefix>_sessions`), so the
 * session can resume on another node after its own is gone: the subscriptions with their options, the
 * owner and expiry, and `since`, the time from which the cluster's stored messages may hold messages the
 * session has not had. Queued messages are not in the record: they are the stored messages (stream
 * `<prefix>_session_messages`) from `since` on that match the subscriptions.
 */
import type { ClientDetail, PersistedDelivery, PersistedSubscription } from '@midge/mqtt-core';
import type { Message } from '@midge/mqtt-core';
import { topicMatchesFilter } from '@midge/mqtt-core';

export const SESSION_RECORD_VERSION = 1;

export interface SessionRecord {
  readonly v: typeof SESSION_RECORD_VERSION;
  /** The node that wrote it (the one holding the session then). */
  readonly node: string;
  readonly clientId: string;
  /** The owner (`session_owner`): its username, null when anonymous. */
  readonly username: string | null;
  readonly protocolVersion: 3 | 4 | 5;
  /** v5 Session Expiry Interval, seconds; absent: the broker's default. */
  readonly expiryInterval?: number;
  /** Epoch ms of the last disconnect; absent while connected. */
  readonly disconnectedAt?: number;
  /** Epoch ms: stored messages from here on may not have reached the session. */
  readonly since: number;
  readonly subscriptions: readonly PersistedSubscription[];
}

/** The record of a persistent session as `detail` describes it. */
export function recordOf(
  detail: ClientDetail,
  node: string,
  since: number,
  disconnectedAt: number | undefined,
): SessionRecord {
  return {
    v: SESSION_RECORD_VERSION,
    node,
    clientId: detail.clientId,
    username: detail.username ?? null,
    protocolVersion: detail.protocolVersion,
    ...(detail.expiryInterval === undefined ? {} : { expiryInterval: detail.expiryInterval }),
    ...(disconnectedAt === undefined ? {} : { disconnectedAt }),
    since,
    subscriptions: detail.subscriptionList.map((s) => ({
      topic: s.filter,
      qos: s.qos,
      ...(s.noLocal ? { noLocal: true } : {}),
      ...(s.retainAsPublished ? { retainAsPublished: true } : {}),
      ...(s.subscriptionId === undefined ? {} : { subscriptionId: s.subscriptionId }),
    })),
  };
}

/**
 * The filters of `record` that stored messages are kept for: those granted QoS 1 or 2 (a QoS 0
 * subscription gets nothing a broker must keep), not shared (a shared subscription's message goes to one
 * member of the group, which is no particular session's to replay).
 */
export function storedFilters(record: SessionRecord): string[] {
  return record.subscriptions.filter((s) => s.qos > 0 && !s.topic.startsWith('$share/')).map((s) => s.topic);
}

const strict = new TextDecoder('utf-8', { fatal: true });

/** The record in `data`; throws naming what is wrong. */
export function decodeSessionRecord(data: Uint8Array): SessionRecord {
  const value: unknown = JSON.parse(strict.decode(data));
  if (typeof value !== 'object' || value === null) throw new Error('a session record is a JSON object');
  const r = value as Record<string, unknown>;
  if (r.v !== SESSION_RECORD_VERSION) throw new Error(`unknown session record version ${String(r.v)}`);
  if (typeof r.node !== 'string' || typeof r.clientId !== 'string') throw new Error('node and clientId are strings');
  if (r.username !== null && typeof r.username !== 'string') throw new Error('username is a string or null');
  if (r.protocolVersion !== 3 && r.protocolVersion !== 4 && r.protocolVersion !== 5)
    throw new Error('protocolVersion is 3, 4 or 5');
  if (!isTime(r.since)) throw new Error('since is an epoch time in ms');
  if (r.disconnectedAt !== undefined && !isTime(r.disconnectedAt)) throw new Error('disconnectedAt is an epoch time');
  if (r.expiryInterval !== undefined && !(typeof r.expiryInterval === 'number' && r.expiryInterval >= 0))
    throw new Error('expiryInterval is a number of seconds');
  if (!Array.isArray(r.subscriptions)) throw new Error('subscriptions is a list');
  for (const s of r.subscriptions as unknown[]) {
    const sub = s as Record<string, unknown> | null;
    if (sub === null || typeof sub.topic !== 'string' || (sub.qos !== 0 && sub.qos !== 1 && sub.qos !== 2))
      throw new Error('a subscription has a topic and a qos of 0, 1 or 2');
  }
  return value as SessionRecord;
}

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** Whether the session of `record` has expired by `now` (`defaultExpiry`: the broker's, in seconds). */
export function recordExpired(record: SessionRecord, now: number, defaultExpiry: number): boolean {
  if (record.disconnectedAt === undefined) return false;
  const expiry = record.expiryInterval ?? defaultExpiry;
  // As the broker's own expiry: 0 (the config's "forever") and 0xFFFFFFFF (v5 "never") never expire.
  if (expiry <= 0 || expiry >= 0xffffffff) return false;
  return record.disconnectedAt + expiry * 1000 <= now;
}

/**
 * What the session of `record` gets of one stored `message` (published by `publisher`, a client id when
 * a client published it): one delivery at the highest QoS of its matching subscriptions [MQTT-3.3.4-2],
 * with all their subscription identifiers, or undefined when none matches (or No Local excludes it).
 */
export function deliveryFor(
  record: SessionRecord,
  message: Message,
  publisher: string | undefined,
  expiresAt: number | undefined,
): PersistedDelivery | undefined {
  let qos = -1;
  let retain = false;
  let ids: number[] | undefined;
  for (const s of record.subscriptions) {
    if (s.qos === 0 || s.topic.startsWith('$share/') || !topicMatchesFilter(s.topic, message.topic)) continue;
    if (s.noLocal === true && publisher === record.clientId) continue;
    qos = Math.max(qos, Math.min(s.qos, message.qos));
    if (s.retainAsPublished === true && message.retain) retain = true;
    if (s.subscriptionId !== undefined) (ids ??= []).push(s.subscriptionId);
  }
  if (qos < 1) return undefined;
  const kept = expiresAt === undefined ? message : { ...message, expiresAt };
  return {
    message: kept,
    qos: qos as 1 | 2,
    retain,
    ...(ids === undefined ? {} : { subscriptionIds: ids }),
  };
}
