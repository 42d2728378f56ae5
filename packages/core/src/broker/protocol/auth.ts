import type { AuthPacket, ConnectPacket } from '../../codec/packets.js';
import { isReasonCodeAllowed } from '../../codec/reason-codes.js';
import type { ClientInfo, EnhancedAuthStep } from '../../plugin-api/types.js';
import type { Connection } from '../connection.js';
import { isPromise } from '../host.js';
import { refusalCode, refuse } from './connack.js';

/** AUTH reason codes (MQTT 5.0 section 3.15.2.1). */
const SUCCESS = 0x00;
const CONTINUE_AUTHENTICATION = 0x18;
const REAUTHENTICATE = 0x19;
const PROTOCOL_ERROR = 0x82;
const NOT_AUTHORIZED = 0x87;
/** MQTT control packet type of DISCONNECT, for the reason codes it may carry. */
const DISCONNECT = 14;

/** An enhanced authentication exchange in progress on a connection (MQTT 5.0 section 4.12). */
export interface AuthExchange {
  readonly method: string;
  readonly reauthenticating: boolean;
  /** Steps the plugin has answered so far. */
  step: number;
  /** The plugin's `state` from its last challenge. */
  state: unknown;
  /** At connect time: the CONNECT and what completes it once the plugin allows. */
  readonly connect: { readonly packet: ConnectPacket; readonly accept: ConnectAccept } | undefined;
}

/** Completes the CONNECT once the plugin allowed: `data` for the CONNACK, `username` the identity the proof established. */
export type ConnectAccept = (data: Buffer | undefined, username: string | undefined) => void | Promise<void>;

/**
 * A v5 CONNECT naming an Authentication Method a plugin handles: the plugin's steps replace the
 * `authenticate` hooks. The client may send only AUTH (or DISCONNECT) until CONNACK [MQTT-3.1.2-30].
 */
export function startEnhancedAuth(
  conn: Connection,
  packet: ConnectPacket,
  client: ClientInfo,
  method: string,
  accept: ConnectAccept,
): void | Promise<void> {
  conn.state = 'authenticating';
  conn.authExchange = { method, reauthenticating: false, step: 0, state: undefined, connect: { packet, accept } };
  return runStep(conn, client, packet.properties?.authenticationData);
}

/** AUTH from a client: the answer to a challenge (0x18) or the start of a re-authentication (0x19). */
export function handleAuth(conn: Connection, packet: AuthPacket): void | Promise<void> {
  const method = packet.properties?.authenticationMethod;
  const data = packet.properties?.authenticationData;
  const exchange = conn.authExchange;
  const client = conn.client!;
  if (packet.reasonCode === CONTINUE_AUTHENTICATION) {
    if (exchange === undefined) return protocolError(conn, 'AUTH 0x18 without an authentication exchange in progress');
    // [MQTT-4.12.0-5]: the method stays the one of the CONNECT.
    if (method !== exchange.method) return protocolError(conn, `AUTH with method '${String(method)}' during an exchange for '${exchange.method}' [MQTT-4.12.0-5]`);
    return runStep(conn, client, data);
  }
  if (packet.reasonCode === REAUTHENTICATE && conn.state === 'connected') {
    // Only a client that authenticated with a method may re-authenticate, with the same method [MQTT-4.12.1-1].
    if (conn.authMethod === undefined) return protocolError(conn, 'AUTH 0x19 from a client that did not use enhanced authentication [MQTT-4.12.0-7]');
    if (method !== conn.authMethod) return protocolError(conn, `re-authentication with method '${String(method)}' instead of '${conn.authMethod}' [MQTT-4.12.1-1]`);
    if (exchange !== undefined) return protocolError(conn, 'AUTH 0x19 while a re-authentication is in progress');
    conn.authExchange = { method, reauthenticating: true, step: 0, state: undefined, connect: undefined };
    return runStep(conn, client, data);
  }
  return protocolError(conn, `unexpected AUTH reason code 0x${packet.reasonCode.toString(16)} from a client`);
}

function runStep(conn: Connection, client: ClientInfo, data: Buffer | undefined): void | Promise<void> {
  const exchange = conn.authExchange!;
  // Plugins may keep the request past this tick: data is a view on decoder memory.
  const request = {
    client,
    method: exchange.method,
    data: data === undefined ? undefined : Buffer.from(data),
    step: exchange.step,
    reauthenticating: exchange.reauthenticating,
    state: exchange.state,
    connect: exchange.connect?.packet,
  };
  const step = conn.ctx.host!.enhancedAuth(request);
  if (!isPromise(step)) return afterStep(conn, exchange, step);
  return step.then((s) => afterStep(conn, exchange, s));
}

function afterStep(conn: Connection, exchange: AuthExchange, step: EnhancedAuthStep): void | Promise<void> {
  if (conn.state === 'closed' || conn.authExchange !== exchange) return;
  exchange.step++;
  const withData = step.verdict === 'deny' || step.data === undefined ? {} : { authenticationData: step.data };
  if (step.verdict === 'challenge') {
    exchange.state = step.state;
    conn.send({ type: 'auth', reasonCode: CONTINUE_AUTHENTICATION, properties: { authenticationMethod: exchange.method, ...withData } });
    // The client has connect_timeout to answer a challenge made before CONNACK.
    if (exchange.connect !== undefined) conn.restartConnectTimer();
    return;
  }
  conn.authExchange = undefined;
  const ctx = conn.ctx;
  if (step.verdict === 'allow') {
    if (exchange.connect === undefined) {
      // The session, its subscriptions and the plugins' per-client state are bound to the identity: a
      // re-authentication may refresh it, not change it.
      if (step.username !== undefined && step.username !== conn.client!.username) {
        conn.close('re-authentication established another username', false, { reasonCode: NOT_AUTHORIZED });
        return;
      }
      conn.send({ type: 'auth', reasonCode: SUCCESS, properties: { authenticationMethod: exchange.method, ...withData } });
      if (ctx.debug) ctx.log.debug({ clientId: conn.client!.clientId, method: exchange.method }, 're-authenticated');
      return;
    }
    conn.clearConnectTimer();
    conn.authMethod = exchange.method;
    return exchange.connect.accept(step.data, step.username);
  }
  const reason = step.reason !== undefined ? `not authorized: ${step.reason}` : 'not authorized';
  if (ctx.debug) ctx.log.debug({ clientId: conn.client!.clientId, method: exchange.method, reauthenticating: exchange.reauthenticating }, 'enhanced authentication denied');
  if (exchange.connect !== undefined) {
    refuse(conn, refusalCode(5, step.reasonCode), reason, step.reason);
    return;
  }
  // A CONNACK-only code such as 0x86 (bad user name or password) cannot be a DISCONNECT reason: 0x87 then.
  const requested = step.reasonCode;
  const code = requested !== undefined && requested >= 0x80 && isReasonCodeAllowed(DISCONNECT, requested) ? requested : NOT_AUTHORIZED;
  conn.close(`re-authentication failed: ${reason}`, false, { reasonCode: code, ...(step.reason !== undefined ? { reasonString: step.reason } : {}) });
}

/** Before CONNACK a protocol error is answered with CONNACK 0x82, after it with DISCONNECT 0x82. */
function protocolError(conn: Connection, why: string): void {
  if (conn.state === 'connected') conn.close(why, false, { reasonCode: PROTOCOL_ERROR });
  else refuse(conn, PROTOCOL_ERROR, why);
}
