import type { AuthPacket, ConnectPacket } from '../../codec/packets.js';
import { isReasonCodeAllowed } from '../../codec/reason-codes.js';
import type { ClientInfo, EnhancedAuthStep } from '../../plugin-api/types.js';
import type { BrokerContext } from '../context.js';
import { isPromise } from '../plugin-port.js';
import type { AuthExchange, ConnectAccept, ConnectedPeer, Peer } from '../peer.js';
import { refusalCode, refuse } from './connack.js';

/** AUTH reason codes (MQTT 5.0 section 3.15.2.1). */
const SUCCESS = 0x00;
const CONTINUE_AUTHENTICATION = 0x18;
const REAUTHENTICATE = 0x19;
const PROTOCOL_ERROR = 0x82;
const NOT_AUTHORIZED = 0x87;
/** MQTT control packet type of DISCONNECT, for the reason codes it may carry. */
const DISCONNECT = 14;

/**
 * A v5 CONNECT naming an Authentication Method a plugin handles: the plugin's steps replace the
 * `authenticate` hooks. The client may send only AUTH (or DISCONNECT) until CONNACK [MQTT-3.1.2-30].
 */
export function startEnhancedAuth(
  ctx: BrokerContext,
  conn: Peer,
  packet: ConnectPacket,
  client: ClientInfo,
  method: string,
  accept: ConnectAccept,
): void | Promise<void> {
  conn.state = 'authenticating';
  const exchange: AuthExchange = {
    method,
    client,
    reauthenticating: false,
    step: 0,
    state: undefined,
    connect: { packet, accept },
  };
  conn.authExchange = exchange;
  return runStep(ctx, conn, exchange, packet.properties?.authenticationData);
}

/** AUTH from a connected client: the start of a re-authentication (0x19), or the answer to a challenge (0x18). */
export function handleAuth(ctx: BrokerContext, conn: ConnectedPeer, packet: AuthPacket): void | Promise<void> {
  if (packet.reasonCode !== REAUTHENTICATE) return continueAuth(ctx, conn, packet);
  const method = packet.properties?.authenticationMethod;
  // Only a client that authenticated with a method may re-authenticate, with the same method [MQTT-4.12.1-1].
  if (conn.authMethod === undefined)
    return protocolError(conn, 'AUTH 0x19 from a client that did not use enhanced authentication [MQTT-4.12.0-7]');
  if (method !== conn.authMethod)
    return protocolError(
      conn,
      `re-authentication with method '${String(method)}' instead of '${conn.authMethod}' [MQTT-4.12.1-1]`,
    );
  if (conn.authExchange !== undefined) return protocolError(conn, 'AUTH 0x19 while a re-authentication is in progress');
  const exchange: AuthExchange = {
    method,
    client: conn.client,
    reauthenticating: true,
    step: 0,
    state: undefined,
    connect: undefined,
  };
  conn.authExchange = exchange;
  return runStep(ctx, conn, exchange, packet.properties?.authenticationData);
}

/** AUTH 0x18: the client's answer to a challenge, before CONNACK or during a re-authentication. */
export function continueAuth(ctx: BrokerContext, conn: Peer, packet: AuthPacket): void | Promise<void> {
  if (packet.reasonCode !== CONTINUE_AUTHENTICATION) {
    return protocolError(conn, `unexpected AUTH reason code 0x${packet.reasonCode.toString(16)} from a client`);
  }
  const method = packet.properties?.authenticationMethod;
  const exchange = conn.authExchange;
  if (exchange === undefined) return protocolError(conn, 'AUTH 0x18 without an authentication exchange in progress');
  // [MQTT-4.12.0-5]: the method stays the one of the CONNECT.
  if (method !== exchange.method)
    return protocolError(
      conn,
      `AUTH with method '${String(method)}' during an exchange for '${exchange.method}' [MQTT-4.12.0-5]`,
    );
  return runStep(ctx, conn, exchange, packet.properties?.authenticationData);
}

