/**
 * A session moving between brokers of a cluster: `handOverSession` gives one up on the broker the client
 * left (BrokerApi.handOverSession), `adoptSession` takes it in on the broker the client connects to (what
 * the cluster plugin's `claimSession` resolved with). The transport between them is the plugin's.
 */
import { ReasonCode } from '../codec/reason-codes.js';
import type { PersistedQueued, PersistedSession } from '../persistence/types.js';
import type { BrokerContext } from './context.js';
import type { Session } from './session.js';
import { restoreSession } from './snapshot.js';

/** Queue entries read per page when catching up with deliveries queued while the session was read. */
const CATCH_UP_PAGE = 10_000;

export interface HandOverOptions {
  /**
   * The client asked the other broker for a clean start: the session ends here as a clean start ends it
   * locally (a will waiting for its delay is published, as the session ends [MQTT-3.1.3-9]) and nothing is
   * returned.
   */
  readonly cleanStart?: boolean;
}

/**
 * Gives up the session of `clientId` to another broker: its connection is closed (v5 DISCONNECT 0x8E, the
 * will as for any takeover), a will waiting for its delay is dropped (the client is back, elsewhere
 * [MQTT-3.1.3-9]), the session is read back whole from the store and removed from this broker. Deliveries
 * routed to it while it is read are read too. Undefined when there is no session, it ended with its
 * connection (clean), the client asked for a clean start, or a client took it here again meanwhile.
 */
export async function handOverSession(
  ctx: BrokerContext,
  clientId: string,
  options: HandOverOptions = {},
): Promise<PersistedSession | undefined> {
  const sessions = ctx.sessions;
  const found = sessions.get(clientId);
  if (found === undefined) return undefined;
  found.connection?.close('session taken over by a connection on another broker', false, {
    reasonCode: ReasonCode.sessionTakenOver,
  });
  // A clean session ended with its connection.
  const session = sessions.get(clientId);
  if (session === undefined) return undefined;
  if (options.cleanStart === true || !session.persisted) {
    sessions.discard(session);
    return undefined;
  }
  dropPendingWill(ctx, session);
  const stored = await ctx.persistence.getSession(clientId);
  if (!stillHere(ctx, session)) return undefined;
  if (stored === undefined) {
    ctx.log.warn({ clientId }, 'a persistent session to hand over was not in the store: handed over empty');
    sessions.discard(session);
    return undefined;
  }
  const queue: PersistedQueued[] = [...stored.queue];
  // Still subscribed while reading: what was queued after the read began is behind what it returned.
  let last = queue.at(-1)?.seq ?? -1;
  while (session.spilledCount > 0 && session.spilled.lastSeq > last) {
    const page = await ctx.persistence.listQueued(clientId, last, CATCH_UP_PAGE);
    if (!stillHere(ctx, session)) return undefined;
    const end = page.at(-1);
    if (end === undefined) break;
    queue.push(...page);
    last = end.seq;
  }
  // Deliveries held only in memory (queued before the session had a store key for them).
  for (const d of session.queue) queue.push({ seq: ++last, delivery: d });
  sessions.discard(session);
  const handed: PersistedSession = { ...stored, queue, disconnectedAt: Date.now() };
  if (ctx.debug) ctx.log.debug({ clientId, queued: queue.length }, 'session handed over to another broker');
  return handed;
}

/** The session is still this broker's and offline: no client took it here while it was being read. */
function stillHere(ctx: BrokerContext, session: Session): boolean {
  if (ctx.sessions.get(session.clientId) === session && session.connection === undefined && !session.ended) return true;
  ctx.log.warn(
    { clientId: session.clientId },
    'a client took its session on this broker while it was being handed over: the session stays here',
  );
  return false;
}

function dropPendingWill(ctx: BrokerContext, session: Session): void {
  const pending = session.pendingWill;
  if (pending === undefined) return;
  clearTimeout(pending.timer);
  session.pendingWill = undefined;
  ctx.sessions.forgetWill(session.clientId);
}

/**
 * Takes in a session another broker handed over (the cluster plugin's `claimSession` resolved with it),
 * before the client's CONNECT opens it: stored, subscribed, its queue and inflight restored as at a
 * restart. A copy this broker held of the client id is older (the client went elsewhere since): it goes.
 */
export function adoptSession(ctx: BrokerContext, handed: PersistedSession): void {
  const sessions = ctx.sessions;
  const clientId = handed.clientId;
  const local = sessions.get(clientId);
  if (local !== undefined) {
    local.connection?.close('session taken over by a connection on another broker', false, {
      reasonCode: ReasonCode.sessionTakenOver,
    });
    const left = sessions.get(clientId);
    if (left !== undefined) {
      dropPendingWill(ctx, left);
      sessions.discard(left);
    }
  }
  const record: PersistedSession = { ...handed, disconnectedAt: Date.now() };
  // Written before it is restored: the queue is read back from the store as the client drains it.
  ctx.journal.write(ctx.persistence.saveSession(record));
  sessions.restore(restoreSession(ctx, record), Date.now());
  if (ctx.debug) ctx.log.debug({ clientId, queued: record.queue.length }, 'session adopted from another broker');
}
