import type { PublishPacket } from '../../codec/packets.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import type { BrokerContext } from '../context.js';
import type { ConnectedPeer } from '../peer.js';
import { isRefusal, type PublishOutcome } from '../pipeline.js';
import { isPromise } from '../plugin-port.js';
import { validateTopicName } from '../topic.js';
import { resolveTopicAlias } from './topic-alias.js';

const NOT_AUTHORIZED = 0x87;

/**
 * Inbound PUBLISH: validate → (QoS 2 duplicate check) → the publish pipeline (`$`-topic rule, publish
 * authorization, routing) → acknowledge. QoS 2 uses method B: the message is routed on PUBLISH and its id
 * remembered until PUBREL, so a resent PUBLISH with the same id is acknowledged but not routed again
 * [MQTT-4.3.3-2].
 */
export function handlePublish(ctx: BrokerContext, peer: ConnectedPeer, packet: PublishPacket): void | Promise<void> {
  const stats = ctx.stats;
  stats.publishReceived++;
  const props = packet.properties;
  if (props !== undefined) {
    if (
      props.topicAlias !== undefined &&
      !resolveTopicAlias(peer, packet, props.topicAlias, ctx.config.topic_alias_maximum)
    )
      return;
    if (props.subscriptionIdentifier !== undefined) {
      peer.close('PUBLISH from a client with a subscription identifier [MQTT-3.3.4-6]', false, { reasonCode: 0x82 });
      return;
    }
  }
  const invalid = validateTopicName(packet.topic, ctx.topicLimits);
  if (invalid !== undefined) {
    peer.close(`invalid PUBLISH topic: ${invalid}`, false, { reasonCode: 0x90 });
    return;
  }
  const packetId = packet.packetId;
  if (packet.qos === 2 && packetId !== undefined && peer.session.inboundQos2.has(packetId)) {
    // Behind the first PUBREC of this id if that one still waits for the store.
    acknowledgeInOrder(ctx, peer, packet, 0, undefined);
    return;
  }
  stats.messagesReceived++;
  stats.receivedByQos[packet.qos]++;
  const outcome = ctx.pipeline.publishFrom('client', peer.client, packet, peer);
  if (!isPromise(outcome)) {
    answer(ctx, peer, packet, outcome);
    return;
  }
  return outcome.then((o) => answer(ctx, peer, packet, o));
}

/**
 * Acknowledges what the pipeline did. A refused message is acknowledged too: 3.1.1 has no negative
 * PUBACK, so a denied QoS 1/2 message is acknowledged, then dropped; v5 answers with the plugin's reason
 * code (default 0x87 not authorized), and `$SYS`/`$share` topics get 0x87 as well.
 *
 * A message that persistent sessions or the retained store took is acknowledged once the store has it
 * (and a QoS 2 id is remembered durably for a persistent session), so an acknowledged message survives a
 * crash; meanwhile later acknowledgements of the connection wait behind it, in order.
 */
function answer(ctx: BrokerContext, peer: ConnectedPeer, packet: PublishPacket, outcome: PublishOutcome): void {
  if (peer.state === 'closed') return;
  if (isRefusal(outcome)) {
    const requested = outcome.verdict === 'deny' ? outcome.reasonCode : undefined;
    const code = requested !== undefined && requested >= 0x80 ? requested : NOT_AUTHORIZED;
    acknowledgeInOrder(ctx, peer, packet, code, undefined);
    if (outcome.verdict === 'deny' && outcome.disconnect === true)
      peer.close('PUBLISH denied by a plugin', false, { reasonCode: code });
    return;
  }
  const matched = typeof outcome === 'number' ? outcome : outcome.matched;
  let stored = typeof outcome === 'number' ? undefined : outcome.stored;
  const packetId = packet.packetId;
  if (packet.qos === 2 && packetId !== undefined && peer.session.persisted) {
    // Durably before PUBREC: after a crash a resent PUBLISH with this id is not routed again either.
    const id = ctx.persistence.addInboundQos2(peer.session.clientId, packetId);
    ctx.journal.write(id);
    stored = stored === undefined ? id : Promise.all([stored, id]).then(noop);
  }
  acknowledgeInOrder(ctx, peer, packet, matched === 0 ? ReasonCode.noMatchingSubscribers : 0, stored);
}

