import type { PublishPacket } from '../../codec/packets.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import type { ClientInfo, Decision, Message } from '../../plugin-api/types.js';
import type { Connection } from '../connection.js';
import type { BrokerContext } from '../context.js';
import { isPromise } from '../host.js';
import { copyMessage } from '../message.js';
import { isBrokerOnlyTopic, validateTopicName } from '../topic.js';
import { resolveTopicAlias } from './topic-alias.js';

const DENY_ON_ERROR: Decision = Object.freeze({ verdict: 'deny', reason: 'authorization failed' });
const NOT_AUTHORIZED = 0x87;

/**
 * Inbound PUBLISH: validate → (QoS 2 duplicate check) → authorize publish → route → acknowledge.
 * QoS 2 uses method B: the message is routed on PUBLISH and its id remembered until PUBREL, so a
 * resent PUBLISH with the same id is acknowledged but not routed again [MQTT-4.3.3-2].
 */
export function handlePublish(conn: Connection, packet: PublishPacket): void | Promise<void> {
  const ctx = conn.ctx;
  const stats = ctx.stats;
  stats.publishReceived++;
  const props = packet.properties;
  if (props !== undefined) {
    if (props.topicAlias !== undefined && !resolveTopicAlias(conn, packet, props.topicAlias)) return;
    if (props.subscriptionIdentifier !== undefined) {
      conn.close('PUBLISH from a client with a subscription identifier [MQTT-3.3.4-6]', false, { reasonCode: 0x82 });
      return;
    }
  }
  const invalid = validateTopicName(packet.topic, ctx.topicLimits);
  if (invalid !== undefined) {
    conn.close(`invalid PUBLISH topic: ${invalid}`, false, { reasonCode: 0x90 });
    return;
  }
  if (packet.qos === 2 && conn.session!.inboundQos2.has(packet.packetId!)) {
    conn.inboundUnacked--;
    conn.send({ type: 'pubrec', packetId: packet.packetId! });
    return;
  }
  stats.messagesReceived++;
  if (isBrokerOnlyTopic(packet.topic)) {
    // $SYS is the broker's and $share names no topic: acknowledge (v5: 0x87) so the client moves on.
    stats.drop('sys-topic');
    if (ctx.debug) ctx.log.debug({ clientId: conn.client!.clientId, topic: packet.topic }, 'dropped PUBLISH to a $ topic');
    acknowledge(conn, packet, NOT_AUTHORIZED);
    return;
  }
  const host = ctx.host;
  if (host === undefined || !host.hasTopicAuthorization) {
    accept(conn, packet);
    return;
  }
  const decision = host.authorizeTopic({ client: conn.client!, action: 'publish', topic: packet.topic, qos: packet.qos });
  if (!isPromise(decision)) {
    decide(conn, packet, decision);
    return;
  }
  // The payload is a view on decoder memory that later chunks may reuse: keep a copy across the wait.
  packet.payload = Buffer.from(packet.payload);
  return decision.then(
    (d) => decide(conn, packet, d),
    (err: unknown) => {
      ctx.log.warn({ err, clientId: conn.client!.clientId }, 'publish authorization failed');
      decide(conn, packet, DENY_ON_ERROR);
    },
  );
}

function decide(conn: Connection, packet: PublishPacket, d: Decision): void {
  if (conn.state === 'closed') return;
  if (d.verdict === 'allow') {
    accept(conn, packet);
    return;
  }
  // 3.1.1 has no negative PUBACK: a denied QoS 1/2 message is still acknowledged, then dropped.
  // v5 acknowledges with the plugin's reason code (default 0x87 not authorized).
  conn.ctx.stats.drop('denied');
  if (conn.ctx.debug) conn.ctx.log.debug({ clientId: conn.client!.clientId, topic: packet.topic }, 'PUBLISH denied');
  const requested = d.verdict === 'deny' ? d.reasonCode : undefined;
  acknowledge(conn, packet, requested !== undefined && requested >= 0x80 ? requested : NOT_AUTHORIZED);
  if (d.verdict === 'deny' && d.disconnect === true) {
    conn.close('PUBLISH denied by a plugin', false, { reasonCode: requested !== undefined && requested >= 0x80 ? requested : NOT_AUTHORIZED });
  }
}

function accept(conn: Connection, packet: PublishPacket): void {
  const ctx = conn.ctx;
  const events = ctx.events;
  if (events.wants('message:received')) events.emit('message:received', { client: conn.client!, message: packet });
  const matched = ctx.router.publish(packet, conn.client);
  acknowledge(conn, packet, matched === 0 ? ReasonCode.noMatchingSubscribers : 0);
}

/**
 * PUBACK / PUBREC with a v5 reason `code` (v3/v4 have none): 0 or 0x10 accept, a failure (>= 0x80)
 * ends a QoS 2 exchange at PUBREC.
 */
function acknowledge(conn: Connection, packet: PublishPacket, code: number): void {
  if (packet.qos === 0) return;
  // Answered: no longer counts against Receive Maximum (a QoS 2 id now counts in inboundQos2 until PUBREL).
  conn.inboundUnacked--;
  const v5Code = conn.protocolVersion === 5 && code !== 0;
  if (packet.qos === 1) {
    conn.send(v5Code ? { type: 'puback', packetId: packet.packetId!, reasonCode: code } : { type: 'puback', packetId: packet.packetId! });
  } else if (packet.qos === 2) {
    if (v5Code && code >= 0x80) {
      conn.send({ type: 'pubrec', packetId: packet.packetId!, reasonCode: code });
      return;
    }
    conn.session!.inboundQos2.add(packet.packetId!);
    conn.ctx.stats.inflightIn++;
    conn.send(v5Code ? { type: 'pubrec', packetId: packet.packetId!, reasonCode: code } : { type: 'pubrec', packetId: packet.packetId! });
  }
}

/** Publishes a will (validated at CONNECT) under the same $-topic and authorization rules as PUBLISH. */
export function publishWill(ctx: BrokerContext, client: ClientInfo, will: Message): void {
  if (isBrokerOnlyTopic(will.topic)) {
    ctx.stats.drop('sys-topic');
    return;
  }
  const host = ctx.host;
  if (host === undefined || !host.hasTopicAuthorization) {
    ctx.router.publish(will, client);
    return;
  }
  const d = host.authorizeTopic({ client, action: 'publish', topic: will.topic, qos: will.qos });
  if (!isPromise(d)) {
    if (d.verdict === 'allow') ctx.router.publish(will, client);
    else ctx.stats.drop('denied');
    return;
  }
  const kept = copyMessage(will);
  d.then(
    (decision) => (decision.verdict === 'allow' ? ctx.router.publish(kept, client) : ctx.stats.drop('denied')),
    () => ctx.stats.drop('denied'),
  ).catch((err: unknown) => ctx.log.error({ err, clientId: client.clientId }, 'publishing a will failed'));
}
