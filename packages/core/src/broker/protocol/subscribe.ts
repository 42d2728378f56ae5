import type { SubscribePacket } from '../../codec/packets.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import type { Decision } from '../../plugin-api/types.js';
import type { BrokerContext } from '../context.js';
import { isPromise } from '../plugin-port.js';
import type { ConnectedPeer } from '../peer.js';
import { isSharedFilter, parseSharedFilter, validateTopicFilter } from '../topic.js';
import { overFilterCap } from './filter-cap.js';
import { planFilters } from './subscribe-plan.js';

const ALLOW: Decision = Object.freeze({ verdict: 'allow' });
/** v3/v4 SUBACK return code for a refused filter [MQTT-3.9.3-2]. */
const FAILURE = 0x80;

/** A filter refused before asking plugins, with the v5 reason code to answer. */
interface Refused {
  readonly verdict: 'refused';
  readonly code: number;
}
type Outcome = Decision | Refused;

const QUOTA_EXCEEDED: Refused = Object.freeze({ verdict: 'refused', code: ReasonCode.quotaExceeded });
const FILTER_INVALID: Refused = Object.freeze({ verdict: 'refused', code: ReasonCode.topicFilterInvalid });
const NOT_AUTHORIZED: Refused = Object.freeze({ verdict: 'refused', code: ReasonCode.notAuthorized });

/**
 * SUBSCRIBE: each filter is validated and authorized ('subscribe'); the SUBACK carries the granted QoS
 * or a failure code per filter, in order [MQTT-3.8.4-1]. Retained messages follow the SUBACK
 * [MQTT-3.3.1-8], as v5 Retain Handling allows, for non-shared subscriptions only.
 *
 * A shared subscription `$share/{name}/{filter}` is validated on its inner filter. Plugins are asked
 * with the whole `$share/...` filter, so an ACL can grant a share explicitly; the packaged ACL and taboo
 * plugins judge it by its inner filter (`parseSharedFilter`), and every message is still authorized
 * for 'receive' on its own topic.
 */
export function handleSubscribe(
  ctx: BrokerContext,
  conn: ConnectedPeer,
  packet: SubscribePacket,
): void | Promise<void> {
  if (overFilterCap(ctx, conn, packet.subscriptions.length, 'SUBSCRIBE')) return;
  const host = ctx.host;
  const authorize = host !== undefined && host.hasTopicAuthorization;
  const outcomes: (Outcome | Promise<Decision>)[] = [];
  let async = false;
  for (const sub of packet.subscriptions) {
    let filter = sub.topic;
    if (isSharedFilter(filter)) {
      if (sub.noLocal === true) {
        // [MQTT-3.8.3-4] (v5): No Local on a shared subscription is a Protocol Error.
        conn.close('No Local set on a shared subscription [MQTT-3.8.3-4]', false, {
          reasonCode: ReasonCode.protocolError,
        });
        return;
      }
      const share = parseSharedFilter(filter);
      if (share === undefined) {
        if (ctx.debug)
          ctx.log.debug({ clientId: conn.client.clientId, filter }, 'malformed shared subscription [MQTT-4.8.2-1/2]');
        outcomes.push(FILTER_INVALID);
        continue;
      }
      filter = share.filter;
    }
    const invalid = validateTopicFilter(filter, ctx.topicLimits);
    if (invalid !== undefined) {
      if (ctx.debug) ctx.log.debug({ clientId: conn.client.clientId, filter: sub.topic, invalid }, 'invalid filter');
      outcomes.push(FILTER_INVALID);
      continue;
    }
    const d = authorize
      ? host.authorizeTopic({ client: conn.client, action: 'subscribe', topic: sub.topic, qos: sub.qos })
      : ALLOW;
    if (isPromise(d)) async = true;
    outcomes.push(d);
  }
  if (!async) return finish(ctx, conn, packet, outcomes as Outcome[]);
  const settled = outcomes.map((d): Promise<Outcome> =>
    isPromise(d) ? d.catch((): Outcome => NOT_AUTHORIZED) : Promise.resolve(d),
  );
  return Promise.all(settled).then((ds) => finish(ctx, conn, packet, ds));
}

function failureCode(conn: ConnectedPeer, o: Outcome): number {
  if (conn.protocolVersion !== 5) return FAILURE;
  if (o.verdict === 'refused') return o.code;
  if (o.verdict === 'deny' && o.reasonCode !== undefined && o.reasonCode >= 0x80) return o.reasonCode;
  return ReasonCode.notAuthorized;
}

/** The outcome of the `i`th filter: there is one per filter of the packet. */
function outcomeAt(outcomes: readonly Outcome[], i: number): Outcome {
  const o = outcomes[i];
  if (o === undefined) throw new Error(`internal error: no outcome for SUBSCRIBE filter ${i}`);
  return o;
}

