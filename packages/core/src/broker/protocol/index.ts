import type { Packet } from '../../codec/packets.js';
import type { Connection } from '../connection.js';
import { handleAuth } from './auth.js';
import { handleConnect } from './connect.js';
import { handleDisconnect } from './disconnect.js';
import { handlePingreq } from './pingreq.js';
import { handlePuback } from './puback.js';
import { handlePubcomp } from './pubcomp.js';
import { handlePublish } from './publish.js';
import { handlePubrec } from './pubrec.js';
import { handlePubrel } from './pubrel.js';
import { handleSubscribe } from './subscribe.js';
import { handleUnsubscribe } from './unsubscribe.js';

/**
 * Routes one decoded packet to its handler. A handler returns a promise only when it waits for an
 * async plugin decision; the connection then holds later packets until it settles.
 */
export function handlePacket(conn: Connection, packet: Packet): void | Promise<void> {
  if (conn.state !== 'connected') {
    if (packet.type === 'connect' && conn.state === 'awaiting-connect') return handleConnect(conn, packet);
    if (conn.authExchange !== undefined) {
      // During enhanced authentication only AUTH (and DISCONNECT) may come before CONNACK [MQTT-3.1.2-30].
      if (packet.type === 'auth') return handleAuth(conn, packet);
      if (packet.type !== 'disconnect') conn.close(`${packet.type.toUpperCase()} during enhanced authentication [MQTT-3.1.2-30]`, false);
      else conn.close('DISCONNECT during enhanced authentication', true);
      return;
    }
    conn.close(`${packet.type.toUpperCase()} before CONNECT [MQTT-3.1.0-1]`, false);
    return;
  }
  switch (packet.type) {
    case 'connect':
      // The connection's decoder already refuses a second CONNECT at its fixed header, before decoding
      // a body whose level or name could fail differently [MQTT-3.1.0-2]; this covers other decoders.
      conn.close('second CONNECT [MQTT-3.1.0-2]', false, { reasonCode: 0x82 });
      return;
    case 'publish':
      return handlePublish(conn, packet);
    case 'puback':
      return handlePuback(conn, packet);
    case 'pubrec':
      return handlePubrec(conn, packet);
    case 'pubrel':
      return handlePubrel(conn, packet);
    case 'pubcomp':
      return handlePubcomp(conn, packet);
    case 'subscribe':
      return handleSubscribe(conn, packet);
    case 'unsubscribe':
      return handleUnsubscribe(conn, packet);
    case 'pingreq':
      return handlePingreq(conn);
    case 'disconnect':
      return handleDisconnect(conn, packet);
    case 'auth':
      return handleAuth(conn, packet);
    case 'connack':
    case 'suback':
    case 'unsuback':
    case 'pingresp':
      // Server-to-client packets from a client are protocol errors (the connection's decoder refuses
      // them at the fixed header already, so their bodies are never parsed).
      conn.close(`unexpected ${packet.type.toUpperCase()} from a client`, false, { reasonCode: 0x82 });
      return;
  }
}
