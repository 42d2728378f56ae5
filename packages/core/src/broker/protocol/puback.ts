import type { PubackPacket } from '../../codec/packets.js';
import type { Connection } from '../connection.js';
import { completeOutbound } from '../outbound.js';

/** PUBACK completes an outbound QoS 1 message; an unknown id is ignored. */
export function handlePuback(conn: Connection, packet: PubackPacket): void {
  completeOutbound(conn.ctx, conn.session!, packet.packetId, 'publish', 1);
}
