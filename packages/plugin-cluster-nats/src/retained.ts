/**
 * The cluster's retained store: one JetStream stream (`<prefix>_retained`, one message per subject, the
 * last value of each topic on `<prefix>.retain.<topic as subject>`) that every node writes its retained
 * changes to and reads in stream order into its own retained store (`BrokerApi.setRetained`). Nodes
 * agree because they apply the same records in the same order: the stream's order decides, the last
 * writer at the stream wins.
 *
 * At start, and each time NATS is back after an outage, a node (1) writes the topics it changed while it
 * could not, with their value then, (2) reads the stream's last value of every topic and applies those
 * that differ from its own, (3) writes the topics it holds that the stream has never had (a broker that
 * joins the cluster with retained messages of its own), then (4) keeps following the stream. Records carry
 * the message's expiry deadline, so a node that reads a value later serves the time left of it.
 */
import type { BrokerApi, BrokerEvents, Message, RetainedMessage } from '@midge/mqtt-core';
import { headers as natsHeaders } from '@nats-io/transport-node';
import {
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg, StreamConfig } from '@nats-io/jetstream';
import { messageOf } from './error-message.js';
import {
  API_TIMEOUT_MS,
  createOrUpdateStream,
  PUBLISH_TIMEOUT_MS,
  retryWithin,
  type JetStreamStoreOptions,
} from './jetstream-retry.js';
import { PendingTopics } from './retained-pending.js';
import { retainedRoot, retainedStream, retainedSubject } from './retained-names.js';
import { sameRetained } from './retained-same.js';
import { OwnWrites } from './retained-writes.js';
import { ThrottledWarning } from './throttled-warning.js';
import { decodeClusterMessage, encodeClusterMessage } from './wire.js';

/** The id of the write a record comes from (retained-writes.ts). */
export const WRITE_HEADER = 'Midge-Write';
/** The record's expiry deadline, epoch milliseconds (v5 Message Expiry Interval counted from its publish). */
export const EXPIRES_HEADER = 'Midge-Expires-At';
/** Topics changed during an outage kept for writing when NATS is back; past this, changes are counted. */
export const MAX_PENDING_TOPICS = 100_000;
/** A read of the stream that failed after NATS came back is tried again after this long. */
const RETRY_MS = 2000;

export interface ClusterRetainedOptions extends JetStreamStoreOptions {
  readonly broker: Pick<BrokerApi, 'getRetained' | 'retainedMessages' | 'setRetained'>;
  /** How long the first read of the stream may take before the broker start fails. */
  readonly loadTimeoutMs: number;
  /** Topics kept during an outage (default MAX_PENDING_TOPICS). */
  readonly maxPending?: number;
}

/** What the retained store counted since start. */
export interface RetainedCounts {
  /** Changes made here written to the stream. */
  written: number;
  /** Records of the stream applied here (values or clearings that differed from this node's). */
  applied: number;
  /** Changes made here that could not be written when made (NATS down, no acknowledgement): written later. */
  deferred: number;
  /** Changes made here that stay here: topic too long for a subject, outage set full, not encodable. */
  notShared: number;
  /** Records not applied: undecodable, a `$` topic, refused by this broker. */
  refused: number;
}

const EMPTY = Buffer.alloc(0);
const DOLLAR = 0x24;
const CLUSTER_ORIGIN = 'cluster:';

export class ClusterRetained {
  readonly counts: RetainedCounts = { written: 0, applied: 0, deferred: 0, notShared: 0, refused: 0 };
  readonly #options: ClusterRetainedOptions;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  readonly #stream: string;
  readonly #root: string;
  readonly #pending: PendingTopics;
  readonly #writes = new OwnWrites();
  readonly #warnings: ThrottledWarning;
  /** Each read of the stream has a generation: records of an older one (a consumer being stopped) are ignored. */
  #generation = 0;
  #consumer: ConsumerMessages | undefined;
  /** Ends the wait of a read of the stream that a newer one replaces (NATS went away during the read). */
  #abandonLoad: (() => void) | undefined;
  /** The next attempt to write the pending topics while NATS is up. */
  #retry: NodeJS.Timeout | undefined;
  /** The next attempt to read the stream after NATS came back, when the last one failed. */
  #resyncRetry: NodeJS.Timeout | undefined;
  #closed = false;
  /** The stream was read in full once (the first `#sync` that finished). */
  #loaded = false;
  /** Whether this outage's changes were said to wait (one line per outage). */
  #outageWarned = false;

  private constructor(options: ClusterRetainedOptions, jsm: JetStreamManager) {
    this.#options = options;
    this.#jsm = jsm;
    this.#js = jetstream(options.connection);
    this.#stream = retainedStream(options.prefix);
    this.#root = retainedRoot(options.prefix);
    this.#pending = new PendingTopics(options.maxPending ?? MAX_PENDING_TOPICS);
    this.#warnings = new ThrottledWarning(options.logger);
  }

