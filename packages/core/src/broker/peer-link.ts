import type { Packet, ProtocolVersion, QoS } from '../codec/packets.js';
import type { Message } from '../plugin-api/types.js';
import type { OutgoingTopicAliases } from './outgoing-topic-aliases.js';

/** Types only: no runtime import may be added here (this file sits below session.ts). */

export type PeerState = 'awaiting-connect' | 'authenticating' | 'connected' | 'closed';

export interface CloseOptions {
  /** v5: sent in a DISCONNECT before closing (server-initiated closes). */
  readonly reasonCode?: number;
  readonly reasonString?: string;
  /** Publish the will even though the close is graceful (v5 DISCONNECT 0x04). */
  readonly keepWill?: boolean;
}

/**
 * What a session, and the delivery path through it (outbound, retained delivery, the session store), use
 * of the connection the session is attached to: writing, back-pressure, closing. `Session.connection` is
 * one of these.
 *
 * It is declared apart from `Peer` (peer.ts) because `ConnectedPeer` names `Session`: session.ts imports
 * this file, peer.ts imports session.ts, and no import goes the other way.
 */
export interface PeerLink {
  readonly state: PeerState;
  readonly protocolVersion: ProtocolVersion;
  /** v5 Maximum Packet Size the client accepts (0: no limit); larger PUBLISH packets are discarded. */
  readonly maxOutgoingPacket: number;
  /** v5 Topic Aliases the broker sets towards the client; undefined when off (the default). */
  readonly outgoingAliases: OutgoingTopicAliases | undefined;
  /** Encodes and writes one packet (nothing once closed). */
  send(packet: Packet): void;
  /** Writes an already encoded PUBLISH (shared across a fan-out, or stamped with this receiver's id). */
  writePublish(
    bytes: Buffer,
    message: Message,
    qos: QoS,
    retain: boolean,
    packetId: number | undefined,
    dup: boolean,
  ): void;
  /** True while the client reads too slowly (over max_outgoing_bytes): QoS 0 deliveries are dropped. */
  overOutgoingLimit(): boolean;
  /**
   * Closes once. `graceful` only after the client's DISCONNECT: any other close publishes the will. A v5
   * client is told why with a DISCONNECT carrying `options.reasonCode`.
   */
  close(reason: string, graceful: boolean, options?: CloseOptions): void;
}
