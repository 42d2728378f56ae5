/**
 * What an operator sees of the broker's sessions and may do to them (`BrokerApi.sessions()` /
 * `deleteSession()`, used by @midge/plugin-admin): a summary per session, and deleting an offline one.
 */
import type { ClientDetail, SessionSummary, SubscriptionDetail } from '../plugin-api/types.js';
import type { Session } from './session.js';
import type { SessionStore } from './session-store.js';

export function summarizeSession(session: Session): SessionSummary {
  return {
    clientId: session.clientId,
    username: session.client.username,
    connected: session.connection !== undefined,
    persistent: session.persisted,
    subscriptions: session.subscriptionFilters().length,
    queued: session.queueLength,
    inflight: session.inflightCount,
    expiryInterval: session.expiryInterval,
  };
}

/** `session` in detail; `connectedAt`: when its connection's CONNACK went out, if it has one. */
export function describeSession(session: Session, connectedAt: number | undefined): ClientDetail {
  const subscriptionList: SubscriptionDetail[] = [];
  for (const [filter, s] of session.subscriptions)
    subscriptionList.push({
      filter,
      qos: s.qos,
      noLocal: s.noLocal,
      retainAsPublished: s.retainAsPublished,
      subscriptionId: s.subscriptionId,
    });
  const { client } = session;
  return {
    ...summarizeSession(session),
    protocolVersion: client.protocolVersion,
    clean: session.clean,
    listener: client.listener,
    remoteAddress: client.remoteAddress,
    remotePort: client.remotePort,
    secure: client.secure,
    connectedAt: session.connection === undefined ? undefined : connectedAt,
    subscriptionList,
    queuedBytes: session.queuedBytes,
    inboundQos2: session.inboundQos2Count,
    pendingWill: session.pendingWill !== undefined,
  };
}

/**
 * Deletes an offline session as its expiry would (subscriptions, queued and inflight messages, its stored
 * copy; a will waiting for its delay is published, the session having ended [MQTT-3.1.3-9]). A session
 * with a connection, or one being resumed, is left alone: kick the client first.
 */
export function deleteOfflineSession(sessions: SessionStore, clientId: string): 'deleted' | 'connected' | 'unknown' {
  const session = sessions.get(clientId);
  if (session === undefined || session.ended) return 'unknown';
  if (session.connection !== undefined || session.resuming !== undefined) return 'connected';
  sessions.discard(session);
  return 'deleted';
}
