import type { PublishPacket } from '../../codec/packets.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import type { BrokerContext } from '../context.js';
import type { ConnectedPeer } from '../peer.js';
import type { PublishOutcome } from '../pipeline.js';
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
    peer.inboundUnacked--;
    peer.send({ type: 'pubrec', packetId });
    return;
  }
  stats.messagesReceived++;
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
 */
function answer(ctx: BrokerContext, peer: ConnectedPeer, packet: PublishPacket, outcome: PublishOutcome): void {
  if (peer.state === 'closed') return;
  if (typeof outcome === 'number') {
    acknowledge(ctx, peer, packet, outcome === 0 ? ReasonCode.noMatchingSubscribers : 0);
    return;
  }
  const requested = outcome.verdict === 'deny' ? outcome.reasonCode : undefined;
  const code = requested !== undefined && requested >= 0x80 ? requested : NOT_AUTHORIZED;
  acknowledge(ctx, peer, packet, code);
  if (outcome.verdict === 'deny' && outcome.disconnect === true)
    peer.close('PUBLISH denied by a plugin', false, { reasonCode: code });
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
  peer.session.inboundQos2.add(packetId);
  ctx.stats.inflightIn++;
  peer.send(v5Code ? { type: 'pubrec', packetId, reasonCode: code } : { type: 'pubrec', packetId });
}
