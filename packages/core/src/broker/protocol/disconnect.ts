import type { DisconnectPacket } from '../../codec/packets.js';
import type { Connection } from '../connection.js';

const V5_DISCONNECT_WITH_WILL = 0x04;

/**
 * DISCONNECT: the will is discarded [MQTT-3.1.2-10] (unless a v5 client asks for it with 0x04), a v5
 * session expiry update is applied, then the connection closes gracefully.
 */
export function handleDisconnect(conn: Connection, packet: DisconnectPacket): void {
  const session = conn.session!;
  const expiry = packet.properties?.sessionExpiryInterval;
  if (expiry !== undefined && conn.protocolVersion === 5) {
    // A session that was to end with the connection cannot be revived here [MQTT-3.14.2-2].
    if (session.expiryInterval === 0 && expiry !== 0) {
      conn.close('DISCONNECT sets a session expiry after CONNECT said 0 [MQTT-3.14.2-2]', false, { reasonCode: 0x82 });
      return;
    }
    const cap = conn.ctx.config.session_expiry_interval;
    session.expiryInterval = cap > 0 && expiry > cap ? cap : expiry;
    session.clean = session.expiryInterval === 0;
  }
  const keepWill = conn.protocolVersion === 5 && packet.reasonCode === V5_DISCONNECT_WITH_WILL;
  if (!keepWill) session.will = undefined;
  conn.close('client sent DISCONNECT', true, { keepWill });
}
