import { randomBytes } from 'node:crypto';
import type { ConnackPacket, ConnackProperties, ConnectPacket, PublishProperties } from '../../codec/packets.js';
import type { ClientInfo, Decision } from '../../plugin-api/types.js';
import type { BrokerContext } from '../context.js';
import { isPromise } from '../plugin-port.js';
import { copyMessage } from '../message.js';
import { resumeSession } from '../resume-authorization.js';
import { adoptSession } from '../session-handover.js';
import { toPersisted } from '../snapshot.js';
import { OutgoingTopicAliases } from '../outgoing-topic-aliases.js';
import type { Peer } from '../peer.js';
import { findControlCharacter, validateTopicName } from '../topic.js';
import { ConnackCode, refusalCode, refuse, V5 } from './connack.js';
import { startEnhancedAuth } from './auth.js';
import { checkSessionOwner } from './session-owner.js';

/** Largest value of the v5 Maximum Packet Size property (one more than the largest MQTT packet). */
const MAX_PACKET_PROPERTY = 268_435_460;

function assignClientId(): string {
  return `midge-${randomBytes(9).toString('base64url')}`;
}

/**
 * CONNECT: protocol version, client id rules, will topic, authentication through plugins, then the
 * session (takeover, session-present) and CONNACK, which is always the first packet sent.
 */
export function handleConnect(ctx: BrokerContext, conn: Peer, packet: ConnectPacket): void | Promise<void> {
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
    // 3.1.1 lets the server assign an id to a clean session only [MQTT-3.1.3-8]; 5.0 always. 3.1 asks for
    // 1..23 characters, but clients in the field send longer ids and empty ones with clean session:
    // like Mosquitto, 3.1 is treated as 3.1.1 here (and refused with a CONNACK, never a silent close).
    if (version !== 5 && !packet.clean) {
      refuse(conn, ConnackCode.identifierRejected, 'empty client id without clean session [MQTT-3.1.3-8]');
      return;
    }
    clientId = assignClientId();
    assigned = true;
  }
  if (packet.will !== undefined) {
    const invalid = validateTopicName(packet.will.topic, ctx.topicLimits);
    if (invalid !== undefined) {
      if (version === 5) refuse(conn, V5.topicNameInvalid, `invalid will topic: ${invalid}`);
      else conn.close(`invalid will topic: ${invalid}`, false);
      return;
    }
  }
  if (!admissible(ctx, conn, packet, clientId, assigned)) return;
  const fromCertificate = conn.info.certificateUsername;
  if (fromCertificate === null) {
    // use_identity_as_username, and the verified certificate lacks the field that names the client.
    refuse(
      conn,
      version === 5 ? V5.badUserNameOrPassword : ConnackCode.badUsernameOrPassword,
      'the client certificate has no field to take the username from (use_identity_as_username)',
    );
    return;
  }
  if (version === 5) {
    if (props?.maximumPacketSize !== undefined) conn.maxOutgoingPacket = props.maximumPacketSize;
  }
  const client: ClientInfo = Object.freeze({
    clientId,
    // A certificate that names the client replaces the CONNECT's username (as Mosquitto's option).
    username: fromCertificate ?? packet.username,
    protocolVersion: version,
    listener: conn.info.listener,
    remoteAddress: conn.info.remoteAddress,
    remotePort: conn.info.remotePort,
    secure: conn.info.secure,
  });
  conn.setClient(client);
  const host = ctx.host;
  if (host === undefined) return accept(ctx, conn, packet, client, assigned);
  // Plugins may keep the request: give them copies, not views that keep the whole socket chunk alive.
  if (packet.password !== undefined) packet.password = Buffer.from(packet.password);
  if (packet.will !== undefined) packet.will = { ...packet.will, payload: Buffer.from(packet.will.payload) };
  // The listener verified the certificate that names the client: that is its authentication; the
  // authorizeClient vetoes and the topic rules apply as to anyone.
  if (fromCertificate !== undefined) return admit(ctx, conn, packet, client, assigned);
  if (method !== undefined) {
    return startEnhancedAuth(ctx, conn, packet, client, method, (data, username) =>
      admit(ctx, conn, packet, identified(conn, client, username), assigned, { method, data }),
    );
  }
  const decision = host.authenticate({ client, password: packet.password, connect: packet });
  if (!isPromise(decision)) return decide(ctx, conn, packet, client, assigned, decision);
  conn.state = 'authenticating';
  return decision.then(
    (d) => decide(ctx, conn, packet, client, assigned, d),
    (err: unknown) => {
      ctx.log.warn({ err, clientId }, 'authentication failed with an error; refusing');
      return decide(ctx, conn, packet, client, assigned, { verdict: 'deny' });
    },
  );
}

