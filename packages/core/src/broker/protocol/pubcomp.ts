import type { PubcompPacket } from '../../codec/packets.js';
import type { Connection } from '../connection.js';
import { completeOutbound } from '../outbound.js';

/** PUBCOMP ends an outbound QoS 2 exchange: the packet id becomes free. */
export function handlePubcomp(conn: Connection, packet: PubcompPacket): void {
  completeOutbound(conn.ctx, conn.session!, packet.packetId, 'pubrel', 2);
}
