import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type {
  Logger,
  PersistedDelivery,
  PersistedInflight,
  PersistedMessage,
  PersistedQueued,
  PersistedSession,
  PersistedSubscription,
  PersistedWill,
  Persistence,
  PersistenceOptions,
  ProtocolVersion,
  SessionUpdate,
} from '@midge/mqtt-core';
import { open, type Database, type RootDatabase } from 'lmdb';
import { DirectoryLock, LOCK_FILE } from './lock.js';

/** Written at creation; a directory whose `meta` says otherwise is not opened. */
const FORMAT = 'midge-store';
const FORMAT_VERSION = 1;
/** Upper bound of string keys within one client's range (topics): above every UTF-16 string used as a topic. */
const HIGH_STRING = '\uffff\uffff';

/** A session's header: what `updateSession` changes. Subscriptions, queue, inflight and ids live in their own tables. */
interface SessionHeader {
  disconnectedAt?: number;
  expiryInterval?: number;
  username?: string | null;
  protocolVersion?: ProtocolVersion;
}

type Key = string | (string | number)[];

/**
 * `Persistence` on LMDB (lmdb-js): one memory-mapped, copy-on-write environment in the data directory, with a
 * table per kind of record. Reads are synchronous; writes are lmdb-js's asynchronous batched writes, so every
 * write issued in one event-loop turn lands in one transaction (a delivery's move from the queue to the inflight
 * window included) and each returned promise resolves once that transaction is as durable as `sync` says:
 *
 * - `batch`: committed and fsync'd (lmdb's `flushed`) — a kill -9 or a power cut loses nothing it confirmed;
 * - `always`: every write is its own synchronous, fsync'd transaction (one disk flush per write; slow);
 * - `none`: committed, the OS flushes when it likes (a kill -9 loses nothing; a power cut may).
 */
export class LmdbPersistence implements Persistence {
  readonly path: string;
  readonly sync: PersistenceOptions['sync'];
  private readonly readOnly: boolean;
  private readonly log: Logger | undefined;
  private readonly lock: DirectoryLock;
  private root: RootDatabase | undefined;
  private tables: Tables | undefined;
  /** Client ids with a session record, known synchronously: a write issued right after saveSession (same turn, not yet committed) must see it. */
  private readonly sessionIds = new Set<string>();

  constructor(options: PersistenceOptions) {
    this.path = options.path;
    this.sync = options.sync;
    this.readOnly = options.readOnly === true;
    this.log = options.log;
    this.lock = new DirectoryLock(options.path);
  }

  // async: every failure below is a rejected promise, not a throw.
  async open(): Promise<void> {
    if (this.root !== undefined) return;
    const path = this.path;
    if (!this.readOnly) {
      try {
        mkdirSync(path, { recursive: true });
      } catch (err) {
        throw new Error(
          `cannot create the data directory ${path}: ${(err as Error).message}; choose a writable folder`,
          {
            cause: err,
          },
        );
      }
    }
    const isNew = checkDirectory(path, this.readOnly);
    if (!this.readOnly) await this.lock.acquire();
    try {
      this.root = open({
        path,
        maxDbs: 12,
        readOnly: this.readOnly,
        // `none`: no fsync at all; `always`: synchronous commits (below); `batch`: fsync after each batch.
        noSync: this.sync === 'none',
        overlappingSync: this.sync === 'batch',
      });
      this.tables = openTables(this.root);
    } catch (err) {
      this.lock.release();
      throw new Error(
        `cannot open the store in ${path}: ${(err as Error).message}. If the files are damaged, move the directory away and start again (the broker starts empty), or restore it from a backup.`,
        { cause: err },
      );
    }
    const meta = this.tables.meta.get('format') as { name?: unknown; version?: unknown } | undefined;
    if (meta === undefined && isNew && !this.readOnly) {
      this.tables.meta.putSync('format', { name: FORMAT, version: FORMAT_VERSION });
    } else if (meta === undefined || meta.name !== FORMAT) {
      void this.closeQuietly();
      throw new Error(
        `${path} holds an LMDB environment that is not a Midge store; give the broker an empty or new directory`,
      );
    } else if (typeof meta.version !== 'number' || meta.version > FORMAT_VERSION) {
      void this.closeQuietly();
      throw new Error(
        `the store in ${path} was written by a newer Midge (format ${String(meta.version)}, this one reads ${FORMAT_VERSION}); upgrade @midge/persistence-lmdb`,
      );
    }
    for (const id of this.tables.sessions.getKeys()) this.sessionIds.add(id as string);
  }

