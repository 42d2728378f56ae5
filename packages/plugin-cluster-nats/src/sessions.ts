/**
 * Persistent sessions that outlive their node. Each node:
 * - writes a record of each persistent session it holds (subscriptions, owner, expiry, `since`) into the
 *   bucket `<prefix>_sessions` when it changes, and moves `since` forward while the session has nothing
 *   queued or in flight (session-record.ts);
 * - follows the bucket, keeping the filters (QoS 1/2, not shared) of every persistent session in the
 *   cluster; a QoS 1/2 message published on it that one of them matches is stored in the stream
 *   `<prefix>_session_messages` before its publisher is acknowledged (the core's `storeMessage` hook);
 * - when a client id's node does not answer the handover (it died), rebuilds the session from its record
 *   and the stored messages since `since` (session-replay.ts).
 */
import type { BrokerApi, Message, PersistedSession, StoreMessageRequest } from '@midge/mqtt-core';
import { DiscardPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { KV, KvWatchEntry } from '@nats-io/kv';
import { headers as natsHeaders, nanos } from '@nats-io/transport-node';
import { openBucket } from './bucket.js';
import { messageOf } from './error-message.js';
import { FilterSet } from './filter-set.js';
import {
  API_TIMEOUT_MS,
  createOrUpdateStream,
  PUBLISH_TIMEOUT_MS,
  retryWithin,
  type JetStreamStoreOptions,
} from './jetstream-retry.js';
import { clientIdKey } from './registry-names.js';
import { sessionMessagesStream, sessionMessagesSubject, sessionsBucket } from './session-names.js';
import { decodeSessionRecord, recordExpired, recordOf, storedFilters } from './session-record.js';
import type { SessionRecord } from './session-record.js';
import { PUBLISHER_HEADER, readStoredSince, replayQueue } from './session-replay.js';
import { StreamWriter } from './stream-writer.js';
import { ThrottledWarning } from './throttled-warning.js';

/** How far before a checkpoint `since` is put: a message stored then may still be on its way to this node. */
export const SINCE_MARGIN_MS = 2000;
/** How often `since` of the sessions held here is moved forward. */
export const CHECKPOINT_INTERVAL_MS = 5000;
/**
 * `since` is rewritten only once it is this old: an idle session's record is written at most twice a minute
 * (10,000 sessions: about 330 writes a second), and a replay repeats at most about this much.
 */
export const CHECKPOINT_AGE_MS = 30_000;
/** Two writes of one session's record are at least this far apart. */
const RECORD_WRITE_INTERVAL_MS = 100;
/** How often a node whose store did not open at start tries again. */
const OPEN_RETRY_MS = 3000;
/** How long reading back what an outage may have missed may take. */
const CATCH_UP_WITHIN_MS = 60_000;
const CATCH_UP_RETRY_MS = 1000;

export interface ClusterSessionsOptions extends JetStreamStoreOptions {
  readonly broker: Pick<BrokerApi, 'clientDetail' | 'effectiveConfig' | 'sessions'>;
  readonly maxAgeSeconds: number;
  readonly openWithinMs: number;
  /** Whether the registry names this node for `clientId` (only then is its record this node's to write). */
  readonly holds: (clientId: string) => boolean;
  /** The encoded form of a message (the bridge's, shared with what crosses live). */
  readonly frameOf: (message: Message) => Buffer | undefined;
  /** Tests: how often, and from what age, `since` is moved forward (CHECKPOINT_INTERVAL_MS, CHECKPOINT_AGE_MS). */
  readonly checkpoint?: { readonly intervalMs: number; readonly ageMs: number };
}

/** What the node counted since start. */
export interface SessionCounts {
  /** Messages stored for persistent sessions before their publisher's acknowledgement. */
  stored: number;
  /** Messages a persistent session elsewhere may need that were not stored: NATS down. */
  notStored: number;
  /** Stores that failed (the publisher got a negative acknowledgement). */
  storeFailed: number;
  /** Session records written. */
  recordsWritten: number;
  /** Sessions rebuilt here from their record after their node died, and the messages they got back. */
  recovered: number;
  recoveredMessages: number;
}

/** A record in the bucket, as this node follows it. */
interface RecordHeader {
  readonly record: SessionRecord;
  /** As stored: a write of the same text is left out. */
  readonly json: string;
  readonly revision: number;
}

/** What this node knows of a session record it wrote. */
interface Held {
  since: number;
  disconnectedAt: number | undefined;
  /** The revision of its last write, for a delete that leaves a newer writer's record alone. */
  revision: number | undefined;
  /** Writes of one record, in order. */
  chain: Promise<void>;
  /** When its record was last written (writes are RECORD_WRITE_INTERVAL_MS apart at least). */
  lastWrite: number | undefined;
  /** A write held back until that interval has passed, and its settling. */
  trailing: Promise<void> | undefined;
}

export class ClusterSessions {
  readonly counts: SessionCounts = {
    stored: 0,
    notStored: 0,
    storeFailed: 0,
    recordsWritten: 0,
    recovered: 0,
    recoveredMessages: 0,
  };
  readonly #options: ClusterSessionsOptions;
  /** The bucket and JetStream's API, once opened (`start`); until then nothing is stored or read. */
  #kv: KV | undefined;
  #jsm: JetStreamManager | undefined;
  /** The records were read (the filters are known): messages can be stored. */
  #loaded = false;
  #retry: NodeJS.Timeout | undefined;
  readonly #js: JetStreamClient;
  readonly #writer: StreamWriter;
  readonly #stream: string;
  readonly #subject: string;
  readonly #warnings: ThrottledWarning;
  /** The stored filters of every record in the bucket. */
  readonly #filters = new FilterSet();
  /** Every record in the bucket, by key (its filters are taken off `#filters` when it changes or goes). */
  readonly #records = new Map<string, RecordHeader>();
  readonly #held = new Map<string, Held>();
  /** Client ids whose session (connected now) is not persistent: nothing to write for them. */
  readonly #clean = new Set<string>();
  readonly #dirty = new Set<string>();
  #flushScheduled = false;
  /** Record writes not acknowledged yet (a SUBACK waits for them with the routes). */
  readonly #writing = new Set<Promise<void>>();
  #watch: { stop(): void } | undefined;
  readonly #checkpoints: NodeJS.Timeout;
  readonly #checkpointAgeMs: number;
  #closed = false;

  constructor(options: ClusterSessionsOptions) {
    this.#options = options;
    this.#js = jetstream(options.connection, { timeout: PUBLISH_TIMEOUT_MS });
    this.#writer = new StreamWriter(options.connection, PUBLISH_TIMEOUT_MS);
    this.#stream = sessionMessagesStream(options.prefix);
    this.#subject = sessionMessagesSubject(options.prefix);
    this.#warnings = new ThrottledWarning(options.logger);
    this.#checkpointAgeMs = options.checkpoint?.ageMs ?? CHECKPOINT_AGE_MS;
    this.#checkpoints = setInterval(
      () => this.#checkpoint(),
      options.checkpoint?.intervalMs ?? CHECKPOINT_INTERVAL_MS,
    ).unref();
  }

  /** Opened and started (`start`), or started without JetStream (`ready` false, trying again). */
  static async open(options: ClusterSessionsOptions): Promise<ClusterSessions> {
    const sessions = new ClusterSessions(options);
    await sessions.start();
    return sessions;
  }

  /** The records are read and the stream is there: messages are stored, sessions can be rebuilt. */
  get ready(): boolean {
    return this.#loaded;
  }

  /**
   * Opens the bucket and the stream (creating them) and reads every record, within `openWithinMs`. Never
   * fails the broker start: when JetStream does not answer in time (a NATS cluster electing leaders), the
   * node starts without them (not ready: nothing is stored, no session rebuilt, said once) and tries again
   * every few seconds.
   */
  async start(): Promise<void> {
    try {
      await this.#open(this.#options.openWithinMs);
    } catch (err) {
      if (this.#closed) return;
      this.#options.logger.warn(
        { err: messageOf(err) },
        "the persistent sessions' store in JetStream is not open yet: until it is, messages are not stored " +
          'for sessions that outlive their node; it keeps trying',
      );
      this.#retryLater();
    }
  }

  #retryLater(): void {
    this.#retry = setTimeout(() => {
      if (this.#closed) return;
      this.#open(this.#options.openWithinMs).then(
        () => this.#options.logger.info("the persistent sessions' store in JetStream is open"),
        () => this.#retryLater(),
      );
    }, OPEN_RETRY_MS).unref();
  }

  async #open(withinMs: number): Promise<void> {
    const kv =
      this.#kv ??
      (await openBucket(
        new Kvm(this.#options.connection),
        sessionsBucket(this.#options.prefix),
        { history: 1, replicas: this.#options.replicas },
        withinMs,
      ));
    this.#kv = kv;
    const jsm =
      this.#jsm ?? (await jetstreamManager(this.#options.connection, { checkAPI: false, timeout: API_TIMEOUT_MS }));
    this.#jsm = jsm;
    await ensureStream(jsm, this.#options);
    if (this.#watch === undefined) await this.#follow(kv, withinMs);
  }

  /** Every record is read: messages can be stored, and the records touched meanwhile are written now. */
  #onLoaded(): void {
    if (this.#loaded) return;
    this.#loaded = true;
    if (this.#dirty.size > 0 && !this.#flushScheduled) {
      this.#flushScheduled = true;
      this.#flush();
    }
  }

  /** Distinct filters of persistent sessions in the cluster that messages are stored for. */
  get storedFilters(): number {
    return this.#filters.size;
  }

  /**
   * The core's `storeMessage`: stores a QoS 1/2 message a persistent session of the cluster may need, and
   * resolves once JetStream has it; undefined when none may (or NATS is down: counted, warned).
   */
  storeMessage({ message, origin, client }: StoreMessageRequest): Promise<void> | undefined {
    if (!this.#loaded || !this.#filters.matches(message.topic)) return undefined;
    if (this.#options.down()) {
      this.counts.notStored++;
      this.#warnings.warn(
        'NATS is unreachable: QoS 1/2 messages for persistent sessions are not stored in the cluster (a session ' +
          'whose node dies meanwhile does not get them elsewhere)',
        { topic: message.topic.slice(0, 200) },
      );
      return undefined;
    }
    const frame = this.#options.frameOf(message);
    if (frame === undefined) return undefined;
    let headers;
    if (origin === 'client' && client !== undefined) {
      headers = natsHeaders();
      headers.set(PUBLISHER_HEADER, client.clientId);
    }
    return this.#writer.write(this.#subject, frame, headers).then(
      () => {
        this.counts.stored++;
      },
      (err: unknown) => {
        this.counts.storeFailed++;
        throw new Error(`JetStream did not store the message: ${messageOf(err)}`, { cause: err });
      },
    );
  }

  /**
   * A session of this node may have changed (subscriptions, connection): its record is written after the
   * current turn, once for all its changes, if this node holds it in the registry.
   */
  touch(clientId: string): void {
    // A clean session's subscriptions are no record's: known once, not looked up on every SUBSCRIBE.
    if (this.#closed || this.#clean.has(clientId)) return;
    this.#dirty.add(clientId);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flush());
  }

  /** Writes the records touched since the last flush (kept for later while the store is not open). */
  #flush(): void {
    if (!this.#flushScheduled || !this.#loaded) {
      this.#flushScheduled = false;
      return;
    }
    this.#flushScheduled = false;
    for (const id of this.#dirty) this.#write(id);
    this.#dirty.clear();
  }

  connected(clientId: string): void {
    // A new connection may start another kind of session.
    this.#clean.delete(clientId);
    const held = this.#held.get(clientId);
    if (held !== undefined) held.disconnectedAt = undefined;
    this.touch(clientId);
  }

  disconnected(clientId: string): void {
    const held = this.#held.get(clientId);
    if (held !== undefined) held.disconnectedAt = Date.now();
    this.touch(clientId);
  }

  /**
   * A session came to this node with a record written elsewhere (a handover, a recovery): its `since` is
   * kept, as its queue holds messages from then on.
   */
  adopt(clientId: string, record: SessionRecord | undefined): void {
    if (record === undefined) return;
    const held = this.#held.get(clientId);
    if (held === undefined)
      this.#held.set(clientId, {
        since: record.since,
        disconnectedAt: undefined,
        revision: undefined,
        chain: Promise.resolve(),
        lastWrite: undefined,
        trailing: undefined,
      });
    else held.since = Math.min(held.since, record.since);
  }

  /** A session of this node ended (`session:ended`): its record goes, unless another node wrote a newer one. */
  forget(clientId: string): void {
    this.#dirty.delete(clientId);
    this.#clean.delete(clientId);
    const held = this.#held.get(clientId);
    if (held === undefined) return;
    this.#held.delete(clientId);
    const key = clientIdKey(clientId);
    if (key === undefined) return;
    held.chain = held.chain.then(() => {
      if (held.revision === undefined || this.#options.down()) return;
      // Rejected when another node's write is newer: that one stays, as it should.
      return this.#kv?.delete(key, { previousSeq: held.revision }).catch(() => undefined);
    });
  }

  /** The client id starts a new session here: the record of the session it had elsewhere goes. */
  async discard(clientId: string): Promise<void> {
    const key = clientIdKey(clientId);
    const kv = this.#kv;
    if (key === undefined || kv === undefined || this.#options.down()) return;
    await kv.delete(key).catch((err: unknown) => {
      this.#warnings.warn('a session record could not be deleted', {
        clientId: clientId.slice(0, 200),
        err: messageOf(err),
      });
    });
  }

  /** Resolves once the records written so far are in the bucket (with a SUBACK's routes). */
  confirmRecords(): Promise<void> | undefined {
    // The records this SUBSCRIBE touched are written now (a clean session's are not: nothing to wait for).
    this.#flush();
    if (this.#writing.size === 0) return undefined;
    return Promise.all([...this.#writing]).then(() => undefined);
  }

  /** The record of `clientId` in the bucket; undefined when there is none (or it cannot be read: logged). */
  async read(clientId: string): Promise<SessionRecord | undefined> {
    const key = clientIdKey(clientId);
    const kv = this.#kv;
    if (key === undefined || kv === undefined || this.#options.down()) return undefined;
    try {
      const entry = await kv.get(key);
      if (entry === null || entry.operation !== 'PUT') return undefined;
      return decodeSessionRecord(entry.value);
    } catch (err) {
      this.#warnings.warn('a session record could not be read', {
        clientId: clientId.slice(0, 200),
        err: messageOf(err),
      });
      return undefined;
    }
  }

  /**
   * The session of `record` rebuilt here (its node did not answer the handover): its subscriptions, and
   * as its queue the stored messages they match from `since` on. Undefined when it expired; rejects when
   * the stored messages cannot be read in `withinMs`.
   */
  async recover(record: SessionRecord, withinMs: number): Promise<PersistedSession | undefined> {
    const now = Date.now();
    const defaultExpiry = Number(this.#options.broker.effectiveConfig().session_expiry_interval ?? 0);
    if (recordExpired(record, now, defaultExpiry)) return undefined;
    const jsm = this.#jsm;
    if (jsm === undefined) throw new Error("the persistent sessions' store is not open");
    const queue = await replayQueue(record, {
      js: this.#js,
      jsm,
      stream: this.#stream,
      logger: this.#options.logger,
      withinMs,
    });
    this.counts.recovered++;
    this.counts.recoveredMessages += queue.length;
    this.#options.logger.info(
      { clientId: record.clientId.slice(0, 200), from: record.node, queued: queue.length },
      "a session resumed here from the cluster's store (its node did not answer)",
    );
    return {
      clientId: record.clientId,
      subscriptions: record.subscriptions,
      queue,
      inflight: [],
      inboundQos2: [],
      disconnectedAt: record.disconnectedAt ?? now,
      ...(record.expiryInterval === undefined ? {} : { expiryInterval: record.expiryInterval }),
      username: record.username,
      protocolVersion: record.protocolVersion,
    };
  }

  /**
   * After this node's link to NATS was down: hands `deliver` every stored message from `since` on (the
   * bridge routes those that did not come live). Resolves with how many were read; never rejects (logged).
   */
  async catchUp(since: number, deliver: (data: Uint8Array) => void): Promise<number> {
    const jsm = this.#jsm;
    if (jsm === undefined || !this.#loaded) return 0;
    const deadline = Date.now() + CATCH_UP_WITHIN_MS;
    for (;;) {
      try {
        // Read again from the start after a failure: what came already is dropped by the bridge (seen).
        return await readStoredSince(
          since,
          {
            js: this.#js,
            jsm,
            stream: this.#stream,
            logger: this.#options.logger,
            withinMs: Math.max(deadline - Date.now(), 1),
          },
          (msg) => deliver(msg.data),
        );
      } catch (err) {
        // Right after a NATS server died JetStream may still be electing the stream's leader: tried again.
        if (this.#closed) return 0;
        if (Date.now() + CATCH_UP_RETRY_MS >= deadline) {
          this.#options.logger.warn(
            { err: messageOf(err), since: new Date(since).toISOString() },
            'the stored messages published during the outage could not be read: some may be missing here',
          );
          return 0;
        }
        await new Promise((resolve) => setTimeout(resolve, CATCH_UP_RETRY_MS));
      }
    }
  }

  /** The nodes with records in the bucket (dead ones among them are swept when judged dead). */
  nodesWithRecords(): Set<string> {
    return new Set([...this.#records.values()].map((r) => r.record.node));
  }

  /**
   * `node` died (dead-nodes.ts) at `diedAt`: the records of its sessions that were connected get that time
   * as their disconnect, so they expire as the sessions would have (compare-and-set: one node writes each).
   */
  async sweep(node: string, diedAt: number): Promise<void> {
    const kv = this.#kv;
    if (node === this.#options.node || kv === undefined || this.#options.down()) return;
    const writes: Promise<unknown>[] = [];
    for (const [key, header] of this.#records) {
      if (header.record.node !== node || header.record.disconnectedAt !== undefined) continue;
      const value = Buffer.from(JSON.stringify({ ...header.record, disconnectedAt: diedAt }));
      // Fails when the record changed meanwhile (another survivor swept it, the client resumed): left as it is.
      writes.push(kv.update(key, value, header.revision).catch(() => undefined));
    }
    await Promise.all(writes);
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#checkpoints);
    clearTimeout(this.#retry);
    this.#writer.close();
    this.#watch?.stop();
  }

  /**
   * Writes the record of `clientId` as its session is now, or deletes it when there is no persistent session;
   * `due`: a held-back write whose interval is over (not held back again).
   */
  #write(clientId: string, due = false): void {
    const key = clientIdKey(clientId);
    const kv = this.#kv;
    if (key === undefined || kv === undefined || !this.#options.holds(clientId)) return;
    const detail = this.#options.broker.clientDetail(clientId);
    if (detail === undefined || !detail.persistent || detail.clean) {
      this.forget(clientId);
      if (detail?.connected === true) this.#clean.add(clientId);
      return;
    }
    const existing = this.#records.get(key);
    let held = this.#held.get(clientId);
    if (held === undefined) {
      // A record in the bucket already (this node's before a restart, or the node that handed the session
      // over): its `since` stays, as the session's queue may hold messages from then on.
      const now = Date.now();
      held = {
        since: Math.min(existing?.record.since ?? now, now - SINCE_MARGIN_MS),
        disconnectedAt: detail.connected ? undefined : (existing?.record.disconnectedAt ?? now),
        revision: undefined,
        chain: Promise.resolve(),
        lastWrite: undefined,
        trailing: undefined,
      };
      this.#held.set(clientId, held);
    }
    // A session subscribing to many filters one SUBSCRIBE at a time rewrites its whole record each time:
    // writes of one record are spaced, the last state written once the interval has passed.
    const now = Date.now();
    if (!due && held.lastWrite !== undefined && now - held.lastWrite < RECORD_WRITE_INTERVAL_MS) {
      this.#writeLater(clientId, held, held.lastWrite + RECORD_WRITE_INTERVAL_MS - now);
      return;
    }
    held.lastWrite = now;
    const json = JSON.stringify(recordOf(detail, this.#options.node, held.since, held.disconnectedAt));
    // Unchanged (a restart registering the sessions of its store): nothing to write.
    if (existing !== undefined && existing.json === json && held.revision === undefined) {
      held.revision = existing.revision;
      return;
    }
    const value = Buffer.from(json);
    const current = held;
    const written = current.chain.then(async () => {
      if (this.#options.down()) return;
      try {
        current.revision = await kv.put(key, value);
        this.counts.recordsWritten++;
      } catch (err) {
        this.#warnings.warn('a session record could not be written to the cluster', {
          clientId: clientId.slice(0, 200),
          err: messageOf(err),
        });
      }
    });
    current.chain = written;
    this.#writing.add(written);
    void written.then(() => this.#writing.delete(written));
  }

  /** Writes the record of `clientId` in `ms` (once, whatever is touched meanwhile); a SUBACK waits for it. */
  #writeLater(clientId: string, held: Held, ms: number): void {
    if (held.trailing !== undefined) return;
    let settle: () => void = () => undefined;
    const trailing = new Promise<void>((resolve) => (settle = resolve));
    held.trailing = trailing;
    this.#writing.add(trailing);
    setTimeout(() => {
      held.trailing = undefined;
      // Due now (a timer may fire a little before the interval is over by the clock): not held back again.
      if (this.#held.get(clientId) === held && !this.#closed) this.#write(clientId, true);
      void held.chain.then(() => {
        this.#writing.delete(trailing);
        settle();
      });
    }, ms).unref();
  }

  /**
   * Moves `since` forward for the sessions here with nothing queued or in flight: every message stored
   * before (`SINCE_MARGIN_MS` for those still on their way) has reached their client.
   */
  #checkpoint(): void {
    if (this.#options.down()) return;
    const now = Date.now();
    this.#dropExpired(now);
    if (this.#held.size === 0) return;
    for (const summary of this.#options.broker.sessions()) {
      const held = this.#held.get(summary.clientId);
      if (held === undefined || now - held.since < this.#checkpointAgeMs) continue;
      if (summary.queued > 0 || summary.inflight > 0) continue;
      held.since = now - SINCE_MARGIN_MS;
      this.touch(summary.clientId);
    }
  }

  /**
   * Deletes the records of sessions that expired (their node died, or their client never came back to a
   * node that died): their filters no longer have messages stored. Compare-and-set on the revision read.
   */
  #dropExpired(now: number): void {
    const defaultExpiry = Number(this.#options.broker.effectiveConfig().session_expiry_interval ?? 0);
    for (const [key, header] of this.#records) {
      if (header.record.disconnectedAt === undefined || !recordExpired(header.record, now, defaultExpiry)) continue;
      // A session held here expires here (the broker ends it, and `forget` deletes its record).
      if (this.#held.has(header.record.clientId)) continue;
      // The bucket's delete comes back through the watch (#apply), which takes its filters off.
      this.#kv?.delete(key, { previousSeq: header.revision }).catch(() => undefined);
    }
  }

  /** Follows the bucket: every record's stored filters, from the records there now (awaited) on. */
  async #follow(kv: KV, withinMs: number): Promise<void> {
    const status = await kv.status();
    const iterator = await kv.watch();
    this.#watch = iterator;
    let loaded: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (loaded = resolve)).then(() => this.#onLoaded());
    if (status.values === 0) loaded();
    void (async () => {
      for await (const entry of iterator) {
        this.#apply(entry);
        // The last of the records there at start (delta 0), or anything written since.
        if (entry.isUpdate || (entry.delta ?? 0) === 0) loaded();
      }
    })().catch((err: unknown) => {
      if (!this.#closed) this.#options.logger.error({ err: messageOf(err) }, 'stopped following the session records');
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, withinMs)));
    await Promise.race([done, late]);
    clearTimeout(timer);
  }

  #apply(entry: KvWatchEntry): void {
    const previous = this.#records.get(entry.key);
    if (previous !== undefined) {
      for (const filter of storedFilters(previous.record)) this.#filters.remove(filter);
      this.#records.delete(entry.key);
    }
    if (entry.operation !== 'PUT') return;
    let record: SessionRecord;
    try {
      record = decodeSessionRecord(entry.value);
    } catch (err) {
      this.#warnings.warn('a session record in the cluster could not be read: its messages are not stored', {
        key: entry.key.slice(0, 200),
        err: messageOf(err),
      });
      return;
    }
    this.#records.set(entry.key, { record, json: Buffer.from(entry.value).toString('utf8'), revision: entry.revision });
    for (const filter of storedFilters(record)) this.#filters.add(filter);
  }
}

/** The stream of stored messages, created or brought to this config (every node does it at each start). */
async function ensureStream(jsm: JetStreamManager, options: ClusterSessionsOptions): Promise<void> {
  const name = sessionMessagesStream(options.prefix);
  const config: Partial<StreamConfig> & { name: string } = {
    name,
    subjects: [sessionMessagesSubject(options.prefix)],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    max_age: nanos(options.maxAgeSeconds * 1000),
    num_replicas: options.replicas,
  };
  await retryWithin(options.openWithinMs, () =>
    createOrUpdateStream(
      jsm,
      config,
      (existing) => existing.max_age === config.max_age && existing.num_replicas === options.replicas,
    ),
  ).catch((err: unknown) => {
    throw new Error(`creating the stream ${name}: ${messageOf(err)}`, { cause: err });
  });
}
