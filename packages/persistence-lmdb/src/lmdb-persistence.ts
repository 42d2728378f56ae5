import type {
  CreatePersistence,
  Logger,
  PersistedInflight,
  PersistedMessage,
  PersistedQueued,
  PersistedSession,
  PersistedSubscription,
  PersistedWill,
  Persistence,
  PersistenceOptions,
  SessionUpdate,
} from '@midge/mqtt-core';
import { asBinary, type Database, type RootDatabase } from 'lmdb';
import { compactEnvironment, type CompactResult } from './compact.js';
import { DirectoryLock } from './lock.js';
import { checkDataDirectory, checkDataFile, openEnvironment, type Tables } from './open-store.js';
import {
  decodeInflight,
  deliveryFrame,
  encodeDelivery,
  encodeInflight,
  inflightPlace,
  messagePackOf,
  removedMarker,
  type BinaryValue,
  type MessagePack,
} from './binary-records.js';
import type { Pack, QueueChunks } from './queue-chunks.js';
import { countQueue, listQueue, loadChunks } from './queue-table.js';
import {
  headerOf,
  inflightOf,
  keyOf,
  plainMessage,
  plainSubscription,
  sessionOf,
  storedWill,
  updatedHeader,
  willOf,
  type SessionHeader,
  type StoredWill,
} from './records.js';
import { Writes } from './writes.js';

interface OpenStore {
  readonly root: RootDatabase;
  readonly tables: Tables;
  readonly writes: Writes;
  /** MessagePack for the rare parts of queue and inflight records (binary-records.ts). */
  readonly pack: MessagePack;
  /** The queue table's chunks and the tails of deliveries not packed yet (queue-chunks.ts). */
  readonly chunks: QueueChunks;
}

function openStore(
  root: RootDatabase,
  tables: Tables,
  path: string,
  sync: PersistenceOptions['sync'],
  readOnly: boolean,
): OpenStore {
  const writes = new Writes(root, path, sync);
  const { chunks, stale } = loadChunks(tables.queue);
  // Keys an interrupted write left (queue-table.ts): a reader skips them, a writer removes them.
  if (!readOnly && stale.length > 0) root.transactionSync(() => stale.forEach((k) => tables.queue.removeSync(k)));
  writes.onFailure((turn) => chunks.failed(turn));
  return { root, tables, writes, pack: messagePackOf(tables.queue), chunks };
}

/**
 * `Persistence` on LMDB (lmdb-js): one memory-mapped, copy-on-write environment in the data directory with a
 * table per kind of record, keyed by client id (then topic, sequence number or packet id), so one range read
 * gives one client's records in order. Reads are synchronous underneath; a read waits for the writes issued
 * before it to commit, so it sees them. What a write's promise means per `sync` mode: see writes.ts and the
 * README.
 */
export class LmdbPersistence implements Persistence {
  readonly path: string;
  readonly sync: PersistenceOptions['sync'];
  readonly #readOnly: boolean;
  readonly #log: Logger | undefined;
  readonly #lock: DirectoryLock;
  #store: OpenStore | undefined;
  /**
   * The session record (header) of each client key, as of the writes issued so far (not committed): whether a
   * write for a client is a no-op is decided in issue order, and `updateSession` merges into this copy and
   * writes the result as a plain put. A transaction callback there would make LMDB's write thread wait for the
   * main thread at every connect and disconnect, and under lmdb-js's write backpressure (the main thread
   * sleeping while more than 300,000 writes are outstanding) that stalled a broker for a minute.
   */
  readonly #sessions = new Map<string, SessionHeader>();
  /** Per client key, the send order of its inflight packet ids (loaded from the table on first use). */
  readonly #inflightOrder = new Map<string, Map<number, number>>();
  #nextOrder = 0;
  /** Set while `compact` runs: calls then fail (a write would miss the compacted copy). */
  #compacting = false;

  constructor(options: PersistenceOptions) {
    this.path = options.path;
    this.sync = options.sync;
    this.#readOnly = options.readOnly === true;
    this.#log = options.log;
    this.#lock = new DirectoryLock(options.path);
  }

