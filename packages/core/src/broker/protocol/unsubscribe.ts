import type { UnsubscribePacket } from '../../codec/packets.js';
import type { Connection } from '../connection.js';
import { overFilterCap } from './filter-cap.js';

const V5_NO_SUBSCRIPTION_EXISTED = 0x11;

/**
 * UNSUBSCRIBE removes each filter (exact match) and is always answered by UNSUBACK [MQTT-3.10.4-4];
 * v5 gets a reason code per filter [MQTT-3.11.3-1].
 */
export function handleUnsubscribe(conn: Connection, packet: UnsubscribePacket): void {
  const ctx = conn.ctx;
  if (overFilterCap(conn, packet.topics.length, 'UNSUBSCRIBE')) return;
  const session = conn.session!;
  const wants = ctx.events.wants('client:unsubscribed');
  const codes: number[] = [];
  for (const topic of packet.topics) {
    const removed = ctx.router.unsubscribe(session, topic);
    codes.push(removed ? 0 : V5_NO_SUBSCRIPTION_EXISTED);
    if (removed && wants) ctx.events.emit('client:unsubscribed', { client: conn.client!, topic });
  }
  conn.send(conn.protocolVersion === 5 ? { type: 'unsuback', packetId: packet.packetId, reasonCodes: codes } : { type: 'unsuback', packetId: packet.packetId });
}