  async close(): Promise<void> {
    const root = this.root;
    if (root === undefined) return;
    this.root = undefined;
    this.tables = undefined;
    try {
      if (!this.readOnly) await root.flushed;
      await root.close();
    } finally {
      this.lock.release();
    }
  }

  private async closeQuietly(): Promise<void> {
    try {
      await this.close();
    } catch (err) {
      this.log?.warn({ err, path: this.path }, 'closing the store failed');
    }
  }

  private get t(): Tables {
    const tables = this.tables;
    if (tables === undefined) throw new Error(`the store in ${this.path} is not open`);
    return tables;
  }

  /** One write, durable as `sync` promises. `always` commits it alone, synchronously (fsync included). */
  private put(db: Database, key: Key, value: unknown): Promise<void> {
    if (this.readOnly) return readOnlyWrite(this.path);
    if (this.sync === 'always') return settle(() => db.putSync(key, value));
    return this.durable(db.put(key, value));
  }

  private remove(db: Database, key: Key): Promise<void> {
    if (this.readOnly) return readOnlyWrite(this.path);
    if (this.sync === 'always') return settle(() => db.removeSync(key));
    return this.durable(db.remove(key));
  }

  /** Several writes as one transaction (batch/none: the turn's transaction anyway; always: one synchronous one). */
  private many(ops: (() => unknown)[], root: RootDatabase): Promise<void> {
    if (this.readOnly) return readOnlyWrite(this.path);
    if (this.sync === 'always') return settle(() => root.transactionSync(() => ops.forEach((op) => op())));
    return this.durable(root.transaction(() => ops.forEach((op) => op())));
  }

  private durable(committed: Promise<unknown>): Promise<void> {
    const root = this.root;
    if (this.sync !== 'batch' || root === undefined) return committed.then(noop);
    return committed.then(() => root.flushed).then(noop);
  }

  // sessions

  saveSession(session: PersistedSession): Promise<void> {
    const t = this.t;
    const root = this.rootDb();
    const id = session.clientId;
    this.sessionIds.add(id);
    const ops = [...this.clearSessionOps(id), () => t.sessions.put(id, header(session))];
    for (const sub of session.subscriptions) ops.push(() => t.subscriptions.put([id, sub.topic], { ...sub }));
    for (const e of session.queue) ops.push(() => t.queue.put([id, e.seq], e.delivery));
    for (const i of session.inflight) ops.push(() => t.inflight.put([id, i.packetId], i));
    for (const pid of session.inboundQos2) ops.push(() => t.inboundQos2.put([id, pid], true));
    return this.many(ops, root);
  }

  updateSession(clientId: string, update: SessionUpdate): Promise<void> {
    if (!this.sessionIds.has(clientId)) return Promise.resolve();
    const t = this.t;
    const root = this.rootDb();
    // Read and written in one transaction, so updates issued in one turn apply in order.
    return this.many(
      [
        () => {
          const current = (t.sessions.get(clientId) as SessionHeader | undefined) ?? {};
          void t.sessions.put(clientId, applyUpdate(current, update));
        },
      ],
      root,
    );
  }

  getSession(clientId: string): Promise<PersistedSession | undefined> {
    const h = this.t.sessions.get(clientId) as SessionHeader | undefined;
    return Promise.resolve(h === undefined ? undefined : this.assemble(clientId, h, Infinity));
  }

  deleteSession(clientId: string): Promise<void> {
    this.sessionIds.delete(clientId);
    return this.many(this.clearSessionOps(clientId), this.rootDb());
  }

  listSessions(maxQueued = Infinity): Promise<PersistedSession[]> {
    const out: PersistedSession[] = [];
    for (const { key, value } of this.t.sessions.getRange())
      out.push(this.assemble(key as string, value as SessionHeader, maxQueued));
    return Promise.resolve(out);
  }

  private assemble(clientId: string, h: SessionHeader, maxQueued: number): PersistedSession {
    const t = this.t;
    const subscriptions = [...t.subscriptions.getRange(strings(clientId))].map(
      ({ value }) => value as PersistedSubscription,
    );
    const inflight = [...t.inflight.getRange(numbers(clientId))].map(({ value }) => value as PersistedInflight);
    const inboundQos2 = [...t.inboundQos2.getKeys(numbers(clientId))].map((k) => (k as [string, number])[1]);
    let s: PersistedSession = {
      clientId,
      subscriptions,
      queue: this.queued(clientId, -1, maxQueued),
      inflight,
      inboundQos2,
    };
    if (h.disconnectedAt !== undefined) s = { ...s, disconnectedAt: h.disconnectedAt };
    if (h.expiryInterval !== undefined) s = { ...s, expiryInterval: h.expiryInterval };
    if (h.username !== undefined) s = { ...s, username: h.username };
    if (h.protocolVersion !== undefined) s = { ...s, protocolVersion: h.protocolVersion };
    return s;
  }

