import type { Packet } from '../../codec/packets.js';
import type { BrokerContext } from '../context.js';
import type { ConnectedPeer, Peer } from '../peer.js';
import { handlePuback, handlePubcomp, handlePubrec, handlePubrel } from './acks.js';
import { continueAuth, handleAuth } from './auth.js';
import { handleConnect } from './connect.js';
import { handlePublish } from './publish.js';
import { handleDisconnect, handlePingreq } from './session-control.js';
import { handleSubscribe } from './subscribe.js';
import { handleUnsubscribe } from './unsubscribe.js';

/**
 * A peer is 'connected' exactly from `attach` (CONNACK 0, session and client set) until it closes: the
 * one state test that lets the handlers after CONNACK take a `ConnectedPeer`.
 */
function isConnected(peer: Peer): peer is ConnectedPeer {
  return peer.state === 'connected';
}

/**
 * Routes one decoded packet to its handler. A handler returns a promise only when it waits for an
 * async plugin decision; the connection then holds later packets until it settles.
 */
export function handlePacket(ctx: BrokerContext, conn: Peer, packet: Packet): void | Promise<void> {
  if (!isConnected(conn)) {
    if (packet.type === 'connect' && conn.state === 'awaiting-connect') return handleConnect(ctx, conn, packet);
    if (conn.authExchange !== undefined) {
      // During enhanced authentication only AUTH (and DISCONNECT) may come before CONNACK [MQTT-3.1.2-30].
      if (packet.type === 'auth') return continueAuth(ctx, conn, packet);
      if (packet.type !== 'disconnect')
        conn.close(`${packet.type.toUpperCase()} during enhanced authentication [MQTT-3.1.2-30]`, false);
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
      return handlePublish(ctx, conn, packet);
    case 'puback':
      return handlePuback(ctx, conn, packet);
    case 'pubrec':
      return handlePubrec(ctx, conn, packet);
    case 'pubrel':
      return handlePubrel(ctx, conn, packet);
    case 'pubcomp':
      return handlePubcomp(ctx, conn, packet);
    case 'subscribe':
      return handleSubscribe(ctx, conn, packet);
    case 'unsubscribe':
      return handleUnsubscribe(ctx, conn, packet);
    case 'pingreq':
      return handlePingreq(conn);
    case 'disconnect':
      return handleDisconnect(ctx, conn, packet);
    case 'auth':
      return handleAuth(ctx, conn, packet);
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