function noop(): void {}

function rememberInboundQos2(ctx: BrokerContext, peer: ConnectedPeer, packetId: number): void {
  const ids = peer.session.inboundQos2;
  if (ids.has(packetId)) return;
  ids.add(packetId);
  ctx.stats.inflightIn++;
}

/**
 * Sends the acknowledgement now, or, when the store must confirm first or an earlier acknowledgement
 * still waits, after those. A failed write answers v5 with 0x97 Quota exceeded and closes a 3.1.1
 * connection (it has no negative acknowledgement): the client resends, nothing is lost silently.
 */
function acknowledgeInOrder(
  ctx: BrokerContext,
  peer: ConnectedPeer,
  packet: PublishPacket,
  code: number,
  stored: Promise<void> | undefined,
): void {
  if (packet.qos === 0) return;
  if (stored === undefined && peer.ackTail === undefined) {
    acknowledge(ctx, peer, packet, code);
    return;
  }
  const before = peer.ackTail;
  const ready = stored === undefined ? before : before === undefined ? stored : Promise.all([before, stored]);
  const tail: Promise<void> = (ready ?? Promise.resolve()).then(
    () => {
      if (peer.state !== 'closed') acknowledge(ctx, peer, packet, code);
      // Closed meanwhile: no PUBREC to send, but the id stays held (it is stored too), so the PUBLISH the
      // client resends on its next connection is acknowledged without being routed again.
      else if (packet.qos === 2 && packet.packetId !== undefined && code < 0x80)
        rememberInboundQos2(ctx, peer, packet.packetId);
    },
    (err: unknown) => notStored(ctx, peer, packet, err),
  );
  peer.ackTail = tail;
  void tail.then(() => {
    if (peer.ackTail === tail) peer.ackTail = undefined;
  });
}

function notStored(ctx: BrokerContext, peer: ConnectedPeer, packet: PublishPacket, err: unknown): void {
  ctx.stats.drop('not-stored');
  ctx.limits.hit('persistence', 'a QoS 1/2 message could not be stored: not acknowledged', {
    clientId: peer.client.clientId,
    topic: packet.topic,
    err: String(err),
  });
  if (peer.state === 'closed') return;
  if (peer.protocolVersion === 5) {
    acknowledge(ctx, peer, packet, ReasonCode.quotaExceeded);
    return;
  }
  peer.close('a QoS 1/2 message could not be stored (persistence write failed)', false);
}

/**
 * PUBACK / PUBREC with a v5 reason `code` (v3/v4 have none): 0 or 0x10 accept, a failure (>= 0x80)
 * ends a QoS 2 exchange at PUBREC.
 */
function acknowledge(ctx: BrokerContext, peer: ConnectedPeer, packet: PublishPacket, code: number): void {
  const packetId = packet.packetId;
  // QoS 0, or (never from the decoder) a QoS 1/2 packet without an id: nothing to answer.
  if (packet.qos === 0 || packetId === undefined) return;
  // Answered: no longer counts against Receive Maximum (a QoS 2 id now counts in inboundQos2 until PUBREL).
  peer.inboundUnacked--;
  const v5Code = peer.protocolVersion === 5 && code !== 0;
  if (packet.qos === 1) {
    peer.send(v5Code ? { type: 'puback', packetId, reasonCode: code } : { type: 'puback', packetId });
    return;
  }
  if (v5Code && code >= 0x80) {
    peer.send({ type: 'pubrec', packetId, reasonCode: code });
    return;
  }
  rememberInboundQos2(ctx, peer, packetId);
  peer.send(v5Code ? { type: 'pubrec', packetId, reasonCode: code } : { type: 'pubrec', packetId });
}