  /** The removals of everything stored under a client id but its will. */
  private clearSessionOps(clientId: string): (() => unknown)[] {
    const t = this.t;
    const ops: (() => unknown)[] = [() => t.sessions.remove(clientId)];
    for (const key of t.subscriptions.getKeys(strings(clientId))) ops.push(() => t.subscriptions.remove(key));
    for (const table of [t.queue, t.inflight, t.inboundQos2])
      for (const key of table.getKeys(numbers(clientId))) ops.push(() => table.remove(key));
    return ops;
  }

  // subscriptions

  setSubscription(clientId: string, subscription: PersistedSubscription): Promise<void> {
    if (!this.sessionIds.has(clientId)) return Promise.resolve();
    return this.put(this.t.subscriptions, [clientId, subscription.topic], { ...subscription });
  }

  deleteSubscription(clientId: string, topic: string): Promise<void> {
    if (!this.sessionIds.has(clientId)) return Promise.resolve();
    return this.remove(this.t.subscriptions, [clientId, topic]);
  }

  // queue

  pushQueued(clientId: string, entry: PersistedQueued): Promise<void> {
    if (!this.sessionIds.has(clientId)) return Promise.resolve();
    return this.put(this.t.queue, [clientId, entry.seq], plainDelivery(entry.delivery));
  }

  deleteQueued(clientId: string, seq: number): Promise<void> {
    if (!this.sessionIds.has(clientId)) return Promise.resolve();
    return this.remove(this.t.queue, [clientId, seq]);
  }

  listQueued(clientId: string, afterSeq: number, max: number): Promise<PersistedQueued[]> {
    return Promise.resolve(this.queued(clientId, afterSeq, max));
  }

  private queued(clientId: string, afterSeq: number, max: number): PersistedQueued[] {
    if (max <= 0) return [];
    const range = {
      start: [clientId, afterSeq + 1],
      end: [clientId, Infinity],
      ...(Number.isFinite(max) ? { limit: max } : {}),
    };
    return [...this.t.queue.getRange(range)].map(({ key, value }) => ({
      seq: (key as [string, number])[1],
      delivery: value as PersistedDelivery,
    }));
  }

  countQueued(clientId: string): Promise<number> {
    return Promise.resolve(this.t.queue.getKeysCount(numbers(clientId)));
  }

  // inflight

  setInflight(clientId: string, inflight: PersistedInflight): Promise<void> {
    if (!this.sessionIds.has(clientId)) return Promise.resolve();
    const value: PersistedInflight = { ...inflight, delivery: plainDelivery(inflight.delivery) };
    return this.put(this.t.inflight, [clientId, inflight.packetId], value);
  }

  deleteInflight(clientId: string, packetId: number): Promise<void> {
    if (!this.sessionIds.has(clientId)) return Promise.resolve();
    return this.remove(this.t.inflight, [clientId, packetId]);
  }

  // inbound QoS 2 ids

  addInboundQos2(clientId: string, packetId: number): Promise<void> {
    if (!this.sessionIds.has(clientId)) return Promise.resolve();
    return this.put(this.t.inboundQos2, [clientId, packetId], true);
  }

  deleteInboundQos2(clientId: string, packetId: number): Promise<void> {
    if (!this.sessionIds.has(clientId)) return Promise.resolve();
    return this.remove(this.t.inboundQos2, [clientId, packetId]);
  }

  // wills

  setWill(clientId: string, will: PersistedWill): Promise<void> {
    return this.put(this.t.wills, clientId, { ...will, message: plainMessage(will.message) });
  }

  deleteWill(clientId: string): Promise<void> {
    return this.remove(this.t.wills, clientId);
  }

  listWills(): Promise<Map<string, PersistedWill>> {
    const out = new Map<string, PersistedWill>();
    for (const { key, value } of this.t.wills.getRange()) out.set(key as string, value as PersistedWill);
    return Promise.resolve(out);
  }

  // retained

  setRetained(message: PersistedMessage): Promise<void> {
    return this.put(this.t.retained, message.topic, plainMessage(message));
  }

  deleteRetained(topic: string): Promise<void> {
    return this.remove(this.t.retained, topic);
  }

  getRetained(topic: string): Promise<PersistedMessage | undefined> {
    return Promise.resolve(this.t.retained.get(topic) as PersistedMessage | undefined);
  }

