import type { PubrecPacket } from '../../codec/packets.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import type { Connection } from '../connection.js';
import { completeOutbound } from '../outbound.js';


/**
 * PUBREC for an outbound QoS 2 PUBLISH: from now on the message is not resent, only PUBREL is
 * [MQTT-4.3.3-1]. A repeated PUBREC gets the PUBREL again. A v5 PUBREC with a failure reason code
 * (>= 0x80) ends the exchange there [MQTT-4.3.3-4].
 *
 * A PUBREC for a packet id with no QoS 2 message in flight (a client retrying after a reconnect whose
 * session the broker no longer has) is still answered with PUBREL, so the client can finish its flow
 * [MQTT-4.3.3]; v5 says 0x92 Packet Identifier not found. A failed PUBREC ends the flow: no answer.
 */
export function handlePubrec(conn: Connection, packet: PubrecPacket): void {
  const session = conn.session!;
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
    completeOutbound(conn.ctx, session, packet.packetId, entry.state, 2);
    return;
  }
  entry.state = 'pubrel';
  conn.send({ type: 'pubrel', packetId: packet.packetId });
}
