import type { DisconnectPacket } from '../../codec/packets.js';
import { ReasonCode } from '../../codec/reason-codes.js';
import type { BrokerContext } from '../context.js';
import type { ConnectedPeer, Peer } from '../peer.js';

/** The packets a connected client sends to keep its connection alive (PINGREQ) or to end it (DISCONNECT). */

/** PINGREQ → PINGRESP [MQTT-3.12.4-1]. Any packet already refreshed the keepalive clock. */
export function handlePingreq(conn: Peer): void {
  conn.send({ type: 'pingresp' });
}

/**
 * DISCONNECT: the will is discarded [MQTT-3.1.2-10] (unless a v5 client asks for it with 0x04), a v5
 * session expiry update is applied, then the connection closes gracefully.
 */
export function handleDisconnect(ctx: BrokerContext, conn: ConnectedPeer, packet: DisconnectPacket): void {
  const session = conn.session;
  const expiry = packet.properties?.sessionExpiryInterval;
  if (expiry !== undefined && conn.protocolVersion === 5) {
    // A session that was to end with the connection cannot be revived here [MQTT-3.14.2-2].
    if (session.expiryInterval === 0 && expiry !== 0) {
      conn.close('DISCONNECT sets a session expiry after CONNECT said 0 [MQTT-3.14.2-2]', false, {
        reasonCode: ReasonCode.protocolError,
      });
      return;
    }
    const cap = ctx.config.session_expiry_interval;
    session.expiryInterval = cap > 0 && expiry > cap ? cap : expiry;
    session.clean = session.expiryInterval === 0;
  }
  const keepWill = conn.protocolVersion === 5 && packet.reasonCode === ReasonCode.disconnectWithWillMessage;
  if (!keepWill && session.will !== undefined) {
    session.will = undefined;
    ctx.sessions.forgetWill(session.clientId);
  }
  conn.close('client sent DISCONNECT', true, { keepWill });
}
