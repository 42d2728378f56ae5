import type { UnsubscribePacket } from '../../codec/packets.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import type { BrokerContext } from '../context.js';
import type { ConnectedPeer } from '../peer.js';
import { overFilterCap } from './filter-cap.js';

/**
 * UNSUBSCRIBE removes each filter (exact match) and is always answered by UNSUBACK [MQTT-3.10.4-4];
 * v5 gets a reason code per filter [MQTT-3.11.3-1].
 */
export function handleUnsubscribe(ctx: BrokerContext, conn: ConnectedPeer, packet: UnsubscribePacket): void {
  if (overFilterCap(ctx, conn, packet.topics.length, 'UNSUBSCRIBE')) return;
  const { session, client } = conn;
  const wants = ctx.events.wants('client:unsubscribed');
  const codes: number[] = [];
  for (const topic of packet.topics) {
    const removed = ctx.router.unsubscribe(session, topic);
    codes.push(removed ? ReasonCode.success : ReasonCode.noSubscriptionExisted);
    if (removed && wants) ctx.events.emit('client:unsubscribed', { client, topic });
  }
  conn.send(
    conn.protocolVersion === 5
      ? { type: 'unsuback', packetId: packet.packetId, reasonCodes: codes }
      : { type: 'unsuback', packetId: packet.packetId },
  );
}