/**
 * Rules checked before authentication: control characters in the client id (v5 0x85, v3 0x02) or the
 * username (v5 0x86, v3 0x04) under `control_characters: reject`, and a 3.1/3.1.1 keepalive above
 * `max_keepalive` (0x02, as Mosquitto: those versions cannot be told a Server Keep Alive). The refusal
 * names no username: a refused username is often a mistyped password.
 */
function admissible(
  ctx: BrokerContext,
  conn: Peer,
  packet: ConnectPacket,
  clientId: string,
  assigned: boolean,
): boolean {
  const config = ctx.config;
  const v5 = packet.protocolVersion === 5;
  if (config.control_characters === 'reject') {
    if (!assigned && findControlCharacter(clientId) >= 0) {
      refuse(
        conn,
        v5 ? V5.clientIdentifierNotValid : ConnackCode.identifierRejected,
        'control character in the client id (control_characters: reject)',
      );
      return false;
    }
    if (packet.username !== undefined && findControlCharacter(packet.username) >= 0) {
      refuse(
        conn,
        v5 ? V5.badUserNameOrPassword : ConnackCode.badUsernameOrPassword,
        'control character in the username (control_characters: reject)',
      );
      return false;
    }
  }
  if (!v5 && exceedsMaxKeepalive(packet.keepalive, config.max_keepalive)) {
    refuse(
      conn,
      ConnackCode.identifierRejected,
      `keepalive ${String(packet.keepalive)} s above max_keepalive (${String(config.max_keepalive)})`,
    );
    return false;
  }
  return true;
}

/** A keepalive of 0 (none) also exceeds a max_keepalive below 65535 (65535 = no cap). */
function exceedsMaxKeepalive(keepalive: number, max: number): boolean {
  return max < 0xffff && (keepalive > max || keepalive === 0);
}

function decide(
  ctx: BrokerContext,
  conn: Peer,
  packet: ConnectPacket,
  client: ClientInfo,
  assigned: boolean,
  d: Decision,
): void | Promise<void> {
  if (conn.state === 'closed') return;
  // A plugin that established who the client is (`allowAs`) names it for everything after.
  if (d.verdict === 'allow') return admit(ctx, conn, packet, identified(conn, client, d.username), assigned);
  refuseByPlugin(ctx, conn, client, d, 'CONNECT refused');
}

/** A plugin's deny (or every plugin abstaining) refuses the CONNECT with the plugin's code and reason, mapped to this version. */
function refuseByPlugin(ctx: BrokerContext, conn: Peer, client: ClientInfo, d: Decision, logMessage: string): void {
  const code = refusalCode(conn.protocolVersion, d.verdict === 'deny' ? d.reasonCode : undefined);
  if (ctx.debug) ctx.log.debug({ clientId: client.clientId, code }, logMessage);
  const reason = d.verdict === 'deny' ? d.reason : undefined;
  refuse(conn, code, reason !== undefined ? `not authorized: ${reason}` : 'not authorized', reason);
}

/** The client as an enhanced authentication identified it: its `username`, when it named one, replaces the CONNECT's. */
function identified(conn: Peer, client: ClientInfo, username: string | undefined): ClientInfo {
  if (username === undefined || username === client.username) return client;
  const named: ClientInfo = Object.freeze({ ...client, username });
  conn.setClient(named);
  return named;
}

