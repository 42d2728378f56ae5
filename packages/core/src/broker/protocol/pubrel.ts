import type { PubrelPacket } from '../../codec/packets.js';
import type { Connection } from '../connection.js';

const V5_PACKET_IDENTIFIER_NOT_FOUND = 0x92;

/**
 * PUBREL releases an inbound QoS 2 packet id: a PUBLISH reusing it is a new message again. PUBCOMP
 * is sent even for an unknown id, so a client retrying after a reconnect can finish [MQTT-4.3.3-2]
 * (v5 says 0x92 packet identifier not found).
 */
export function handlePubrel(conn: Connection, packet: PubrelPacket): void {
  if (conn.session!.inboundQos2.delete(packet.packetId)) {
    conn.ctx.stats.inflightIn--;
    conn.send({ type: 'pubcomp', packetId: packet.packetId });
  } else if (conn.protocolVersion === 5) {
    conn.send({ type: 'pubcomp', packetId: packet.packetId, reasonCode: V5_PACKET_IDENTIFIER_NOT_FOUND });
  } else {
    conn.send({ type: 'pubcomp', packetId: packet.packetId });
  }
}