/**
 * max_subscriptions_per_client: an allowed filter that would add a subscription past the cap is refused
 * (v5 SUBACK 0x97 Quota exceeded, v3 0x80). Replacing an existing subscription adds none, and a filter
 * repeated in the packet counts once.
 */
function limitSubscriptions(
  ctx: BrokerContext,
  conn: ConnectedPeer,
  packet: SubscribePacket,
  outcomes: Outcome[],
): void {
  const max = ctx.config.max_subscriptions_per_client;
  const existing = conn.session.subscriptions;
  let count = existing.size;
  if (max <= 0 || count + outcomes.length <= max) return;
  const added = new Set<string>();
  for (const [i, sub] of packet.subscriptions.entries()) {
    if (outcomeAt(outcomes, i).verdict !== 'allow') continue;
    const filter = sub.topic;
    if (existing.has(filter) || added.has(filter)) continue;
    if (count < max) {
      added.add(filter);
      count++;
      continue;
    }
    outcomes[i] = QUOTA_EXCEEDED;
    ctx.limits.hit('max_subscriptions_per_client', 'subscription refused (max_subscriptions_per_client)', {
      clientId: conn.client.clientId,
      subscriptions: count,
    });
  }
}

function finish(
  ctx: BrokerContext,
  conn: ConnectedPeer,
  packet: SubscribePacket,
  outcomes: Outcome[],
): void | Promise<void> {
  if (conn.state === 'closed') return;
  const { session } = conn;
  const subscriptionId = packet.properties?.subscriptionIdentifier?.[0];
  limitSubscriptions(ctx, conn, packet, outcomes);
  // Each distinct filter is subscribed once (its last allowed copy); every copy still gets its SUBACK code.
  const plan = planFilters(packet.subscriptions, (i) => outcomeAt(outcomes, i).verdict === 'allow');
  const codes: number[] = [];
  let disconnect = false;
  for (const [i, sub] of packet.subscriptions.entries()) {
    const o = outcomeAt(outcomes, i);
    if (o.verdict !== 'allow') {
      codes.push(failureCode(conn, o));
      if (o.verdict === 'deny' && o.disconnect === true) disconnect = true;
      continue;
    }
    const p = plan.get(sub.topic);
    if (p === undefined) throw new Error(`internal error: allowed SUBSCRIBE filter ${i} is not in the plan`);
    if (p.last === i) {
      p.isNew = ctx.router.subscribe(session, sub.topic, sub.qos, {
        noLocal: sub.noLocal ?? false,
        retainAsPublished: sub.retainAsPublished ?? false,
        subscriptionId,
      });
    }
    codes.push(sub.qos);
  }
  // A cluster plugin registers the new subscriptions' routes first: the SUBACK then promises delivery of what
  // other brokers publish after it, too.
  const routes = plan.size > 0 ? ctx.host?.awaitRoutes?.() : undefined;
  if (routes === undefined) return acknowledge(ctx, conn, packet, plan, codes, disconnect);
  return routes.then(() => {
    if (conn.state !== 'closed') acknowledge(ctx, conn, packet, plan, codes, disconnect);
  });
}

/** SUBACK, then the retained messages of the new subscriptions and `client:subscribed` events. */
function acknowledge(
  ctx: BrokerContext,
  conn: ConnectedPeer,
  packet: SubscribePacket,
  plan: ReturnType<typeof planFilters>,
  codes: number[],
  disconnect: boolean,
): void {
  const { session, client } = conn;
  const subscriptionId = packet.properties?.subscriptionIdentifier?.[0];
  conn.send({ type: 'suback', packetId: packet.packetId, reasonCodes: codes });
  const wants = ctx.events.wants('client:subscribed');
  for (const [filter, p] of plan) {
    // v5 Retain Handling: 0 always, 1 only for a new subscription, 2 never [MQTT-3.3.1-9..11]. Retained
    // messages go to new non-shared subscriptions only (MQTT 5.0 section 3.3.1.3; Mosquitto does the same).
    // They follow the SUBACK, delivered in chunks (router.deliverRetained).
    const wantsRetained = p.anyHandling0 || (p.firstHandling1 && p.isNew);
    if (wantsRetained && !isSharedFilter(filter)) ctx.router.deliverRetained(session, filter, p.qos, subscriptionId);
    if (wants) ctx.events.emit('client:subscribed', { client, topic: filter, qos: p.qos });
  }
  if (disconnect) conn.close('SUBSCRIBE denied by a plugin', false, { reasonCode: ReasonCode.notAuthorized });
}
