/**
 * Durable broker state behind one async interface (DESIGN section 4). The in-memory default is
 * `MemoryPersistence`; a durable store (file, SQL, Redis...) implements the same interface and must pass
 * `persistenceConformanceSuite`. Persistence is never on the QoS 0 hot path.
 *
 * Values given to a store are the store's to keep: implementations copy buffers they retain, and
 * return values the caller may mutate without affecting the store.
 */
import type { PublishProperties, QoS } from '../codec/packets.js';

export interface PersistedMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly properties?: PublishProperties | undefined;
  /** v5 message expiry deadline, epoch milliseconds. */
  readonly expiresAt?: number;
}

/** A message on its way to one session: the QoS and RETAIN flag it is delivered with. */
export interface PersistedDelivery {
  readonly message: PersistedMessage;
  readonly qos: QoS;
  readonly retain: boolean;
  /** v5 subscription identifiers to send with it. */
  readonly subscriptionIds?: readonly number[];
}

/** An outbound QoS 1/2 message sent and not yet acknowledged. */
export interface PersistedInflight {
  readonly packetId: number;
  readonly delivery: PersistedDelivery;
  /** 'publish' until PUBACK/PUBREC, 'pubrel' after PUBREC until PUBCOMP. */
  readonly state: 'publish' | 'pubrel';
}

export interface PersistedSubscription {
  readonly topic: string;
  readonly qos: QoS;
  /** v5 subscription options (absent = false / none). */
  readonly noLocal?: boolean;
  readonly retainAsPublished?: boolean;
  readonly subscriptionId?: number;
}

/** A persistent (clean = false) session as stored. */
export interface PersistedSession {
  readonly clientId: string;
  readonly subscriptions: readonly PersistedSubscription[];
  /** Offline queue, oldest first. */
  readonly queue: readonly PersistedDelivery[];
  /** Outbound inflight messages, in send order. */
  readonly inflight: readonly PersistedInflight[];
  /** Inbound QoS 2 packet ids received and not yet released by PUBREL. */
  readonly inboundQos2: readonly number[];
  /** Milliseconds since the epoch when the session was last disconnected (its expiry clock). */
  readonly disconnectedAt?: number;
  /** v5 session expiry interval in seconds; absent = the broker's session_expiry_interval. */
  readonly expiryInterval?: number;
  /**
   * The identity the session belongs to (`session_owner`): its authenticated username, `null` for an
   * anonymous client. Absent only in records written before owners were stored: the first client to
   * resume such a session claims it (its subscriptions and messages are still re-authorized for it).
   * A store must give back exactly what it was given, `null` included.
   */
  readonly username?: string | null;
}

export interface Persistence {
  /** Called once before first use (open files, connect). */
  open?(): Promise<void>;
  /** Flush and release resources. */
  close(): Promise<void>;

  // sessions (whole records)
  saveSession(session: PersistedSession): Promise<void>;
  getSession(clientId: string): Promise<PersistedSession | undefined>;
  deleteSession(clientId: string): Promise<void>;
  listSessions(): Promise<PersistedSession[]>;

  // subscriptions of a stored session (no-op when the session does not exist)
  setSubscription(clientId: string, subscription: PersistedSubscription): Promise<void>;
  deleteSubscription(clientId: string, topic: string): Promise<void>;

  // queued messages of a stored session, FIFO
  pushQueued(clientId: string, delivery: PersistedDelivery): Promise<void>;
  /** Removes and returns up to `max` of the oldest queued deliveries. */
  takeQueued(clientId: string, max: number): Promise<PersistedDelivery[]>;

  // inflight messages of a stored session, keyed by packet id
  setInflight(clientId: string, inflight: PersistedInflight): Promise<void>;
  deleteInflight(clientId: string, packetId: number): Promise<void>;

  // retained messages, keyed by topic
  setRetained(message: PersistedMessage): Promise<void>;
  deleteRetained(topic: string): Promise<void>;
  getRetained(topic: string): Promise<PersistedMessage | undefined>;
  listRetained(): Promise<PersistedMessage[]>;
}
