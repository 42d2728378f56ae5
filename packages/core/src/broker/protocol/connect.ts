import { randomBytes } from 'node:crypto';
import type { ConnackPacket, ConnackProperties, ConnectPacket, PublishProperties } from '../../codec/packets.js';
import type { ClientInfo, Decision } from '../../plugin-api/types.js';
import type { Connection } from '../connection.js';
import { isPromise } from '../host.js';
import { copyMessage } from '../message.js';
import { persistWrite } from '../durable.js';
import { resumeSession } from '../outbound.js';
import { toPersisted } from '../snapshot.js';
import { validateTopicName } from '../topic.js';
import { ConnackCode, refusalCode, refuse, V5 } from './connack.js';
import { startEnhancedAuth } from './auth.js';

/** 3.1 (MQIsdp) limits client ids to 23 characters. */
const V31_MAX_CLIENT_ID = 23;
/** Largest value of the v5 Maximum Packet Size property (one more than the largest MQTT packet). */
const MAX_PACKET_PROPERTY = 268_435_460;

function assignClientId(): string {
  return `midge-${randomBytes(9).toString('base64url')}`;
}

/**
 * CONNECT: protocol version, client id rules, will topic, authentication through plugins, then the
 * session (takeover, session-present) and CONNACK, which is always the first packet sent.
 */
export function handleConnect(conn: Connection, packet: ConnectPacket): void | Promise<void> {
  const ctx = conn.ctx;
  conn.clearConnectTimer();
  const version = packet.protocolVersion;
  conn.setProtocolVersion(version);
  const props = packet.properties;
  const method = version === 5 ? props?.authenticationMethod : undefined;
  if (method !== undefined && ctx.host?.hasEnhancedAuth(method) !== true) {
    // No plugin handles this Authentication Method [MQTT-4.12.0-1].
    refuse(conn, V5.badAuthenticationMethod, `no plugin handles authentication method '${method}'`);
    return;
  }
  let clientId = packet.clientId;
  let assigned = false;
  if (clientId.length === 0) {
    // 3.1 requires 1..23 characters; 3.1.1 lets the server assign one to a clean session only; 5.0 always.
    if (version === 3 || (version === 4 && !packet.clean)) {
      refuse(conn, ConnackCode.identifierRejected, 'empty client id without clean session [MQTT-3.1.3-8]');
      return;
    }
    clientId = assignClientId();
    assigned = true;
  } else if (version === 3 && clientId.length > V31_MAX_CLIENT_ID) {
    refuse(conn, ConnackCode.identifierRejected, 'MQTT 3.1 client id longer than 23 characters');
    return;
  }
  if (packet.will !== undefined) {
    const invalid = validateTopicName(packet.will.topic, ctx.topicLimits);
    if (invalid !== undefined) {
      if (version === 5) refuse(conn, V5.topicNameInvalid, `invalid will topic: ${invalid}`);
      else conn.close(`invalid will topic: ${invalid}`, false);
      return;
    }
  }
  if (version === 5) {
    if (props?.maximumPacketSize !== undefined) conn.maxOutgoingPacket = props.maximumPacketSize;
  }
  const client: ClientInfo = Object.freeze({
    clientId,
    username: packet.username,
    protocolVersion: version,
    listener: conn.info.listener,
    remoteAddress: conn.info.remoteAddress,
    remotePort: conn.info.remotePort,
    secure: conn.info.secure,
  });
  conn.setClient(client);
  const host = ctx.host;
  if (host === undefined) {
    accept(conn, packet, client, assigned);
    return;
  }
  // Plugins may keep the request past this tick: give them copies, not views on decoder memory.
  if (packet.password !== undefined) packet.password = Buffer.from(packet.password);
  if (packet.will !== undefined) packet.will = { ...packet.will, payload: Buffer.from(packet.will.payload) };
  if (method !== undefined) {
    return startEnhancedAuth(conn, packet, client, method, (data) => accept(conn, packet, client, assigned, { method, data }));
  }
  const decision = host.authenticate({ client, password: packet.password, connect: packet });
  if (!isPromise(decision)) {
    decide(conn, packet, client, assigned, decision);
    return;
  }
  conn.state = 'authenticating';
  return decision.then(
    (d) => decide(conn, packet, client, assigned, d),
    (err: unknown) => {
      ctx.log.warn({ err, clientId }, 'authentication failed with an error; refusing');
      decide(conn, packet, client, assigned, { verdict: 'deny' });
    },
  );
}

