import type { PersistedQueued, PersistedSession } from '../persistence/types.js';
import type { ClientInfo } from '../plugin-api/types.js';
import type { BrokerContext } from './context.js';
import { deliveryFromStore, messageBytes } from './message.js';
import { Session, UNCLAIMED } from './session.js';

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

/** Stored queue entries read per page at start (`restoreQueue`): the messages are let go after each page. */
const RESTORE_PAGE = 10_000;

/**
 * Rebuilds a stored session (offline) into the router and the counters, without its queue (`restoreQueue`
 * reads that). A queue entry that is also inflight (a store that could not remove it in the same
 * transaction, then a crash) is kept as inflight.
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
  for (const e of p.inflight) {
    if (e.seq !== undefined && e.seq >= session.nextSeq) session.nextSeq = e.seq + 1;
    session.inflightOut.set(e.packetId, {
      packetId: e.packetId,
      delivery: deliveryFromStore(e.delivery, e.seq),
      state: e.state,
    });
  }
  for (const id of p.inboundQos2) session.inboundQos2.add(id);
  restoreQueuePage(ctx, session, p.queue);
  ctx.stats.inflightOut += session.inflightCount;
  ctx.stats.inflightIn += session.inboundQos2Count;
  return session;
}

/**
 * Reads a restored session's stored queue a page at a time, keeping per entry only its key, QoS and size:
 * the messages stay in the store until the client is back (queue-loader.ts). Returns how many are queued.
 */
export async function restoreQueue(ctx: BrokerContext, session: Session): Promise<number> {
  // After what listSessions gave already (a store may return the oldest entries with the session).
  let after = session.spilledCount > 0 ? session.spilled.lastSeq : -1;
  for (;;) {
    const page = await ctx.persistence.listQueued(session.clientId, after, RESTORE_PAGE);
    restoreQueuePage(ctx, session, page);
    const last = page.at(-1);
    if (last === undefined || page.length < RESTORE_PAGE) return session.queueLength;
    after = last.seq;
  }
}

function restoreQueuePage(ctx: BrokerContext, session: Session, page: readonly PersistedQueued[]): void {
  let sent: Set<number> | undefined;
  for (const e of session.inflightOut.values())
    if (e.delivery.seq !== undefined) (sent ??= new Set()).add(e.delivery.seq);
  let restored = 0;
  for (const { seq, delivery } of page) {
    if (seq >= session.nextSeq) session.nextSeq = seq + 1;
    if (sent?.has(seq) === true) {
      ctx.journal.write(ctx.persistence.deleteQueued(session.clientId, seq));
      continue;
    }
    session.restoreSpilled(seq, delivery.qos, messageBytes(delivery.message));
    restored++;
  }
  ctx.stats.messagesStored += restored;
}
