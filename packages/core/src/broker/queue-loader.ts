import type { Decision } from '../plugin-api/types.js';
import { deliveryFromStore, type Delivery } from './message.js';
import type { PeerLink } from './peer-link.js';
import { isPromise } from './plugin-port.js';
import type { BrokerServices } from './services.js';
import type { Session } from './session.js';

/** After a failed read of the stored queue, the next try waits this long (the store logs why it failed). */
const RETRY_MS = 1000;

/**
 * How many stored deliveries one read brings back: twice the client's inflight window (its Receive Maximum
 * or max_inflight_messages), so the next page is read while the last one is sent, and memory per session
 * stays a few windows however long the stored queue is.
 */
function pageSize(session: Session): number {
  return Math.min(1000, Math.max(32, 2 * session.window));
}

/**
 * Reads the next page of a persistent session's queue whose messages live only in the store (it was
 * offline, or is still catching up), gives the deliveries back to the session in order and calls `drain`
 * to send them. Only for the connection `conn`: a page that arrives after it went away is let go, and read
 * again on the next resume. With topic authorization, each page is authorized ('receive') for the client now
 * attached before it is sent, as the in-memory queue is on resume (resume-authorization.ts).
 */
export function loadSpilled(
  ctx: BrokerServices,
  session: Session,
  conn: PeerLink,
  drain: (ctx: BrokerServices, session: Session) => void,
): void {
  const spilled = session.spilled;
  if (spilled.length === 0) return;
  const max = pageSize(session);
  const lastSpilled = spilled.lastSeq;
  const read = ctx.journal.store.listQueued(session.clientId, spilled.seqAt(0) - 1, max);
  const loading = read.then(
    (entries) => {
      const deliveries = entries.map((e) => deliveryFromStore(e.delivery, e.seq));
      const allowed = authorizeLoaded(ctx, session, deliveries);
      if (!isPromise(allowed)) return take(allowed);
      return allowed.then(take);
      function take(ok: readonly Delivery[]): void {
        if (session.loading === loading) session.loading = undefined;
        if (session.ended) return;
        // The client went away (or came back on a new connection, whose drain waited for this read): the page
        // is let go, its messages stay in the store.
        if (session.connection !== conn) return restart(ctx, session, drain);
        if (ok.length < deliveries.length) forgetDenied(ctx, session, deliveries, ok);
        // A short page holds everything stored up to the newest spilled entry at the time of the read.
        const missing = session.takeLoaded(ok, entries.length < max ? lastSpilled : -1);
        if (missing > 0) {
          ctx.stats.messagesStored -= missing;
          ctx.stats.drop('not-stored', missing);
          ctx.log.warn(
            { clientId: session.clientId, missing },
            'queued messages were not found in the store (their write failed): dropped',
          );
        }
        drain(ctx, session);
      }
    },
    (err: unknown) => {
      if (session.loading === loading) session.loading = undefined;
      ctx.log.error({ err, clientId: session.clientId }, 'reading a queue back from the store failed; retrying');
      setTimeout(() => {
        if (!session.ended) drain(ctx, session);
      }, RETRY_MS).unref();
    },
  );
  session.loading = loading;
}

/** A newer connection's drain found this read running and left the reading to it: read again for that one. */
function restart(ctx: BrokerServices, session: Session, drain: (ctx: BrokerServices, session: Session) => void): void {
  if (session.connection !== undefined) drain(ctx, session);
}

/** The deliveries of a page the client now attached may receive (all of them without topic authorization). */
function authorizeLoaded(
  ctx: BrokerServices,
  session: Session,
  deliveries: readonly Delivery[],
): readonly Delivery[] | Promise<readonly Delivery[]> {
  const host = ctx.host;
  if (host === undefined || !host.hasTopicAuthorization || deliveries.length === 0) return deliveries;
  const client = session.client;
  const decisions = deliveries.map((d): Decision | Promise<Decision> => {
    try {
      const decision = host.authorizeTopic({ client, action: 'receive', topic: d.message.topic, qos: d.qos });
      return isPromise(decision) ? decision.catch((err: unknown) => denied(ctx, session, err)) : decision;
    } catch (err) {
      return denied(ctx, session, err);
    }
  });
  const pick = (all: readonly Decision[]): Delivery[] => deliveries.filter((_, i) => all[i]?.verdict === 'allow');
  if (!decisions.some(isPromise)) return pick(decisions as Decision[]);
  return Promise.all(decisions.map(async (d) => d)).then(pick);
}

function denied(ctx: BrokerServices, session: Session, err: unknown): Decision {
  ctx.log.warn({ err, clientId: session.clientId }, 'authorizing a stored message failed; denying');
  return { verdict: 'deny' };
}

/** Denied deliveries of a page leave the queue and the store, counted as denied. */
function forgetDenied(
  ctx: BrokerServices,
  session: Session,
  deliveries: readonly Delivery[],
  allowed: readonly Delivery[],
): void {
  const keep = new Set(allowed);
  const seqs = new Set<number>();
  for (const d of deliveries) if (!keep.has(d) && d.seq !== undefined) seqs.add(d.seq);
  const removed = session.forgetSpilled(seqs);
  for (const seq of seqs) ctx.journal.write(ctx.journal.store.deleteQueued(session.clientId, seq));
  ctx.stats.messagesStored -= removed;
  if (removed > 0) ctx.stats.drop('denied', removed);
}
