import type { PubrecPacket } from '../../codec/packets.js';
import type { Connection } from '../connection.js';
import { completeOutbound } from '../outbound.js';

/**
 * PUBREC for an outbound QoS 2 PUBLISH: from now on the message is not resent, only PUBREL is
 * [MQTT-4.3.3-1]. A repeated PUBREC gets the PUBREL again. A v5 PUBREC with a failure reason code
 * (>= 0x80) ends the exchange there [MQTT-4.3.3-4].
 */
export function handlePubrec(conn: Connection, packet: PubrecPacket): void {
  const session = conn.session!;
  const entry = session.inflightOut.get(packet.packetId);
  if (entry === undefined || entry.delivery.qos !== 2) return;
  if (packet.reasonCode !== undefined && packet.reasonCode >= 0x80) {
    completeOutbound(conn.ctx, session, packet.packetId, entry.state, 2);
    return;
  }
  entry.state = 'pubrel';
  conn.send({ type: 'pubrel', packetId: packet.packetId });
}