  listRetained(): Promise<PersistedMessage[]> {
    return Promise.resolve([...this.t.retained.getRange()].map(({ value }) => value as PersistedMessage));
  }

  private rootDb(): RootDatabase {
    const root = this.root;
    if (root === undefined) throw new Error(`the store in ${this.path} is not open`);
    return root;
  }
}

interface Tables {
  readonly meta: Database;
  readonly sessions: Database;
  readonly subscriptions: Database;
  readonly queue: Database;
  readonly inflight: Database;
  readonly inboundQos2: Database;
  readonly wills: Database;
  readonly retained: Database;
}

function openTables(root: RootDatabase): Tables {
  return {
    meta: root.openDB({ name: 'meta' }),
    sessions: root.openDB({ name: 'sessions' }),
    subscriptions: root.openDB({ name: 'subscriptions' }),
    queue: root.openDB({ name: 'queue' }),
    inflight: root.openDB({ name: 'inflight' }),
    inboundQos2: root.openDB({ name: 'inbound-qos2' }),
    wills: root.openDB({ name: 'wills' }),
    retained: root.openDB({ name: 'retained' }),
  };
}

/**
 * Whether the directory is new (nothing of LMDB in it yet). A directory with other files and no LMDB data is
 * refused: pointing the broker at the wrong folder must not scatter files into it.
 */
function checkDirectory(path: string, readOnly: boolean): boolean {
  if (!existsSync(path)) {
    if (readOnly) throw new Error(`no store in ${path} (the directory does not exist)`);
    return true;
  }
  let entries: string[];
  try {
    entries = readdirSync(path);
  } catch (err) {
    throw new Error(`cannot read the data directory ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (entries.includes('data.mdb')) return false;
  const foreign = entries.filter((e) => e !== LOCK_FILE && e !== 'lock.mdb');
  if (foreign.length > 0)
    throw new Error(
      `${path} is not a Midge store (it holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}); give the broker an empty or new directory`,
    );
  if (readOnly) throw new Error(`no store in ${path} yet (the directory is empty)`);
  return true;
}

function header(s: PersistedSession): SessionHeader {
  const h: SessionHeader = {};
  if (s.disconnectedAt !== undefined) h.disconnectedAt = s.disconnectedAt;
  if (s.expiryInterval !== undefined) h.expiryInterval = s.expiryInterval;
  if (s.username !== undefined) h.username = s.username;
  if (s.protocolVersion !== undefined) h.protocolVersion = s.protocolVersion;
  return h;
}

function applyUpdate(h: SessionHeader, u: SessionUpdate): SessionHeader {
  const next: SessionHeader = { ...h };
  if (u.disconnectedAt === null) delete next.disconnectedAt;
  else if (u.disconnectedAt !== undefined) next.disconnectedAt = u.disconnectedAt;
  if (u.expiryInterval === null) delete next.expiryInterval;
  else if (u.expiryInterval !== undefined) next.expiryInterval = u.expiryInterval;
  if (u.username !== undefined) next.username = u.username;
  if (u.protocolVersion !== undefined) next.protocolVersion = u.protocolVersion;
  return next;
}

/** Only the stored fields (a broker's delivery object carries more, e.g. its queue sequence number). */
function plainDelivery(d: PersistedDelivery): PersistedDelivery {
  const c: PersistedDelivery = { message: plainMessage(d.message), qos: d.qos, retain: d.retain };
  return d.subscriptionIds === undefined ? c : { ...c, subscriptionIds: d.subscriptionIds };
}

function plainMessage(m: PersistedMessage): PersistedMessage {
  let c: PersistedMessage = { topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain };
  if (m.properties !== undefined) c = { ...c, properties: m.properties };
  if (m.expiresAt !== undefined) c = { ...c, expiresAt: m.expiresAt };
  return c;
}

function strings(clientId: string): { start: Key; end: Key } {
  return { start: [clientId, ''], end: [clientId, HIGH_STRING] };
}

function numbers(clientId: string): { start: Key; end: Key } {
  return { start: [clientId, -Infinity], end: [clientId, Infinity] };
}

function settle(write: () => unknown): Promise<void> {
  try {
    write();
    return Promise.resolve();
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

function readOnlyWrite(path: string): Promise<void> {
  return Promise.reject(new Error(`the store in ${path} is open read-only`));
}

function noop(): void {}

/** The entry point the broker calls for `persistence: { store: '@midge/persistence-lmdb' }`. */
export function createPersistence(options: PersistenceOptions): LmdbPersistence {
  return new LmdbPersistence({ ...options, path: join(options.path) });
}