function runStep(
  ctx: BrokerContext,
  conn: Peer,
  exchange: AuthExchange,
  data: Buffer | undefined,
): void | Promise<void> {
  const host = ctx.host;
  // handleConnect starts an exchange only for a method a plugin handles; a re-authentication reuses that method.
  if (host === undefined) throw new Error('internal error: enhanced authentication without a plugin host');
  // Plugins may keep the request: data is a view that would keep the whole socket chunk alive.
  const request = {
    client: exchange.client,
    method: exchange.method,
    data: data === undefined ? undefined : Buffer.from(data),
    step: exchange.step,
    reauthenticating: exchange.reauthenticating,
    state: exchange.state,
    connect: exchange.connect?.packet,
  };
  const step = host.enhancedAuth(request);
  if (!isPromise(step)) return afterStep(ctx, conn, exchange, step);
  return step.then((s) => afterStep(ctx, conn, exchange, s));
}

function afterStep(
  ctx: BrokerContext,
  conn: Peer,
  exchange: AuthExchange,
  step: EnhancedAuthStep,
): void | Promise<void> {
  if (conn.state === 'closed' || conn.authExchange !== exchange) return;
  exchange.step++;
  const withData = step.verdict === 'deny' || step.data === undefined ? {} : { authenticationData: step.data };
  if (step.verdict === 'challenge') {
    exchange.state = step.state;
    conn.send({
      type: 'auth',
      reasonCode: CONTINUE_AUTHENTICATION,
      properties: { authenticationMethod: exchange.method, ...withData },
    });
    // The client has connect_timeout to answer a challenge made before CONNACK.
    if (exchange.connect !== undefined) conn.restartConnectTimer();
    return;
  }
  conn.authExchange = undefined;
  const clientId = exchange.client.clientId;
  if (step.verdict === 'allow') {
    if (exchange.connect === undefined) {
      // The session, its subscriptions and the plugins' per-client state are bound to the identity: a
      // re-authentication may refresh it, not change it.
      if (step.username !== undefined && step.username !== exchange.client.username) {
        conn.close('re-authentication established another username', false, { reasonCode: NOT_AUTHORIZED });
        return;
      }
      conn.send({
        type: 'auth',
        reasonCode: SUCCESS,
        properties: { authenticationMethod: exchange.method, ...withData },
      });
      if (ctx.debug) ctx.log.debug({ clientId, method: exchange.method }, 're-authenticated');
      return;
    }
    conn.clearConnectTimer();
    conn.authMethod = exchange.method;
    return exchange.connect.accept(step.data, step.username);
  }
  const reason = step.reason !== undefined ? `not authorized: ${step.reason}` : 'not authorized';
  if (ctx.debug)
    ctx.log.debug(
      { clientId, method: exchange.method, reauthenticating: exchange.reauthenticating },
      'enhanced authentication denied',
    );
  if (exchange.connect !== undefined) {
    refuse(conn, refusalCode(5, step.reasonCode), reason, step.reason);
    return;
  }
  // A CONNACK-only code such as 0x86 (bad user name or password) cannot be a DISCONNECT reason: 0x87 then.
  const requested = step.reasonCode;
  const code =
    requested !== undefined && requested >= 0x80 && isReasonCodeAllowed(DISCONNECT, requested)
      ? requested
      : NOT_AUTHORIZED;
  conn.close(`re-authentication failed: ${reason}`, false, {
    reasonCode: code,
    ...(step.reason !== undefined ? { reasonString: step.reason } : {}),
  });
}

/** Before CONNACK a protocol error is answered with CONNACK 0x82, after it with DISCONNECT 0x82. */
function protocolError(conn: Peer, why: string): void {
  if (conn.state === 'connected') conn.close(why, false, { reasonCode: PROTOCOL_ERROR });
  else refuse(conn, PROTOCOL_ERROR, why);
}