/** Authenticated: the plugins' `authorizeClient` vetoes (client id rules) come last, then the session. */
function admit(
  ctx: BrokerContext,
  conn: Peer,
  packet: ConnectPacket,
  client: ClientInfo,
  assigned: boolean,
  auth?: { method: string; data: Buffer | undefined },
): void | Promise<void> {
  const decision = ctx.host?.authorizeClient?.({ client, connect: packet });
  if (decision === undefined) return accept(ctx, conn, packet, client, assigned, auth);
  const admitted = (d: Decision): void | Promise<void> => {
    if (conn.state === 'closed') return;
    if (d.verdict !== 'deny') return accept(ctx, conn, packet, client, assigned, auth);
    refuseByPlugin(ctx, conn, client, d, 'CONNECT refused by authorizeClient');
  };
  if (!isPromise(decision)) return admitted(decision);
  conn.state = 'authenticating';
  return decision.then(admitted, (err: unknown) => {
    ctx.log.warn({ err, clientId: client.clientId }, 'client authorization failed with an error; refusing');
    return admitted({ verdict: 'deny' });
  });
}

/**
 * max_persistent_sessions: a CONNECT that would add a persistent session past the cap is refused (v5
 * 0x97 Quota exceeded, v3 0x03 Server unavailable). Resuming or replacing an existing persistent session
 * adds none, so it is always allowed.
 */
function overPersistentSessionCap(ctx: BrokerContext, conn: Peer, clientId: string, persistent: boolean): boolean {
  const cap = ctx.config.max_persistent_sessions;
  if (!persistent || cap <= 0 || ctx.sessions.persistentCount < cap) return false;
  if (ctx.sessions.get(clientId)?.persisted === true) return false;
  ctx.limits.hit('max_persistent_sessions', 'new persistent session refused (max_persistent_sessions)', {
    clientId,
    persistentSessions: ctx.sessions.persistentCount,
  });
  refuse(
    conn,
    conn.protocolVersion === 5 ? V5.quotaExceeded : ConnackCode.serverUnavailable,
    'too many persistent sessions (max_persistent_sessions)',
  );
  return true;
}

/** v5 session expiry: the client's request, capped by session_expiry_interval when that is set. */
function sessionExpiry(ctx: BrokerContext, requested: number): number {
  const cap = ctx.config.session_expiry_interval;
  return cap > 0 && requested > cap ? cap : requested;
}

/**
 * Admitted: a cluster plugin first claims the client id across brokers (`claimSession`: other brokers
 * close their connection with it [MQTT-3.1.4-3] and may hand its session over, adopted here), then the
 * session opens. An assigned client id is new: nothing to claim.
 */
function accept(
  ctx: BrokerContext,
  conn: Peer,
  packet: ConnectPacket,
  client: ClientInfo,
  assigned: boolean,
  auth?: { method: string; data: Buffer | undefined },
): void | Promise<void> {
  const claim = assigned ? undefined : ctx.host?.claimSession?.({ client, cleanStart: packet.clean });
  if (claim === undefined) {
    openSession(ctx, conn, packet, client, assigned, auth);
    return;
  }
  conn.state = 'authenticating';
  return claim.then((handed) => {
    // Adopted even when this client left meanwhile: the other broker gave the session up already.
    if (handed !== undefined) adoptSession(ctx, handed);
    if (conn.state === 'closed') return;
    openSession(ctx, conn, packet, client, assigned, auth);
  });
}