  /**
   * Creates (or updates) the stream, reads it into this broker's retained store and follows it. When
   * JetStream does not answer within `loadTimeoutMs` (a NATS cluster electing stream leaders after losing a
   * server can take longer), the node starts without the cluster's retained messages and keeps reading:
   * `loaded` stays false until the read succeeds, which the plugin's health hook reports (/readyz: not ready,
   * so a load balancer sends clients elsewhere meanwhile). Rejects only when NATS refuses the reads
   * (permissions): that is a configuration to fix, not a moment to wait out.
   */
  static async open(options: ClusterRetainedOptions): Promise<ClusterRetained> {
    // No account check: it fails while a NATS cluster elects its meta leader; the stream's creation retries instead.
    const jsm = await jetstreamManager(options.connection, { checkAPI: false, timeout: API_TIMEOUT_MS });
    const retained = new ClusterRetained(options, jsm);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), options.loadTimeoutMs);
    });
    // Tried again until loadTimeoutMs: a NATS cluster that just lost a server answers some requests with
    // timeouts while it elects leaders.
    const first = retryWithin(
      options.loadTimeoutMs,
      () => retained.#sync(),
      () => retained.#closed,
    );
    try {
      const outcome = await Promise.race([first, late]);
      if (outcome === 'late') retained.#loadInBackground(first, `not read within ${options.loadTimeoutMs} ms`);
    } catch (err) {
      if (/permission/i.test(messageOf(err))) {
        retained.close();
        throw err;
      }
      retained.#loadInBackground(first, messageOf(err));
    } finally {
      clearTimeout(timer);
    }
    void retained.#watchConnection();
    return retained;
  }

  /** True once the stream was read in full at least once (until then this node may lack retained messages). */
  get loaded(): boolean {
    return this.#loaded;
  }

  /** The first read did not finish in time: the node starts, the read goes on (then every RETRY_MS). */
  #loadInBackground(first: Promise<void>, why: string): void {
    this.#options.logger.warn(
      { stream: this.#stream, reason: why },
      "the cluster's retained messages are not read yet (JetStream busy or unreachable): this node serves " +
        'without them and keeps reading; /readyz says not ready until it has them',
    );
    first.catch(() => {
      if (!this.#closed && !this.#loaded) this.#resync();
    });
  }

  /** Topics changed here that wait for NATS. */
  get pending(): number {
    return this.#pending.size;
  }

  /** The `retained:set` handler: writes a change made on this broker to the stream. */
  readonly onSet = ({ message, origin }: BrokerEvents['retained:set']): void => {
    // A value read from the stream is there already: writing it back would loop.
    if (origin.startsWith(CLUSTER_ORIGIN)) return;
    this.#write(message.topic, message);
  };

  /** The `retained:cleared` handler. */
  readonly onCleared = ({ topic, origin }: BrokerEvents['retained:cleared']): void => {
    if (origin.startsWith(CLUSTER_ORIGIN)) return;
    this.#write(topic, undefined);
  };

  close(): void {
    this.#closed = true;
    this.#generation++;
    this.#abandonLoad?.();
    clearTimeout(this.#retry);
    clearTimeout(this.#resyncRetry);
    this.#consumer?.stop();
    this.#consumer = undefined;
  }

  /** Writes `topic`'s value (undefined: cleared) to the stream, or notes it for when NATS is back. */
  #write(topic: string, message: RetainedMessage | undefined): void {
    if (topic.charCodeAt(0) === DOLLAR || this.#closed) return;
    const subject = retainedSubject(this.#root, topic);
    if (subject === undefined) {
      this.counts.notShared++;
      this.#warnings.warn('a retained topic is too long to be shared with the other nodes: it stays on this node', {
        topic: topic.slice(0, 200),
      });
      return;
    }
    if (this.#options.down()) {
      this.#defer(topic, true);
      return;
    }
    void this.#publish(topic, subject, message).then((ok) => {
      if (ok) return;
      this.#defer(topic, this.#options.down());
      this.#retryPendingLater();
    });
  }

  /** Publishes one record and waits for JetStream to store it; false when it did not (to be written later). */
  async #publish(topic: string, subject: string, message: RetainedMessage | undefined): Promise<boolean> {
    let frame: Buffer;
    try {
      // Encoded now: the caller's payload may be a view the broker reuses.
      frame = encodeClusterMessage(message ?? { topic, payload: EMPTY, qos: 0, retain: true }, this.#options.node);
    } catch (err) {
      this.counts.notShared++;
      this.#warnings.warn('a retained message could not be encoded for the other nodes: it stays on this node', {
        topic: topic.slice(0, 200),
        err: messageOf(err),
      });
      return true;
    }
    const h = natsHeaders();
    h.set(WRITE_HEADER, this.#writes.wrote(topic));
    if (message?.expiresAt !== undefined) h.set(EXPIRES_HEADER, String(message.expiresAt));
    try {
      await this.#js.publish(subject, frame, { headers: h, timeout: PUBLISH_TIMEOUT_MS });
      this.counts.written++;
      return true;
    } catch (err) {
      if (!this.#options.down())
        this.#warnings.warn('a retained change could not be written to the cluster: it is written again later', {
          topic: topic.slice(0, 200),
          err: messageOf(err),
        });
      return false;
    }
  }

  /** Keeps `topic` for writing later (during an outage: said once; counted past the bound). */
  #defer(topic: string, outage: boolean): void {
    this.counts.deferred++;
    if (this.#pending.add(topic)) {
      if (outage && !this.#outageWarned) {
        this.#outageWarned = true;
        this.#options.logger.warn(
          { maxPending: this.#options.maxPending ?? MAX_PENDING_TOPICS },
          'retained messages changed here while NATS is unreachable are shared once it is back ' +
            '(where another node changed the same topic meanwhile, the last write to reach NATS wins)',
        );
      }
      return;
    }
    this.counts.notShared++;
    this.#warnings.warn(
      'too many retained topics changed here while NATS is unreachable: this change is not shared, and ' +
        "the topic takes the cluster's value when NATS is back",
      { topic: topic.slice(0, 200), maxPending: this.#options.maxPending ?? MAX_PENDING_TOPICS },
    );
  }

  /** Writes the current value of each pending topic; those not written stay pending. Returns how many were. */
  async #writePending(): Promise<number> {
    const topics = this.#pending.drain();
    const results = await Promise.all(
      topics.map(async (topic) => {
        const subject = retainedSubject(this.#root, topic);
        if (subject === undefined) return true;
        return this.#publish(topic, subject, this.#options.broker.getRetained(topic));
      }),
    );
    let written = 0;
    results.forEach((ok, i) => {
      if (ok) written++;
      else this.#pending.add(topics[i] as string);
    });
    return written;
  }

  /**
   * Tries the pending topics again shortly while NATS is up (a write refused or not acknowledged); during an
   * outage the reconnection does it.
   */
  #retryPendingLater(): void {
    if (this.#retry !== undefined || this.#closed) return;
    this.#retry = setTimeout(() => {
      this.#retry = undefined;
      if (this.#closed || this.#options.down() || this.#pending.size === 0) return;
      void this.#ensureStream()
        .then(() => this.#writePending())
        .catch((err: unknown) => {
          this.#warnings.warn('the retained stream is not available: retained changes are written again later', {
            err: messageOf(err),
          });
        })
        .finally(() => {
          if (this.#pending.size > 0) this.#retryPendingLater();
        });
    }, RETRY_MS).unref();
  }

  /** Steps (1) to (4) of the file comment; resolves once the stream's last values are applied. */
  async #sync(): Promise<void> {
    const generation = ++this.#generation;
    this.#consumer?.stop();
    this.#consumer = undefined;
    this.#abandonLoad?.();
    await this.#ensureStream();
    // (1) The topics changed during the outage, each with its value now.
    this.#writes.clear();
    this.#outageWarned = false;
    const written = await this.#writePending();
    if (written > 0)
      this.#options.logger.info({ topics: written }, 'retained messages changed during the outage shared');
    // Those that could not be written keep their value here (#apply) and are tried again.
    if (this.#pending.size > 0) this.#retryPendingLater();
    // (2) The last values, then (4) what follows.
    const info = await this.#jsm.streams.info(this.#stream).catch((err: unknown) => {
      throw new Error(`reading the stream's state: ${messageOf(err)}`, { cause: err });
    });
    const seen = new Set<string>();
    let loaded: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      loaded = resolve;
    });
    this.#abandonLoad = loaded;
    let loading = info.state.messages > 0;
    if (!loading) loaded();
    const consumer = await this.#js.consumers
      .get(this.#stream, { deliver_policy: DeliverPolicy.LastPerSubject, filter_subjects: `${this.#root}.>` })
      .catch((err: unknown) => {
        throw new Error(`opening a consumer of the stream: ${messageOf(err)}`, { cause: err });
      });
    if (generation !== this.#generation) return;
    this.#consumer = await consumer.consume({
      callback: (msg) => {
        if (generation !== this.#generation) return;
        const topic = this.#apply(msg);
        if (!loading) return;
        if (topic !== undefined) seen.add(topic);
        if (msg.info.pending === 0) {
          loading = false;
          loaded();
        }
      },
    });
    await done;
    if (generation !== this.#generation) return;
    // (3) What this node holds that the stream has never had.
    let contributed = 0;
    const now = Date.now();
    for (const message of this.#options.broker.retainedMessages('#')) {
      if (seen.has(message.topic) || (message.expiresAt !== undefined && message.expiresAt <= now)) continue;
      const subject = retainedSubject(this.#root, message.topic);
      if (subject === undefined) continue;
      contributed++;
      void this.#publish(message.topic, subject, message).then((ok) => {
        if (ok) return;
        this.#defer(message.topic, this.#options.down());
        this.#retryPendingLater();
      });
    }
    this.#loaded = true;
    this.#options.logger.info(
      { stream: this.#stream, topics: seen.size, contributed },
      "read the cluster's retained messages",
    );
  }

  /** The stream, created or brought to this config (idempotent: every node does it at each start). */
  async #ensureStream(): Promise<void> {
    await this.#createOrUpdateStream().catch((err: unknown) => {
      throw new Error(`creating the stream ${this.#stream}: ${messageOf(err)}`, { cause: err });
    });
  }

  async #createOrUpdateStream(): Promise<void> {
    const config: Partial<StreamConfig> & { name: string } = {
      name: this.#stream,
      subjects: [`${this.#root}.>`],
      max_msgs_per_subject: 1,
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      num_replicas: this.#options.replicas,
    };
    await createOrUpdateStream(
      this.#jsm,
      config,
      (existing) =>
        existing.max_msgs_per_subject === 1 &&
        existing.num_replicas === this.#options.replicas &&
        existing.subjects?.length === 1 &&
        existing.subjects[0] === config.subjects?.[0],
    );
  }

  /**
   * Applies one record to this broker's retained store unless it holds that value already; returns the
   * record's topic (undefined for a record not applied because it could not be read).
   */
  #apply(msg: JsMsg): string | undefined {
    let node: string;
    let message: Message;
    try {
      ({ node, message } = decodeClusterMessage(
        Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength),
      ));
    } catch (err) {
      this.counts.refused++;
      this.#warnings.warn('a record of the retained stream could not be read: skipped', {
        subject: msg.subject.slice(0, 200),
        bytes: msg.data.byteLength,
        err: messageOf(err),
      });
      return undefined;
    }
    const { topic } = message;
    if (topic.charCodeAt(0) === DOLLAR) {
      this.counts.refused++;
      this.#warnings.warn('a $ topic in the retained stream was not applied: $ topics never cross nodes', { topic });
      return undefined;
    }
    if (this.#writes.skip(topic, msg.headers?.get(WRITE_HEADER) || undefined)) return topic;
    // Changed here and not written yet: this node's value goes to the stream after this record, and wins.
    if (this.#pending.has(topic)) return topic;
    const broker = this.#options.broker;
    const local = broker.getRetained(topic);
    const expires = Number(msg.headers?.get(EXPIRES_HEADER) || NaN);
    const expiresAt = Number.isFinite(expires) ? expires : undefined;
    // A value that expired is gone for everyone: as if the record cleared the topic.
    const cleared = message.payload.length === 0 || (expiresAt !== undefined && expiresAt <= Date.now());
    if (cleared ? local === undefined : sameRetained(local, message, expiresAt)) return topic;
    try {
      const origin = `${CLUSTER_ORIGIN}${node}` as const;
      if (cleared) broker.setRetained({ topic, clear: true }, { origin });
      else broker.setRetained({ ...message, retain: true, expiresAt }, { origin });
      this.counts.applied++;
    } catch (err) {
      this.counts.refused++;
      this.#warnings.warn('a retained message of another node was not applied here', {
        topic: topic.slice(0, 200),
        err: messageOf(err),
      });
    }
    return topic;
  }

  /** Reads the stream again each time NATS is back (a node may have missed records, or the stream changed). */
  async #watchConnection(): Promise<void> {
    try {
      for await (const s of this.#options.connection.status()) {
        if (this.#closed) break;
        if (s.type === 'reconnect') this.#resync();
      }
    } catch (err) {
      this.#options.logger.error({ err: messageOf(err) }, 'watching the NATS connection for the retained store failed');
    }
  }

  #resync(): void {
    clearTimeout(this.#resyncRetry);
    this.#resyncRetry = undefined;
    if (this.#closed) return;
    this.#sync().catch((err: unknown) => {
      if (this.#closed) return;
      this.#warnings.warn("reading the cluster's retained messages after an outage failed: trying again", {
        err: messageOf(err),
      });
      // The next reconnection tries too; while NATS is up, try again shortly.
      if (!this.#options.down()) this.#resyncRetry = setTimeout(() => this.#resync(), RETRY_MS).unref();
    });
  }
}
