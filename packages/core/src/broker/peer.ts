import type { ConnectPacket, ProtocolVersion } from '../codec/packets.js';
import type { TopicAliasTable } from '../codec/topic-alias-table.js';
import type { ClientInfo } from '../plugin-api/types.js';
import type { OutgoingTopicAliases } from './outgoing-topic-aliases.js';
import type { ConnectionInfo } from './listeners.js';
import type { PeerLink, PeerState } from './peer-link.js';
import type { Session } from './session.js';

/**
 * The client's connection as the protocol handlers (protocol/*) see it; `Connection` implements it.
 * Types only: no runtime import may be added here. The broker's context is not part of it: handlers get
 * it as their own argument, `(ctx, peer, packet)`, so that nothing below the handlers imports upwards.
 *
 * Code that only delivers to a session's connection (session.ts, outbound.ts, the session store,
 * retained delivery) uses `PeerLink` (peer-link.ts), which this extends: this file imports session.ts.
 */
export interface Peer extends PeerLink {
  /** Set by the CONNECT handlers: 'authenticating' while a plugin decides before CONNACK. */
  state: PeerState;
  /** Set once CONNECT was accepted for authentication (`setClient`); never changes after CONNACK. */
  readonly client: ClientInfo | undefined;
  /** Where the connection came from; the client (which carries the same fields) once it is known. */
  readonly info: ConnectionInfo;
  maxOutgoingPacket: number;
  outgoingAliases: OutgoingTopicAliases | undefined;
  /** v5 enhanced authentication: the exchange in progress (connect time or re-authentication). */
  authExchange: AuthExchange | undefined;
  /** v5 enhanced authentication: the method the client authenticated with (re-authentication uses it). */
  authMethod: string | undefined;
  /** v5 Topic Aliases the client set on this connection [MQTT-3.3.2-7]; created on first use. */
  topicAliases: TopicAliasTable | undefined;
  /**
   * QoS 1/2 PUBLISH packets received and not yet answered with PUBACK / PUBREC: with the QoS 2 ids
   * awaiting PUBREL, what Receive Maximum bounds. The PUBLISH handler counts the answers down.
   */
  inboundUnacked: number;
  /**
   * The last PUBACK / PUBREC still waiting for the store (persistent subscribers' writes): later ones
   * queue behind it, so acknowledgements keep the order of the PUBLISH packets [MQTT-4.6.0-2]. Undefined
   * when none waits (the usual case: nothing is chained).
   */
  ackTail: Promise<void> | undefined;
  /** Sets the client at CONNECT (again when enhanced authentication names another username). */
  setClient(client: ClientInfo): void;
  /** The CONNECT's protocol level: encoder and decoder follow it. */
  setProtocolVersion(version: ProtocolVersion): void;
  /** Gives the client connect_timeout again (each enhanced authentication challenge before CONNACK). */
  restartConnectTimer(): void;
  clearConnectTimer(): void;
  /** CONNACK 0 is out: from now on the peer is a `ConnectedPeer` serving `session`. */
  attach(session: Session, keepalive: number): void;
}

/**
 * A peer after CONNACK: `state` is 'connected', or 'closed' once it closed (handlers that waited for a
 * plugin check that). `client` and `session` stay what they were when it closed.
 */
export interface ConnectedPeer extends Peer {
  readonly state: 'connected' | 'closed';
  readonly client: ClientInfo;
  readonly session: Session;
}

/** An enhanced authentication exchange in progress on a connection (MQTT 5.0 section 4.12). */
export interface AuthExchange {
  readonly method: string;
  /** The client authenticating (at CONNECT, as the CONNECT named it). */
  readonly client: ClientInfo;
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
