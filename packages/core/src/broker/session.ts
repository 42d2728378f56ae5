import type { QoS } from '../codec/packets.js';
import type { ClientInfo } from '../plugin-api/types.js';
import type { Connection } from './connection.js';
import type { Delivery, StoredMessage } from './message.js';

/** A QoS 1/2 PUBLISH sent to the client and not yet completed. */
export interface OutboundInflight {
  readonly packetId: number;
  readonly delivery: Delivery;
  /** 'publish' until PUBACK/PUBREC; 'pubrel' after PUBREC until PUBCOMP (QoS 2). */
  state: 'publish' | 'pubrel';
}

/** The value stored in the subscription trie for one (filter, client) pair. */
export interface Subscriber {
  readonly session: Session;
  readonly qos: QoS;
  /** v5 No Local: never receive messages this client published [MQTT-3.8.3-3]. */
  readonly noLocal: boolean;
  /** v5 Retain As Published: keep the publisher's RETAIN flag on live deliveries. */
  readonly retainAsPublished: boolean;
  /** v5 subscription identifier, sent back with each matching message. */
  readonly subscriptionId: number | undefined;
}

/** A will waiting for its v5 Will Delay Interval; dropped if the client comes back in time. */
export interface PendingWill {
  readonly message: StoredMessage;
  readonly client: ClientInfo;
  readonly timer: NodeJS.Timeout;
}

/**
 * Per client id state: subscriptions, the inflight window, the offline queue and the will.
 * It outlives connections when the session is persistent (clean = false).
 */
export class Session {
  readonly clientId: string;
  /** The session ends with its connection: v3/v4 clean session, or a v5 session expiry interval of 0. */
  clean: boolean;
  /** v5 session expiry interval in seconds (0xFFFFFFFF = never); undefined = the broker's session_expiry_interval. */
  expiryInterval: number | undefined;
  /** Outbound inflight window: max_inflight_messages, lowered to the v5 client's Receive Maximum. */
  window: number;
  /** The attached, CONNACKed connection; undefined while offline. */
  connection: Connection | undefined;
  /** The last client info seen, for `receive` authorization of offline deliveries. */
  client: ClientInfo;
  // The maps are created on first use: an idle connection's session (no subscription, nothing inflight)
  // then costs no hash tables, which is most of a session's memory.
  #subscriptions: Map<string, Subscriber> | undefined;
  #inflightOut: Map<number, OutboundInflight> | undefined;
  #inboundQos2: Set<number> | undefined;
  #queue: Delivery[] | undefined;
  will: StoredMessage | undefined;
  /** The session has a record in persistence (subscription changes are written through). */
  persisted = false;
  /** v5 Will Delay Interval of `will`, seconds. */
  willDelay = 0;
  /** v5 will delay: the will of the last connection, waiting to be published. */
  pendingWill: PendingWill | undefined;
  expiryTimer: NodeJS.Timeout | undefined;
  /** Pending async 'receive' decisions, chained so deliveries keep their order. */
  receiveChain: Promise<void> | undefined;
  /** Router scratch: the publish generation this session was last matched in, and the highest granted QoS. */
  matchGen = 0;
  matchQos: QoS = 0;
  matchRetainAsPublished = false;
  matchIds: number[] | undefined;
  private nextPacketId = 1;

  /** Subscriptions by topic filter. */
  get subscriptions(): Map<string, Subscriber> {
    return (this.#subscriptions ??= new Map());
  }

  /** Outbound QoS 1/2 messages sent and not yet completed, by packet id. */
  get inflightOut(): Map<number, OutboundInflight> {
    return (this.#inflightOut ??= new Map());
  }

  /** Inbound QoS 2 packet ids between PUBLISH and PUBREL (method B: delivered once, on PUBLISH). */
  get inboundQos2(): Set<number> {
    return (this.#inboundQos2 ??= new Set());
  }

  /** Deliveries waiting for the client to come back or for room in the inflight window (created on first use). */
  get queue(): Delivery[] {
    return (this.#queue ??= []);
  }

  /** Deliveries waiting, without creating the array. */
  get queueLength(): number {
    return this.#queue === undefined ? 0 : this.#queue.length;
  }

  /** Outbound messages inflight, without creating the map. */
  get inflightCount(): number {
    return this.#inflightOut === undefined ? 0 : this.#inflightOut.size;
  }

  /** Inbound QoS 2 ids held, without creating the set. */
  get inboundQos2Count(): number {
    return this.#inboundQos2 === undefined ? 0 : this.#inboundQos2.size;
  }

  /** The session's topic filters, without creating the map. */
  subscriptionFilters(): string[] {
    return this.#subscriptions === undefined ? [] : [...this.#subscriptions.keys()];
  }

  constructor(clientId: string, clean: boolean, client: ClientInfo, window = 0xffff) {
    this.clientId = clientId;
    this.clean = clean;
    this.client = client;
    this.expiryInterval = undefined;
    this.window = window;
  }

  /** Next free packet id, skipping ids still inflight [MQTT-2.3.1-2]. The window is far below 65535. */
  allocatePacketId(): number {
    for (;;) {
      const id = this.nextPacketId;
      this.nextPacketId = id === 0xffff ? 1 : id + 1;
      if (this.#inflightOut === undefined || !this.#inflightOut.has(id)) return id;
    }
  }

  /**
   * Queues a delivery, bounded by `max`. When full, drops the oldest QoS 0, else the oldest QoS 1,
   * else the oldest QoS 2 message, counting the incoming one (it is the newest of its QoS). Returns
   * the dropped delivery, if any.
   */
  enqueue(d: Delivery, max: number): Delivery | undefined {
    const queue = this.queue;
    if (queue.length < max) {
      queue.push(d);
      return undefined;
    }
    for (let qos = 0; qos <= 2; qos++) {
      const idx = queue.findIndex((q) => q.qos === qos);
      if (idx >= 0) {
        const [dropped] = queue.splice(idx, 1);
        queue.push(d);
        return dropped;
      }
      if (d.qos === qos) return d;
    }
    return d;
  }
}
