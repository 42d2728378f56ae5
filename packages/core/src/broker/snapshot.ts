import type { PersistedDelivery, PersistedSession } from '../persistence/types.js';
import type { ClientInfo } from '../plugin-api/types.js';
import type { BrokerContext } from './context.js';
import { copyMessage, type Delivery } from './message.js';
import { Session, UNCLAIMED } from './session.js';

function restoreDelivery(d: PersistedDelivery): Delivery {
  const message = copyMessage(d.message);
  return d.subscriptionIds === undefined
    ? { message, qos: d.qos, retain: d.retain }
    : { message, qos: d.qos, retain: d.retain, subscriptionIds: [...d.subscriptionIds] };
}

/** A persistent session as the Persistence interface stores it. */
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
    queue: session.queue.slice(),
    inflight: [...session.inflightOut.values()].map((e) => ({
      packetId: e.packetId,
      delivery: e.delivery,
      state: e.state,
    })),
    inboundQos2: [...session.inboundQos2],
    disconnectedAt: Date.now(),
    ...(session.expiryInterval !== undefined ? { expiryInterval: session.expiryInterval } : {}),
    // An unclaimed session (older record) stays unclaimed: absent, not null, which would mean anonymous.
    ...(session.owner !== UNCLAIMED ? { username: session.owner ?? null } : {}),
  };
}

/** Rebuilds a stored session (offline) into the router and the counters. */
export function restoreSession(ctx: BrokerContext, p: PersistedSession): Session {
  // The owner's username, so offline deliveries are authorized ('receive') for the identity the session is for.
  const username = p.username ?? undefined;
  const client: ClientInfo = Object.freeze({
    clientId: p.clientId,
    username,
    protocolVersion: 4,
    listener: '',
    remoteAddress: '',
    remotePort: 0,
    secure: false,
  });
  const session = new Session(p.clientId, false, client, ctx.config.max_inflight_messages);
  session.expiryInterval = p.expiryInterval;
  session.owner = p.username === undefined ? UNCLAIMED : username;
  session.persisted = true;
  for (const sub of p.subscriptions) {
    ctx.router.subscribe(session, sub.topic, sub.qos, {
      noLocal: sub.noLocal ?? false,
      retainAsPublished: sub.retainAsPublished ?? false,
      ...(sub.subscriptionId !== undefined ? { subscriptionId: sub.subscriptionId } : {}),
    });
  }
  for (const d of p.queue) session.restoreQueued(restoreDelivery(d));
  for (const e of p.inflight)
    session.inflightOut.set(e.packetId, {
      packetId: e.packetId,
      delivery: restoreDelivery(e.delivery),
      state: e.state,
    });
  for (const id of p.inboundQos2) session.inboundQos2.add(id);
  ctx.stats.messagesStored += session.queue.length;
  ctx.stats.inflightOut += session.inflightOut.size;
  ctx.stats.inflightIn += session.inboundQos2.size;
  return session;
}
