import type { QoS } from '../codec/packets.js';
import type { Decision, TopicAction } from '../plugin-api/types.js';
import type { Delivery } from './message.js';
import { resendSession } from './outbound.js';
import { isPromise, type PluginHostLike } from './plugin-port.js';
import type { Router } from './router.js';
import type { BrokerServices } from './services.js';
import type { OutboundInflight, Session, Subscriber } from './session.js';

const DENIED: Decision = Object.freeze({ verdict: 'deny' });

/** What resuming needs: the shared services, and the router that denied subscriptions are removed from. */
export interface ResumeContext extends BrokerServices {
  readonly router: Pick<Router, 'unsubscribe'>;
}

/**
 * A persistent session's client came back. With topic authorization, what the session inherited is
 * authorized again for this client first (reauthorizeSession); while plugins answer asynchronously
 * nothing is sent and new deliveries queue behind the old ones. Then the rest is resent.
 */
export function resumeSession(ctx: ResumeContext, session: Session): void {
  // A newer resume supersedes one still waiting for its decisions.
  session.resuming = undefined;
  const host = ctx.host;
  if (host === undefined || !host.hasTopicAuthorization) {
    resendSession(ctx, session);
    return;
  }
  const pending = reauthorizeSession(ctx, host, session);
  if (pending === undefined) {
    resendSession(ctx, session);
    return;
  }
  const token = {};
  const conn = session.connection;
  session.resuming = token;
  pending
    .then(() => {
      if (session.resuming !== token) return;
      session.resuming = undefined;
      if (session.connection === conn) resendSession(ctx, session);
    })
    .catch((err: unknown) => {
      ctx.log.error({ err, clientId: session.clientId }, 'resuming a session failed');
      if (session.resuming === token) session.resuming = undefined;
      conn?.close('internal error while resuming the session', false, { reasonCode: 0x83 });
    });
}

/**
 * A resumed session was built by earlier connections, maybe of another identity (`session_owner: off`, a
 * claimed older record) or under rules that changed since: its subscriptions are authorized again
 * ('subscribe') and its queued and inflight messages ('receive'), for the client now attached
 * (`session.client`). Denied subscriptions are removed; denied messages are dropped and counted
 * (stats.dropped.denied). PUBREL-state inflight entries are kept: their message was delivered already.
 *
 * Returns undefined when every decision was synchronous (the session is cleaned already), else a promise
 * that settles once it is. Nothing is removed before every decision is in, so the session stays
 * consistent meanwhile; the caller holds deliveries back until then.
 */
export function reauthorizeSession(
  ctx: ResumeContext,
  host: PluginHostLike,
  session: Session,
): Promise<void> | undefined {
  const client = session.client;
  const deniedSubscriptions: [string, Subscriber][] = [];
  const deniedInflight: OutboundInflight[] = [];
  const deniedQueued = new Set<Delivery>();
  let pending: Promise<void>[] | undefined;

  const check = (action: TopicAction, topic: string, qos: QoS, onDeny: () => void): void => {
    let d: Decision | Promise<Decision>;
    try {
      d = host.authorizeTopic({ client, action, topic, qos });
    } catch (err) {
      ctx.log.warn({ err, clientId: client.clientId }, 'authorization on resume failed; denying');
      d = DENIED;
    }
    if (!isPromise(d)) {
      if (d.verdict !== 'allow') onDeny();
      return;
    }
    const settled = d.then(
      (x) => {
        if (x.verdict !== 'allow') onDeny();
      },
      (err: unknown) => {
        ctx.log.warn({ err, clientId: client.clientId }, 'authorization on resume failed; denying');
        onDeny();
      },
    );
    (pending ??= []).push(settled);
  };

  for (const filter of session.subscriptionFilters()) {
    const sub = session.subscriptions.get(filter);
    if (sub === undefined) continue;
    check('subscribe', filter, sub.qos, () => deniedSubscriptions.push([filter, sub]));
  }
  if (session.inflightCount > 0) {
    for (const entry of session.inflightOut.values()) {
      if (entry.state === 'publish')
        check('receive', entry.delivery.message.topic, entry.delivery.qos, () => deniedInflight.push(entry));
    }
  }
  if (session.queueLength > 0) {
    for (const d of session.queue) check('receive', d.message.topic, d.qos, () => deniedQueued.add(d));
  }

  const apply = (): void => {
    // The session may have ended (expired, discarded) while plugins were deciding.
    if (session.ended) return;
    dropDenied(ctx, session, deniedSubscriptions, deniedInflight, deniedQueued);
  };
  if (pending === undefined) {
    apply();
    return undefined;
  }
  return Promise.all(pending).then(apply);
}

function dropDenied(
  ctx: ResumeContext,
  session: Session,
  subscriptions: readonly [string, Subscriber][],
  inflight: readonly OutboundInflight[],
  queued: ReadonlySet<Delivery>,
): void {
  const stats = ctx.stats;
  for (const [filter, sub] of subscriptions) {
    // Unless the client subscribed again meanwhile (a new Subscriber), which was authorized on its own.
    if (session.subscriptions.get(filter) === sub) ctx.router.unsubscribe(session, filter);
  }
  for (const entry of inflight) {
    if (session.inflightOut.get(entry.packetId) !== entry) continue;
    session.inflightOut.delete(entry.packetId);
    stats.inflightOut--;
    stats.drop('denied');
    if (session.persisted) ctx.journal.write(ctx.persistence.deleteInflight(session.clientId, entry.packetId));
  }
  if (queued.size > 0) {
    const removed = session.removeQueued((d) => {
      if (!queued.has(d)) return false;
      if (d.seq !== undefined && session.persisted)
        ctx.journal.write(ctx.persistence.deleteQueued(session.clientId, d.seq));
      return true;
    });
    stats.messagesStored -= removed;
    if (removed > 0) stats.drop('denied', removed);
  }
  if (ctx.debug && (subscriptions.length > 0 || inflight.length > 0 || queued.size > 0)) {
    ctx.log.debug(
      {
        clientId: session.clientId,
        subscriptions: subscriptions.length,
        inflight: inflight.length,
        queued: queued.size,
      },
      'resumed session: denied subscriptions and messages removed',
    );
  }
}
