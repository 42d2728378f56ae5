import type { PersistedDelivery, PersistedSession } from '../persistence/types.js';
import type { ClientInfo } from '../plugin-api/types.js';
import type { BrokerContext } from './context.js';
import { copyMessage, type Delivery } from './message.js';
import { Session, UNCLAIMED } from './session.js';

function restoreDelivery(d: PersistedDelivery, seq?: number): Delivery {
  const message = copyMessage(d.message);
  const base =
    d.subscriptionIds === undefined
      ? { message, qos: d.qos, retain: d.retain }
      : { message, qos: d.qos, retain: d.retain, subscriptionIds: [...d.subscriptionIds] };
  return seq === undefined ? base : { ...base, seq };
}

/**
 * The record of a session that just became persistent (CONNECT), connected: no disconnect time yet.
 * Its subscriptions, queue and inflight window are written through as they change.
 */
export function toPersisted(session: Session): PersistedSession {
  return {
    clientId: session.clientId,
    subscriptions: [...session.subscriptions].map(([topic, sub]) => {
      const out: {
        topic: string;
        qos: typeof sub.qos;
        noLocal?: boolean;
        retainAsPublished?: boolean;
        subscriptionId?: number;
      } = { topic, qos: sub.qos };
      if (sub.noLocal) out.noLocal = true;
      if (sub.retainAsPublished) out.retainAsPublished = true;
      if (sub.subscriptionId !== undefined) out.subscriptionId = sub.subscriptionId;
      return out;
    }),
    queue: [],
    inflight: [],
    inboundQos2: [],
    protocolVersion: session.client.protocolVersion,
    ...(session.expiryInterval !== undefined ? { expiryInterval: session.expiryInterval } : {}),
    // An unclaimed session (older record) stays unclaimed: absent, not null, which would mean anonymous.
    ...(session.owner !== UNCLAIMED ? { username: session.owner ?? null } : {}),
  };
}

/**
 * Rebuilds a stored session (offline) into the router and the counters. A queue entry that is also
 * inflight (a store that could not remove it in the same transaction, then a crash) is kept as inflight.
 */
export function restoreSession(ctx: BrokerContext, p: PersistedSession): Session {
  // The owner's username, so offline deliveries are authorized ('receive') for the identity the session is for.
  const username = p.username ?? undefined;
  const client: ClientInfo = Object.freeze({
    clientId: p.clientId,
    username,
    protocolVersion: p.protocolVersion ?? 4,
    listener: '',
    remoteAddress: '',
    remotePort: 0,
    secure: false,
  });
  const session = new Session(p.clientId, false, client, ctx.config.max_inflight_messages);
  session.expiryInterval = p.expiryInterval;
  session.owner = p.username === undefined ? UNCLAIMED : username;
  for (const sub of p.subscriptions) {
    ctx.router.subscribe(session, sub.topic, sub.qos, {
      noLocal: sub.noLocal ?? false,
      retainAsPublished: sub.retainAsPublished ?? false,
      ...(sub.subscriptionId !== undefined ? { subscriptionId: sub.subscriptionId } : {}),
    });
  }
  // After the subscriptions: they come from the store, and are not written back to it.
  session.persisted = true;
  const sent = new Set<number>();
  for (const e of p.inflight) {
    if (e.seq !== undefined) sent.add(e.seq);
    session.inflightOut.set(e.packetId, {
      packetId: e.packetId,
      delivery: restoreDelivery(e.delivery, e.seq),
      state: e.state,
    });
  }
  let nextSeq = 0;
  for (const { seq, delivery } of p.queue) {
    if (seq >= nextSeq) nextSeq = seq + 1;
    if (sent.has(seq)) {
      ctx.journal.write(ctx.persistence.deleteQueued(p.clientId, seq));
      continue;
    }
    session.restoreQueued(restoreDelivery(delivery, seq));
  }
  for (const seq of sent) if (seq >= nextSeq) nextSeq = seq + 1;
  session.nextSeq = nextSeq;
  for (const id of p.inboundQos2) session.inboundQos2.add(id);
  ctx.stats.messagesStored += session.queueLength;
  ctx.stats.inflightOut += session.inflightCount;
  ctx.stats.inflightIn += session.inboundQos2Count;
  return session;
}