function decide(conn: Connection, packet: ConnectPacket, client: ClientInfo, assigned: boolean, d: Decision): void {
  if (conn.state === 'closed') return;
  if (d.verdict === 'allow') {
    accept(conn, packet, client, assigned);
    return;
  }
  const code = refusalCode(conn.protocolVersion, d.verdict === 'deny' ? d.reasonCode : undefined);
  if (conn.ctx.debug) conn.ctx.log.debug({ clientId: client.clientId, code }, 'CONNECT refused');
  const reason = d.verdict === 'deny' ? d.reason : undefined;
  refuse(conn, code, reason !== undefined ? `not authorized: ${reason}` : 'not authorized', reason);
}

/** v5 session expiry: the client's request, capped by session_expiry_interval when that is set. */
function sessionExpiry(conn: Connection, requested: number): number {
  const cap = conn.ctx.config.session_expiry_interval;
  return cap > 0 && requested > cap ? cap : requested;
}

/** `auth`: the enhanced authentication that admitted the client, echoed in CONNACK [MQTT-4.12.0-5]. */
function accept(conn: Connection, packet: ConnectPacket, client: ClientInfo, assigned: boolean, auth?: { method: string; data: Buffer | undefined }): void {
  const ctx = conn.ctx;
  const v5 = packet.protocolVersion === 5;
  const requestedExpiry = packet.properties?.sessionExpiryInterval ?? 0;
  const expiry = v5 ? sessionExpiry(conn, requestedExpiry) : undefined;
  const { session, sessionPresent } = ctx.sessions.open(client.clientId, packet.clean, client);
  // v3/v4: the Clean Session flag decides; v5: a session expiry interval of 0 ends with the connection.
  session.clean = v5 ? expiry === 0 : packet.clean;
  session.expiryInterval = expiry;
  if (!session.clean && !session.persisted) {
    // A new persistent session gets its record now; its subscriptions follow as they are made.
    session.persisted = true;
    persistWrite(ctx, ctx.persistence.saveSession(toPersisted(session)));
  }
  const receiveMaximum = v5 ? (packet.properties?.receiveMaximum ?? 0xffff) : 0xffff;
  session.window = Math.min(ctx.config.max_inflight_messages, receiveMaximum);
  const connack: ConnackPacket = { type: 'connack', sessionPresent, reasonCode: ConnackCode.accepted };
  if (v5) {
    // Shared Subscription Available is left out: absent means available (MQTT 5.0 section 3.2.2.3.15).
    const props: ConnackProperties = {};
    if (assigned) props.assignedClientIdentifier = client.clientId;
    if (expiry !== requestedExpiry) props.sessionExpiryInterval = expiry;
    if (ctx.config.max_packet_size < MAX_PACKET_PROPERTY) props.maximumPacketSize = ctx.config.max_packet_size;
    // Absent means 0: no alias may be used [MQTT-3.2.2-17] (the default config allows 10, as Mosquitto does).
    if (ctx.config.topic_alias_maximum > 0) props.topicAliasMaximum = ctx.config.topic_alias_maximum;
    if (auth !== undefined) {
      props.authenticationMethod = auth.method;
      if (auth.data !== undefined) props.authenticationData = auth.data;
    }
    connack.properties = props;
  }
  // [MQTT-3.2.2-1..3]: clean → 0; persistent → whether a session existed.
  conn.send(connack);
  conn.attach(session, packet.keepalive);
  const will = packet.will;
  if (will === undefined) {
    session.will = undefined;
    session.willDelay = 0;
  } else {
    let properties: PublishProperties | undefined;
    if (v5 && will.properties !== undefined) {
      // Will properties become the PUBLISH properties of the will, minus the delay [MQTT-3.1.3-10].
      const { willDelayInterval: _delay, ...rest } = will.properties;
      if (Object.keys(rest).length > 0) properties = rest;
    }
    session.will = copyMessage(properties === undefined ? { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain } : { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain, properties });
    session.willDelay = v5 ? (will.properties?.willDelayInterval ?? 0) : 0;
  }
  if (ctx.debug) ctx.log.debug({ clientId: client.clientId, clean: packet.clean, sessionPresent }, 'client connected');
  if (ctx.events.wants('client:connected')) {
    ctx.events.emit('client:connected', { client, clean: packet.clean, sessionPresent });
  }
  if (sessionPresent) resumeSession(ctx, session);
}