  async open(): Promise<void> {
    if (this.#store !== undefined) return;
    checkDataDirectory(this.path, this.#readOnly);
    if (!this.#readOnly) await this.#lock.acquire();
    try {
      checkDataFile(this.path, this.#readOnly);
      const { root, tables } = openEnvironment({ path: this.path, sync: this.sync, readOnly: this.#readOnly });
      this.#store = openStore(root, tables, this.path, this.sync, this.#readOnly);
      for (const { key, value } of tables.sessions.getRange()) this.#sessions.set(String(key), value as SessionHeader);
      for (const { value } of tables.inflight.getRange())
        this.#nextOrder = Math.max(this.#nextOrder, inflightPlace(value).order + 1);
    } catch (err) {
      this.#lock.release();
      throw err;
    }
    this.#log?.debug({ path: this.path, sync: this.sync, readOnly: this.#readOnly }, 'store opened');
  }

  async close(): Promise<void> {
    const store = this.#store;
    if (store === undefined) return;
    this.#store = undefined;
    this.#sessions.clear();
    this.#inflightOrder.clear();
    try {
      await store.writes.settled();
      await store.root.close();
    } finally {
      this.#lock.release();
    }
  }

  /**
   * Rewrites the data file without its free pages (compact.ts): LMDB reuses freed pages but never shrinks its
   * file, so a store that once held a large queue keeps that size. The store must be open for writing, which
   * holds the directory lock (no broker uses the directory); calls made while it runs fail. The store stays
   * open, on the compacted file. `midge store compact` runs it.
   */
  async compact(): Promise<CompactResult> {
    const store = this.#writable();
    if (store === undefined) return this.#refusal();
    this.#store = undefined;
    this.#compacting = true;
    try {
      await store.writes.settled();
      return await compactEnvironment(store.root, this.path, {
        keep: () => (this.#store = store),
        reopen: () => {
          checkDataFile(this.path, false);
          const { root, tables } = openEnvironment({ path: this.path, sync: this.sync });
          this.#store = openStore(root, tables, this.path, this.sync, false);
        },
      });
    } finally {
      this.#compacting = false;
      // Neither the compacted nor the old file reopened (the error says why): the store is closed.
      if (this.#store === undefined) this.#lock.release();
    }
  }

  // sessions

  saveSession(session: PersistedSession): Promise<void> {
    const store = this.#writable();
    if (store === undefined) return this.#refusal();
    const { tables: t, writes, pack } = store;
    const key = keyOf(session.clientId);
    store.chunks.forget(key);
    const orders = new Map<number, number>();
    this.#inflightOrder.set(key, orders);
    // Built now: the transaction body runs later, and the caller's objects may have changed by then.
    const header = headerOf(session);
    this.#sessions.set(key, header);
    const subscriptions = session.subscriptions.map(plainSubscription);
    let queue: { seq: number; value: BinaryValue }[];
    let inflight: { packetId: number; value: BinaryValue }[];
    try {
      queue = session.queue.map((e) => ({ seq: e.seq, value: encodeDelivery(e.delivery, pack) }));
      inflight = session.inflight.map((i) => {
        const order = this.#nextOrder++;
        orders.set(i.packetId, order);
        return { packetId: i.packetId, value: encodeInflight(i, order, pack) };
      });
    } catch (err) {
      return writes.refused(err);
    }
    const inboundQos2 = [...session.inboundQos2];
    return writes.transaction(() => {
      clearClient(t, key);
      t.sessions.putSync(key, header);
      for (const sub of subscriptions) t.subscriptions.putSync([key, keyOf(sub.topic)], sub);
      for (const e of queue) t.queue.putSync([key, e.seq], e.value);
      for (const i of inflight) t.inflight.putSync([key, i.packetId], i.value);
      for (const id of inboundQos2) t.inboundQos2.putSync([key, id], true);
    });
  }

  updateSession(clientId: string, update: SessionUpdate): Promise<void> {
    const store = this.#writable();
    if (store === undefined) return this.#refusal();
    const { tables: t, writes } = store;
    const key = keyOf(clientId);
    const current = this.#sessions.get(key);
    if (current === undefined) return DONE;
    const header = updatedHeader(current, update);
    this.#sessions.set(key, header);
    // A chunk holds only deliveries pushed one after the other while disconnected (queue-chunks.ts).
    if (header.disconnectedAt === undefined) store.chunks.dropTail(key);
    return writes.put(t.sessions, key, header);
  }

  async getSession(clientId: string): Promise<PersistedSession | undefined> {
    const store = await this.#readable();
    const key = keyOf(clientId);
    const header = store.tables.sessions.get(key) as SessionHeader | undefined;
    return header === undefined ? undefined : assemble(store, key, header, Infinity);
  }

  deleteSession(clientId: string): Promise<void> {
    const store = this.#writable();
    if (store === undefined) return this.#refusal();
    const { tables: t, writes } = store;
    const key = keyOf(clientId);
    this.#sessions.delete(key);
    this.#inflightOrder.delete(key);
    store.chunks.forget(key);
    return writes.transaction(() => clearClient(t, key));
  }

  async listSessions(maxQueued = Infinity): Promise<PersistedSession[]> {
    const store = await this.#readable();
    const out: PersistedSession[] = [];
    for (const { key, value } of store.tables.sessions.getRange())
      out.push(assemble(store, String(key), value as SessionHeader, maxQueued));
    return out;
  }

  // subscriptions

  setSubscription(clientId: string, subscription: PersistedSubscription): Promise<void> {
    const store = this.#writable();
    if (store === undefined) return this.#refusal();
    const { tables: t, writes } = store;
    const key = keyOf(clientId);
    if (!this.#sessions.has(key)) return DONE;
    return writes.put(t.subscriptions, [key, keyOf(subscription.topic)], plainSubscription(subscription));
  }

  deleteSubscription(clientId: string, topic: string): Promise<void> {
    const store = this.#writable();
    if (store === undefined) return this.#refusal();
    const { tables: t, writes } = store;
    const key = keyOf(clientId);
    if (!this.#sessions.has(key)) return DONE;
    return writes.remove(t.subscriptions, [key, keyOf(topic)]);
  }

  // queue

  pushQueued(clientId: string, entry: PersistedQueued): Promise<void> {
    const store = this.#writable();
    if (store === undefined) return this.#refusal();
    const { tables: t, writes, chunks } = store;
    const key = keyOf(clientId);
    const header = this.#sessions.get(key);
    if (header === undefined) return DONE;
    let frame: Buffer;
    try {
      frame = deliveryFrame(entry.delivery, store.pack);
    } catch (err) {
      return writes.refused(err);
    }
    const write = writes.put(t.queue, [key, entry.seq], asBinary(frame));
    if (header.disconnectedAt === undefined) {
      chunks.dropTail(key);
      return write;
    }
    const pack = chunks.append(key, entry.seq, frame, writes.issuedTurn, writes.committedTurn);
    if (pack !== undefined) this.#writePack(store, key, pack);
    return write;
  }

  /**
   * Writes `pack` as one chunk in place of its deliveries' own keys, in the current transaction (`always`:
   * in one transaction of its own). Nobody waits for it: the deliveries were stored already.
   */
  #writePack(store: OpenStore, key: string, pack: Pack): void {
    const { tables: t, writes, chunks } = store;
    const failures = writes.failures;
    // The current transaction: the delivery that completed the pack went into it just now.
    const chunk = chunks.packed(key, pack, writes.issuedTurn);
    const { value } = pack;
    if (this.sync === 'always') {
      writes
        .transaction(() => {
          t.queue.putSync(chunk.keyFor(key), value);
          for (const seq of pack.seqs) t.queue.removeSync([key, seq]);
        })
        .catch(noop);
    } else {
      writes.put(t.queue, chunk.keyFor(key), value).catch(noop);
      for (const seq of pack.seqs) writes.remove(t.queue, [key, seq]).catch(noop);
    }
    // Refused when issued: nothing of it was written.
    if (writes.failures !== failures) chunks.deleteChunk(key, chunk);
  }

  deleteQueued(clientId: string, seq: number): Promise<void> {
    const store = this.#writable();
    if (store === undefined) return this.#refusal();
    const { tables: t, writes, chunks } = store;
    const key = keyOf(clientId);
    if (!this.#sessions.has(key)) return DONE;
    const chunk = chunks.holding(key, seq);
    if (chunk === undefined) {
      chunks.removedFromTail(key, seq);
      return writes.remove(t.queue, [key, seq]);
    }
    if (chunk.removed.has(seq)) return DONE;
    // Until the chunk's transaction has committed, the delivery's own key may still be stored (if it fails).
    const uncertain = chunk.turn > writes.committedTurn;
    chunk.remove(seq);
    let write: Promise<void>;
    if (chunk.live > 0) write = writes.put(t.queue, [key, seq, 0], removedMarker());
    else {
      // The chunk goes, then its markers (with `always`, a crash between them leaves markers open() removes).
      chunks.deleteChunk(key, chunk);
      write = writes.remove(t.queue, chunk.keyFor(key));
      for (const s of chunk.removed) if (s !== seq) writes.remove(t.queue, [key, s, 0]).catch(noop);
    }
    if (uncertain) writes.remove(t.queue, [key, seq]).catch(noop);
    return write;
  }

  async listQueued(clientId: string, afterSeq: number, max: number): Promise<PersistedQueued[]> {
    const store = await this.#readable();
    return listQueue(store.tables.queue, store.chunks, store.pack, keyOf(clientId), afterSeq, max);
  }

  async countQueued(clientId: string): Promise<number> {
    const store = await this.#readable();
    return countQueue(store.tables.queue, keyOf(clientId));
  }

  // inflight

  setInflight(clientId: string, inflight: PersistedInflight): Promise<void> {
    const store = this.#writable();
    if (store === undefined) return this.#refusal();
    const { tables: t, writes } = store;
    const key = keyOf(clientId);
    if (!this.#sessions.has(key)) return DONE;
    let value: BinaryValue;
    try {
      const orders = this.#ordersOf(t, key);
      // A packet id keeps its place in the send order when its state changes (publish -> pubrel); a message
      // just sent goes last, also under a packet id freed in the same turn (the broker reuses it at once).
      let order = inflight.state === 'publish' ? undefined : orders.get(inflight.packetId);
      if (order === undefined) {
        order = this.#nextOrder++;
        orders.set(inflight.packetId, order);
      }
      value = encodeInflight(inflight, order, store.pack);
    } catch (err) {
      return writes.refused(err);
    }
    return writes.put(t.inflight, [key, inflight.packetId], value);
  }

  deleteInflight(clientId: string, packetId: number): Promise<void> {
    const store = this.#writable();
    if (store === undefined) return this.#refusal();
    const { tables: t, writes } = store;
    const key = keyOf(clientId);
    if (!this.#sessions.has(key)) return DONE;
    try {
      this.#ordersOf(t, key).delete(packetId);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return writes.remove(t.inflight, [key, packetId]);
  }

  /**
   * The send order of a client's inflight packet ids. Loaded from the table the first time after open, when no
   * write of that client is pending (every later one goes through this map), so the table is up to date.
   */
  #ordersOf(t: Tables, key: string): Map<number, number> {
    let orders = this.#inflightOrder.get(key);
    if (orders === undefined) {
      orders = new Map();
      for (const { value } of clientRange(t.inflight, key)) {
        const { packetId, order } = inflightPlace(value);
        orders.set(packetId, order);
      }
      this.#inflightOrder.set(key, orders);
    }
    return orders;
  }

  // inbound QoS 2 ids

  addInboundQos2(clientId: string, packetId: number): Promise<void> {
    const store = this.#writable();
    if (store === undefined) return this.#refusal();
    const { tables: t, writes } = store;
    const key = keyOf(clientId);
    if (!this.#sessions.has(key)) return DONE;
    return writes.put(t.inboundQos2, [key, packetId], true);
  }

  deleteInboundQos2(clientId: string, packetId: number): Promise<void> {
    const store = this.#writable();
    if (store === undefined) return this.#refusal();
    const { tables: t, writes } = store;
    const key = keyOf(clientId);
    if (!this.#sessions.has(key)) return DONE;
    return writes.remove(t.inboundQos2, [key, packetId]);
  }

  // wills (of any client, session or not)

  setWill(clientId: string, will: PersistedWill): Promise<void> {
    const store = this.#writable();
    if (store === undefined) return this.#refusal();
    const { tables: t, writes } = store;
    return writes.put(t.wills, keyOf(clientId), storedWill(clientId, will));
  }

  deleteWill(clientId: string): Promise<void> {
    const store = this.#writable();
    if (store === undefined) return this.#refusal();
    const { tables: t, writes } = store;
    return writes.remove(t.wills, keyOf(clientId));
  }

  async listWills(): Promise<Map<string, PersistedWill>> {
    const { tables: t } = await this.#readable();
    const out = new Map<string, PersistedWill>();
    for (const { value } of t.wills.getRange()) {
      const stored = value as StoredWill;
      out.set(stored.clientId, willOf(stored));
    }
    return out;
  }

  // retained

  setRetained(message: PersistedMessage): Promise<void> {
    const store = this.#writable();
    if (store === undefined) return this.#refusal();
    const { tables: t, writes } = store;
    return writes.put(t.retained, keyOf(message.topic), plainMessage(message));
  }

  deleteRetained(topic: string): Promise<void> {
    const store = this.#writable();
    if (store === undefined) return this.#refusal();
    const { tables: t, writes } = store;
    return writes.remove(t.retained, keyOf(topic));
  }

  async getRetained(topic: string): Promise<PersistedMessage | undefined> {
    const { tables: t } = await this.#readable();
    return t.retained.get(keyOf(topic)) as PersistedMessage | undefined;
  }

  async listRetained(): Promise<PersistedMessage[]> {
    const { tables: t } = await this.#readable();
    return [...t.retained.getRange()].map((e) => e.value as PersistedMessage);
  }

  #opened(): OpenStore {
    const store = this.#store;
    if (store === undefined) throw this.#notOpen();
    return store;
  }

  #notOpen(): Error {
    return new Error(
      this.#compacting
        ? `the store in ${this.path} is being compacted: call it again once compact() has finished`
        : `the store in ${this.path} is not open (call open() first)`,
    );
  }

  /**
   * The open store if it takes writes, else undefined (`#refusal` says why). The write methods are not `async`:
   * they hand back the write's own promise, which the writes of one transaction share (writes.ts).
   */
  #writable(): OpenStore | undefined {
    return this.#readOnly ? undefined : this.#store;
  }

  #refusal(): Promise<never> {
    return Promise.reject(
      this.#readOnly ? new Error(`the store in ${this.path} is open read-only: it takes no writes`) : this.#notOpen(),
    );
  }

  /** The store once every write issued so far is committed, so a read sees them. */
  async #readable(): Promise<OpenStore> {
    const pending = this.#opened().writes.settled();
    if (pending !== undefined) await pending;
    return this.#opened();
  }
}

const DONE = Promise.resolve();

function noop(): void {}

/** Entries of one client in a table keyed [clientKey, ...]: from the first on, while the key is the client's. */
function* clientRange(db: Database, key: string): Generator<{ key: unknown[]; value: unknown }> {
  for (const entry of db.getRange({ start: [key] })) {
    const k = entry.key as unknown[];
    if (!Array.isArray(k) || k[0] !== key) return;
    yield { key: k, value: entry.value };
  }
}

/** Everything stored for a client but its will; runs inside a write transaction. */
function clearClient(t: Tables, key: string): void {
  t.sessions.removeSync(key);
  for (const table of [t.subscriptions, t.queue, t.inflight, t.inboundQos2]) {
    const keys = [...clientRange(table, key)].map((e) => e.key);
    for (const k of keys) table.removeSync(k as never);
  }
}

function assemble(store: OpenStore, key: string, header: SessionHeader, maxQueued: number): PersistedSession {
  const { tables: t, pack, chunks } = store;
  const subscriptions = [...clientRange(t.subscriptions, key)].map((e) => e.value as PersistedSubscription);
  const inflight = [...clientRange(t.inflight, key)]
    .map((e) => decodeInflight(e.value, pack))
    .sort((a, b) => a.order - b.order)
    .map(inflightOf);
  const inboundQos2 = [...clientRange(t.inboundQos2, key)].map((e) => e.key[1] as number);
  const queue = listQueue(t.queue, chunks, pack, key, -1, maxQueued);
  return sessionOf(header, { subscriptions, queue, inflight, inboundQos2 });
}

/** The entry point the broker calls for `persistence: { store: '@midge/persistence-lmdb' }`. */
export const createPersistence = ((options: PersistenceOptions) =>
  new LmdbPersistence(options)) satisfies CreatePersistence;
