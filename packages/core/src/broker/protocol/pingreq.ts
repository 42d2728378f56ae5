import type { Connection } from '../connection.js';

/** PINGREQ → PINGRESP [MQTT-3.12.4-1]. Any packet already refreshed the keepalive clock. */
export function handlePingreq(conn: Connection): void {
  conn.send({ type: 'pingresp' });
}
