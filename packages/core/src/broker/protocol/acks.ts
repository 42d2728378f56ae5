import type { PubackPacket, PubcompPacket, PubrecPacket, PubrelPacket } from '../../codec/packets.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import type { BrokerContext } from '../context.js';
import { completeOutbound } from '../outbound.js';
import type { ConnectedPeer } from '../peer.js';

/**
 * The QoS 1 and QoS 2 acknowledgements a client sends: the rest of the handshake that PUBLISH starts.
 *
 * Outbound (broker → client): QoS 1 is PUBLISH → PUBACK; QoS 2 is PUBLISH → PUBREC, PUBREL → PUBCOMP. The
 * inflight entry goes from 'publish' to 'pubrel' at PUBREC; PUBACK or PUBCOMP frees the packet id.
 * Inbound QoS 2 (client → broker, method B): the PUBLISH handler remembers the id until PUBREL releases it.
 */

/** PUBACK completes an outbound QoS 1 message; an unknown id is ignored. */
export function handlePuback(ctx: BrokerContext, conn: ConnectedPeer, packet: PubackPacket): void {
  completeOutbound(ctx, conn.session, packet.packetId, 'publish', 1);
}

/**
 * PUBREC for an outbound QoS 2 PUBLISH: from now on the message is not resent, only PUBREL is
 * [MQTT-4.3.3-1]. A repeated PUBREC gets the PUBREL again. A v5 PUBREC with a failure reason code
 * (>= 0x80) ends the exchange there [MQTT-4.3.3-4].
 *
 * A PUBREC for a packet id with no QoS 2 message in flight (a client retrying after a reconnect whose
 * session the broker no longer has) is still answered with PUBREL, so the client can finish its flow
 * [MQTT-4.3.3]; v5 says 0x92 Packet Identifier not found. A failed PUBREC ends the flow: no answer.
 */
export function handlePubrec(ctx: BrokerContext, conn: ConnectedPeer, packet: PubrecPacket): void {
  const session = conn.session;
  const failed = packet.reasonCode !== undefined && packet.reasonCode >= 0x80;
  const entry = session.inflightOut.get(packet.packetId);
  if (entry === undefined || entry.delivery.qos !== 2) {
    if (failed) return;
    conn.send(
      conn.protocolVersion === 5
        ? { type: 'pubrel', packetId: packet.packetId, reasonCode: ReasonCode.packetIdentifierNotFound }
        : { type: 'pubrel', packetId: packet.packetId },
    );
    return;
  }
  if (failed) {
    completeOutbound(ctx, session, packet.packetId, entry.state, 2);
    return;
  }
  entry.state = 'pubrel';
  if (!session.persisted) {
    conn.send({ type: 'pubrel', packetId: packet.packetId });
    return;
  }
  // Stored as released before PUBREL goes out: after a crash only PUBREL is resent, never the message again
  // [MQTT-4.3.3-1] (a client that had released the id would take a resent PUBLISH for a new message).
  const stored = ctx.persistence.setInflight(session.clientId, {
    packetId: entry.packetId,
    delivery: entry.delivery,
    state: 'pubrel',
  });
  ctx.journal.write(stored);
  stored.then(
    () => {
      if (session.connection === conn && session.inflightOut.get(packet.packetId) === entry)
        conn.send({ type: 'pubrel', packetId: packet.packetId });
    },
    () => undefined, // logged by the journal; PUBREL is resent on reconnect
  );
}

/**
 * PUBREL releases an inbound QoS 2 packet id: a PUBLISH reusing it is a new message again. PUBCOMP
 * is sent even for an unknown id, so a client retrying after a reconnect can finish [MQTT-4.3.3-2]
 * (v5 says 0x92 Packet Identifier not found).
 */
export function handlePubrel(ctx: BrokerContext, conn: ConnectedPeer, packet: PubrelPacket): void {
  const session = conn.session;
  if (session.inboundQos2.delete(packet.packetId)) {
    ctx.stats.inflightIn--;
    if (session.persisted) ctx.journal.write(ctx.persistence.deleteInboundQos2(session.clientId, packet.packetId));
    conn.send({ type: 'pubcomp', packetId: packet.packetId });
  } else if (conn.protocolVersion === 5) {
    conn.send({ type: 'pubcomp', packetId: packet.packetId, reasonCode: ReasonCode.packetIdentifierNotFound });
  } else {
    conn.send({ type: 'pubcomp', packetId: packet.packetId });
  }
}

/** PUBCOMP ends an outbound QoS 2 exchange: the packet id becomes free. */
export function handlePubcomp(ctx: BrokerContext, conn: ConnectedPeer, packet: PubcompPacket): void {
  completeOutbound(ctx, conn.session, packet.packetId, 'pubrel', 2);
}
