/**
 * Durable broker state behind one async interface. The in-memory default is
 * `MemoryPersistence`; a durable store (file, SQL, Redis...) implements the same interface and must pass
 * `persistenceConformanceSuite`. Persistence is never on the QoS 0 hot path.
 *
 * Values given to a store are the store's to keep: implementations copy buffers they retain, and
 * return values the caller may mutate without affecting the store.
 */
import type { ProtocolVersion, PublishProperties, QoS } from '../codec/packets.js';
import type { Logger } from '../plugin-api/logger.js';

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

/**
 * A delivery in a session's offline queue, under its sequence number: numbers grow per session in queue
 * order (the broker assigns them), so `listQueued` gives the queue back oldest first.
 */
export interface PersistedQueued {
  readonly seq: number;
  readonly delivery: PersistedDelivery;
}

/** An outbound QoS 1/2 message sent and not yet acknowledged. */
export interface PersistedInflight {
  readonly packetId: number;
  readonly delivery: PersistedDelivery;
  /** 'publish' until PUBACK/PUBREC, 'pubrel' after PUBREC until PUBCOMP. */
  readonly state: 'publish' | 'pubrel';
  /**
   * The queue entry this message was sent from, if it waited in the queue: a store that could not write
   * `setInflight` and `deleteQueued` atomically may hold both after a crash, and the broker then keeps
   * the inflight one only.
   */
  readonly seq?: number;
}

/**
 * The will of a connected client (a crash is an ungraceful disconnect: it is published at restart), or a
 * will whose v5 delay runs (`publishAt` set).
 */
export interface PersistedWill {
  readonly message: PersistedMessage;
  /** v5 Will Delay Interval, seconds (0: none). */
  readonly delay: number;
  /** Epoch milliseconds the delayed will is due, once its connection closed; absent while connected. */
  readonly publishAt?: number;
  /** The client's username (`null`: anonymous), whose rights the will is published with. */
  readonly username: string | null;
  readonly protocolVersion: ProtocolVersion;
}

/** Header fields of a stored session that change while it lives (`updateSession`). */
export interface SessionUpdate {
  /** Epoch milliseconds of the last disconnect; `null` while a client is connected to it. */
  readonly disconnectedAt?: number | null;
  readonly expiryInterval?: number | null;
  readonly username?: string | null;
  readonly protocolVersion?: ProtocolVersion;
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
  /** Offline queue, oldest first (by sequence number). */
  readonly queue: readonly PersistedQueued[];
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
  /** The protocol version of the last connection (absent in older records: 4). */
  readonly protocolVersion?: ProtocolVersion;
}

export interface Persistence {
  /** Called once before first use (open files, connect). */
  open?(): Promise<void>;
  /** Flush and release resources. */
  close(): Promise<void>;

  // Every write resolves once it is as durable as the store promises (its sync mode): the broker
  // acknowledges a QoS 1/2 PUBLISH only after the writes it caused resolved. Writes for one client id
  // are issued in order and must be applied in that order; writes issued in the same event-loop turn
  // should be applied atomically where the engine can (LMDB: one transaction). A read sees every write
  // issued before it (it may wait for them to apply): the broker reads a queue back right after writing it.

  // sessions (whole records)
  /** Stores a whole session, replacing any stored one of the client id (its queue, inflight and ids too). */
  saveSession(session: PersistedSession): Promise<void>;
  /** Changes header fields of a stored session (no-op when the session does not exist). */
  updateSession(clientId: string, update: SessionUpdate): Promise<void>;
  getSession(clientId: string): Promise<PersistedSession | undefined>;
  deleteSession(clientId: string): Promise<void>;
  /** Every stored session; `queue` holds at most `maxQueued` (default all) of the oldest deliveries. */
  listSessions(maxQueued?: number): Promise<PersistedSession[]>;

  // subscriptions of a stored session (no-op when the session does not exist)
  setSubscription(clientId: string, subscription: PersistedSubscription): Promise<void>;
  deleteSubscription(clientId: string, topic: string): Promise<void>;

  // queued messages of a stored session, by sequence number (no-op when the session does not exist)
  pushQueued(clientId: string, entry: PersistedQueued): Promise<void>;
  deleteQueued(clientId: string, seq: number): Promise<void>;
  /** Up to `max` queued entries with a sequence number above `afterSeq` (-1: from the start), oldest first; nothing is removed. */
  listQueued(clientId: string, afterSeq: number, max: number): Promise<PersistedQueued[]>;
  /** How many deliveries are queued for the session (0 when it does not exist). */
  countQueued(clientId: string): Promise<number>;

  // inflight messages of a stored session, keyed by packet id
  /**
   * Stores an inflight message under its packet id. A 'publish' entry is a message just sent: it goes last in
   * the send order, also when it replaces the entry of a message acknowledged in the same turn (the broker
   * gives a freed packet id to the next message it sends without removing the old entry first). A 'pubrel'
   * entry (PUBREC received) keeps its message's place.
   */
  setInflight(clientId: string, inflight: PersistedInflight): Promise<void>;
  deleteInflight(clientId: string, packetId: number): Promise<void>;

  // inbound QoS 2 packet ids awaiting PUBREL
  addInboundQos2(clientId: string, packetId: number): Promise<void>;
  deleteInboundQos2(clientId: string, packetId: number): Promise<void>;

  // wills, by client id: of connected clients (any session) and delayed ones still pending
  setWill(clientId: string, will: PersistedWill): Promise<void>;
  deleteWill(clientId: string): Promise<void>;
  listWills(): Promise<Map<string, PersistedWill>>;

  // retained messages, keyed by topic
  setRetained(message: PersistedMessage): Promise<void>;
  deleteRetained(topic: string): Promise<void>;
  getRetained(topic: string): Promise<PersistedMessage | undefined>;
  listRetained(): Promise<PersistedMessage[]>;
}

/**
 * What `persistence:` in the YAML config gives a store package (`store:`, default
 * `@midge/persistence-lmdb`): the package's `createPersistence` export is called with these.
 */
export interface PersistenceOptions {
  /** The data directory, absolute (the config resolves it against the config file's folder). */
  readonly path: string;
  /**
   * `batch`: each event-loop turn's writes commit as one fsync'd transaction (group commit) before any
   * PUBLISH they carry is acknowledged; `always`: one fsync'd transaction per write; `none`: the OS
   * flushes when it likes (a kill -9 keeps the data, a power cut may lose recent writes).
   */
  readonly sync: 'batch' | 'always' | 'none';
  /** Open read-only (`midge --check`, `midge store inspect`): no lock taken, no write allowed. */
  readonly readOnly?: boolean;
  readonly log?: Logger;
}

/** The export a store package provides for `persistence: { store: <package> }`. */
export type CreatePersistence = (options: PersistenceOptions) => Persistence | Promise<Persistence>;