/** `auth`: the enhanced authentication that admitted the client, echoed in CONNACK [MQTT-4.12.0-5]. */
function openSession(
  ctx: BrokerContext,
  conn: Peer,
  packet: ConnectPacket,
  client: ClientInfo,
  assigned: boolean,
  auth?: { method: string; data: Buffer | undefined },
): void {
  const v5 = packet.protocolVersion === 5;
  const requestedExpiry = packet.properties?.sessionExpiryInterval ?? 0;
  const expiry = v5 ? sessionExpiry(ctx, requestedExpiry) : undefined;
  const owner = checkSessionOwner(ctx, conn, client);
  if (owner === 'refused') return;
  if (overPersistentSessionCap(ctx, conn, client.clientId, v5 ? expiry !== 0 : !packet.clean)) return;
  // 'fresh' with another identity's session: opened as clean, which discards that session.
  const { session, sessionPresent } = ctx.sessions.open(client.clientId, packet.clean || owner === 'discard', client);
  session.owner = client.username;
  // v3/v4: the Clean Session flag decides; v5: a session expiry interval of 0 ends with the connection.
  session.clean = v5 ? expiry === 0 : packet.clean;
  session.expiryInterval = expiry;
  if (!session.clean && !session.persisted) {
    // A new persistent session gets its record now; its subscriptions follow as they are made.
    ctx.sessions.markPersisted(session);
    ctx.journal.write(ctx.persistence.saveSession(toPersisted(session)));
  }
  const receiveMaximum = v5 ? (packet.properties?.receiveMaximum ?? 0xffff) : 0xffff;
  session.window = Math.min(ctx.config.max_inflight_messages, receiveMaximum);
  const connack: ConnackPacket = { type: 'connack', sessionPresent, reasonCode: ConnackCode.accepted };
  let keepalive = packet.keepalive;
  if (v5) {
    // Shared Subscription Available is left out: absent means available (MQTT 5.0 section 3.2.2.3.15).
    const props: ConnackProperties = {};
    if (assigned) props.assignedClientIdentifier = client.clientId;
    if (expiry !== undefined && expiry !== requestedExpiry) props.sessionExpiryInterval = expiry;
    if (ctx.config.max_packet_size < MAX_PACKET_PROPERTY) props.maximumPacketSize = ctx.config.max_packet_size;
    // Absent means 0: no alias may be used [MQTT-3.2.2-17] (the default config allows 10, as Mosquitto does).
    if (ctx.config.topic_alias_maximum > 0) props.topicAliasMaximum = ctx.config.topic_alias_maximum;
    // Absent means 65,535 (MQTT 5.0 section 3.2.2.3.3); the client must not exceed it [MQTT-3.3.4-7] (connection.ts enforces it).
    if (ctx.config.receive_maximum < 0xffff) props.receiveMaximum = ctx.config.receive_maximum;
    // [MQTT-3.2.2-21]: the client must use the Server Keep Alive; the broker holds it to that value.
    if (exceedsMaxKeepalive(keepalive, ctx.config.max_keepalive))
      keepalive = props.serverKeepAlive = ctx.config.max_keepalive;
    // Broker → client aliases only as far as the client allows them (absent = 0 = none) [MQTT-3.3.2-11].
    const outgoingAliases = Math.min(
      ctx.config.outgoing_topic_alias_maximum,
      packet.properties?.topicAliasMaximum ?? 0,
    );
    if (outgoingAliases > 0) conn.outgoingAliases = new OutgoingTopicAliases(outgoingAliases);
    if (auth !== undefined) {
      props.authenticationMethod = auth.method;
      if (auth.data !== undefined) props.authenticationData = auth.data;
    }
    connack.properties = props;
  }
  // [MQTT-3.2.2-1..3]: clean → 0; persistent → whether a session existed.
  conn.send(connack);
  conn.attach(session, keepalive);
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
    session.will = copyMessage(
      properties === undefined
        ? { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain }
        : { topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain, properties },
    );
    session.willDelay = v5 ? (will.properties?.willDelayInterval ?? 0) : 0;
    ctx.sessions.storeWill(client, session.will, session.willDelay);
  }
  if (ctx.debug) ctx.log.debug({ clientId: client.clientId, clean: packet.clean, sessionPresent }, 'client connected');
  if (ctx.events.wants('client:connected')) {
    const stored = session.will;
    ctx.events.emit(
      'client:connected',
      stored === undefined
        ? { client, clean: packet.clean, sessionPresent }
        : { client, clean: packet.clean, sessionPresent, will: { message: stored, delay: session.willDelay } },
    );
  }
  if (sessionPresent) resumeSession(ctx, session);
}
