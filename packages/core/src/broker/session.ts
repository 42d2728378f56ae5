import type { QoS } from '../codec/packets.js';
import type { ClientInfo } from '../plugin-api/types.js';
import { messageBytes, type Delivery, type StoredMessage } from './message.js';
import type { PeerLink } from './peer-link.js';
import { SpilledQueue, type SpilledEntry } from './spilled-queue.js';

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
  /** Re-armed until the deadline: a delay may be longer than one Node timer can wait. */
  timer: NodeJS.Timeout;
}

/**
 * A delivery the queue gave up: the delivery itself when its message was in memory, or the store key (seq)
 * of one that lived only in the store.
 */
export type QueueDrop = Delivery | number;

/** What `enqueue` returns when nothing was dropped (no array per queued message). */
const NO_DROPS: readonly QueueDrop[] = Object.freeze([]);

/**
 * Bytes a queued delivery counts for max_queued_bytes: its message's topic, payload and properties
 * (messageBytes), the same number on the way in and out of the queue.
 */
export function deliveryBytes(d: Delivery): number {
  return messageBytes(d.message);
}

/** Owner of a persisted session stored without one (older store): the first identity to resume it claims it. */
export const UNCLAIMED: unique symbol = Symbol('unclaimed session');

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
  connection: PeerLink | undefined;
  /** The last client info seen, for `receive` authorization of offline deliveries. */
  client: ClientInfo;
  /**
   * The identity the session belongs to (`session_owner`): the authenticated username, undefined for an
   * anonymous client, UNCLAIMED for a session restored from a record written before owners were stored.
   */
  owner: string | undefined | typeof UNCLAIMED;
  /**
   * Set while a resumed session's inherited subscriptions and messages are re-authorized asynchronously:
   * deliveries queue up meanwhile and are sent, in order, once the checks are done.
   */
  resuming: object | undefined;
  // The maps are created on first use: an idle connection's session (no subscription, nothing inflight)
  // then costs no hash tables, which is most of a session's memory.
  #subscriptions: Map<string, Subscriber> | undefined;
  #inflightOut: Map<number, OutboundInflight> | undefined;
  #inboundQos2: Set<number> | undefined;
  /** The queue's oldest entries, with their messages in memory. */
  #queue: Delivery[] | undefined;
  /**
   * The queue's newer entries whose messages live only in the store (a persistent session offline, or
   * still reading its stored queue back): always behind every entry of `#queue`.
   */
  #spilled: SpilledQueue | undefined;
  /** Set while a page of the stored queue is being read back (queue-loader.ts). */
  loading: Promise<void> | undefined;
  /** Sending from the queue waits for the store to catch up (outbound.ts, `Journal.congested`). */
  drainHeld = false;
  /** Topic and payload bytes of the queued deliveries (max_queued_bytes). */
  #queuedBytes = 0;
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
  /**
   * Set when the session store removed the session (clean end, expiry, takeover by a clean start): a
   * plugin decision that comes in afterwards has nothing to deliver to.
   */
  ended = false;
  /** Router scratch: the publish generation this session was last matched in, and the highest granted QoS. */
  matchGen = 0;
  matchQos: QoS = 0;
  matchRetainAsPublished = false;
  matchIds: number[] | undefined;
  private nextPacketId = 1;
  /** The store key of the next delivery queued for this persistent session (keys grow in queue order). */
  nextSeq = 0;
  /** The last QoS 2 PUBLISH waiting for its inflight entry to be stored before it is sent (outbound.ts). */
  storedSendTail: Promise<void> | undefined;

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

  /**
   * The oldest queued deliveries, whose messages are in memory (created on first use). Newer ones may live
   * only in the store (`spilledCount`): see `enqueue`.
   */
  get queue(): Delivery[] {
    return (this.#queue ??= []);
  }

  /** Queued deliveries whose messages live only in the store. */
  get spilledCount(): number {
    return this.#spilled === undefined ? 0 : this.#spilled.length;
  }

  /** The store keys and sizes of the queued deliveries whose messages live only in the store. */
  get spilled(): SpilledQueue {
    return (this.#spilled ??= new SpilledQueue());
  }

  /** Topic and payload bytes of the queued deliveries. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Deliveries waiting (in memory and in the store only), without creating the array. */
  get queueLength(): number {
    return (this.#queue === undefined ? 0 : this.#queue.length) + this.spilledCount;
  }

  /** Queued deliveries whose messages are in memory, without creating the array. */
  get loadedCount(): number {
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
    this.owner = client.username;
    this.resuming = undefined;
    this.expiryInterval = undefined;
    this.window = window;
  }

  /**
   * A packet id just freed by an acknowledgement, offered to the next send of this turn (`completeOutbound`):
   * its stored inflight entry is then overwritten by the new one instead of removed and another written.
   */
  reusablePacketId: number | undefined;

  /** Next free packet id, skipping ids still inflight [MQTT-2.3.1-2]. The window is far below 65535. */
  allocatePacketId(): number {
    const reusable = this.reusablePacketId;
    if (reusable !== undefined) {
      this.reusablePacketId = undefined;
      if (this.#inflightOut === undefined || !this.#inflightOut.has(reusable)) return reusable;
    }
    for (;;) {
      const id = this.nextPacketId;
      this.nextPacketId = id === 0xffff ? 1 : id + 1;
      if (this.#inflightOut === undefined || !this.#inflightOut.has(id)) return id;
    }
  }

  /**
   * Queues a delivery, bounded by `maxCount` messages and `maxBytes` bytes (0 = no byte bound). While
   * either bound would be passed, drops the oldest QoS 0, else the oldest QoS 1, else the oldest QoS 2
   * message, and the incoming one instead when it is the newest of the lowest QoS held (or alone too big).
   * With `spill` (a persistent session whose delivery is written to the store: `d.seq` is set) only its
   * store key, QoS and size are kept, not the message; so are all deliveries queued behind a spilled one.
   * Returns what was dropped (the incoming delivery among them if it was not queued); NO_DROPS if nothing.
   */
  enqueue(d: Delivery, maxCount: number, maxBytes: number, spill = false): readonly QueueDrop[] {
    const size = deliveryBytes(d);
    if (this.queueBoundPassed(size, maxCount, maxBytes) === undefined) {
      this.#append(d, size, spill);
      return NO_DROPS;
    }
    // Bigger than the whole bound: nothing queued is given up for it.
    if (maxBytes > 0 && size > maxBytes) return [d];
    const dropped: QueueDrop[] = [];
    while (this.queueBoundPassed(size, maxCount, maxBytes) !== undefined) {
      const gone = this.#dropOldest(d.qos);
      if (gone === undefined) {
        dropped.push(d);
        return dropped;
      }
      dropped.push(gone);
    }
    this.#append(d, size, spill);
    return dropped;
  }

  #append(d: Delivery, size: number, spill: boolean): void {
    if (d.seq !== undefined && (this.spilledCount > 0 || spill)) this.spilled.push(d.seq, d.qos, size);
    else this.queue.push(d);
    this.#queuedBytes += size;
  }

  /**
   * Drops what the policy gives up for an incoming delivery of `incomingQos`: the oldest queued message of
   * the lowest QoS, in memory first (older), then in the store. Undefined: the incoming one is to go.
   */
  #dropOldest(incomingQos: QoS): QueueDrop | undefined {
    const queue = this.queue;
    const spilled = this.#spilled;
    for (let qos = 0; qos <= 2; qos++) {
      const idx = queue.findIndex((q) => q.qos === qos);
      if (idx >= 0) {
        const [gone] = queue.splice(idx, 1);
        if (gone === undefined) throw new Error('internal error: the queued delivery to drop is gone');
        this.#queuedBytes -= deliveryBytes(gone);
        return gone;
      }
      const at = spilled === undefined ? -1 : spilled.indexOfQos(qos as QoS);
      if (spilled !== undefined && at >= 0) {
        const seq = spilled.seqAt(at);
        this.#queuedBytes -= spilled.bytesAt(at);
        spilled.removeAt(at);
        return seq;
      }
      if (incomingQos === qos) return undefined;
    }
    return undefined;
  }

  /**
   * The bound one more queued delivery of `bytes` would pass (`max_queued_messages` = `maxCount`,
   * `max_queued_bytes` = `maxBytes`, 0 = none), or undefined when it fits.
   */
  queueBoundPassed(
    bytes: number,
    maxCount: number,
    maxBytes: number,
  ): 'max_queued_messages' | 'max_queued_bytes' | undefined {
    if (this.queueLength >= maxCount) return 'max_queued_messages';
    if (maxBytes > 0 && this.#queuedBytes + bytes > maxBytes) return 'max_queued_bytes';
    return undefined;
  }

  /** Takes the oldest queued delivery whose message is in memory out of the queue. */
  dequeue(): Delivery | undefined {
    const d = this.#queue?.shift();
    if (d !== undefined) this.#queuedBytes -= deliveryBytes(d);
    return d;
  }

  /** Removes the in-memory queued deliveries `remove` picks, keeping the order of the rest; returns how many. */
  removeQueued(remove: (d: Delivery) => boolean): number {
    const queue = this.#queue;
    if (queue === undefined) return 0;
    let kept = 0;
    // Compacts in place: kept deliveries move to slots the loop has already read.
    for (const d of queue) {
      if (remove(d)) this.#queuedBytes -= deliveryBytes(d);
      else queue[kept++] = d;
    }
    const removed = queue.length - kept;
    queue.length = kept;
    return removed;
  }

  /** Empties the queue (memory and store-only entries); returns how many deliveries it held. */
  clearQueue(): number {
    const n = this.queueLength;
    if (this.#queue !== undefined) this.#queue.length = 0;
    this.#spilled?.clear();
    this.#queuedBytes = 0;
    return n;
  }

  /**
   * The client went away: the messages of queued deliveries are let go from memory, as they are in the
   * store already (each has a `seq`). Returns false, keeping them, when one has no store key.
   */
  spillLoaded(): boolean {
    const queue = this.#queue;
    if (queue === undefined || queue.length === 0) return true;
    const entries: SpilledEntry[] = [];
    for (const d of queue) {
      if (d.seq === undefined) return false;
      entries.push({ seq: d.seq, qos: d.qos, bytes: deliveryBytes(d) });
    }
    this.spilled.prepend(entries);
    queue.length = 0;
    return true;
  }

  /**
   * A page of the stored queue was read back (`loaded`, oldest first, each with its `seq`): the spilled
   * entries it holds get their messages in memory again, in order. Entries the store did not give back up
   * to `missingUpTo` (store keys at or below it) are gone from the store: they are dropped; returns how many.
   * A read entry that is no longer spilled (dropped meanwhile) is ignored.
   */
  takeLoaded(loaded: readonly Delivery[], missingUpTo: number): number {
    const spilled = this.#spilled;
    if (spilled === undefined) return 0;
    const queue = this.queue;
    let missing = 0;
    for (const d of loaded) {
      const seq = d.seq;
      if (seq === undefined) continue;
      while (spilled.length > 0 && spilled.seqAt(0) < seq) {
        this.#queuedBytes -= spilled.bytesAt(0);
        spilled.shift();
        missing++;
      }
      if (spilled.length === 0 || spilled.seqAt(0) !== seq) continue;
      this.#queuedBytes += deliveryBytes(d) - spilled.bytesAt(0);
      spilled.shift();
      queue.push(d);
    }
    while (spilled.length > 0 && spilled.seqAt(0) <= missingUpTo) {
      this.#queuedBytes -= spilled.bytesAt(0);
      spilled.shift();
      missing++;
    }
    return missing;
  }

  /** Removes the spilled entries whose store keys are in `seqs`; returns how many. */
  forgetSpilled(seqs: ReadonlySet<number>): number {
    const spilled = this.#spilled;
    if (spilled === undefined || seqs.size === 0) return 0;
    const last = Math.max(...seqs);
    let removed = 0;
    // Keys grow in queue order: nothing past the highest one asked for can match.
    for (let i = 0; i < spilled.length && spilled.seqAt(i) <= last;) {
      if (!seqs.has(spilled.seqAt(i))) {
        i++;
        continue;
      }
      this.#queuedBytes -= spilled.bytesAt(i);
      spilled.removeAt(i);
      removed++;
    }
    return removed;
  }

  /** Adds an entry restored from persistence whose message stays in the store (it was accepted under the limits). */
  restoreSpilled(seq: number, qos: QoS, bytes: number): void {
    this.spilled.push(seq, qos, bytes);
    this.#queuedBytes += bytes;
  }
}
