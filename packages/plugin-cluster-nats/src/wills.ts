/**
 * Wills of the clients of a node that dies. Every node keeps the wills of its connected clients in a
 * JetStream key-value bucket (`<prefix>_wills`, key `<node>.<client id key>`), with the deadline of a will
 * whose delay runs. When a node falls silent (presence.ts), the survivors race to take each of its wills
 * with compare-and-set: the one that wins publishes it, with its owner's rights, when due, unless the
 * client came back on another node meanwhile (the client-id registry names another node) [MQTT-3.1.3-9].
 * The taken record stays as a tombstone: the dead node, restarted from its store, asks before publishing
 * the wills it restored (`keepRestoredWill`) and leaves the taken ones alone, so a will goes out once.
 */
import type { BrokerApi, ClientInfo, Logger, Message, ProtocolVersion } from '@midge/mqtt-core';
import type { Kvm } from '@nats-io/kv';
import type { KV } from '@nats-io/kv';
import { openBucket } from './bucket.js';
import { messageOf } from './error-message.js';
import { fromJsonBytes, toJsonBytes } from './json-buffers.js';
import { clientIdKey, clientIdOfKey } from './registry-names.js';

export interface ClusterWillsOptions {
  readonly node: string;
  readonly prefix: string;
  readonly kvm: Kvm;
  readonly replicas: number;
  /** How long opening the bucket may retry while JetStream is not ready. */
  readonly openWithinMs: number;
  readonly broker: Pick<BrokerApi, 'publish'>;
  readonly logger: Logger;
  /** The node the client-id registry names for a client id now (undefined: none, or unknown). */
  readonly holderOf: (clientId: string) => Promise<string | undefined>;
}

/** A will as kept in the bucket. */
interface WillRecord {
  readonly message: Message;
  /** v5 Will Delay Interval, seconds. */
  readonly delay: number;
  /** Epoch ms the will is due, once its client went away with the delay running. */
  readonly publishAt?: number;
  readonly username: string | null;
  readonly protocolVersion: ProtocolVersion;
}

/** What a survivor leaves in place of a will it took. */
interface Tombstone {
  readonly takenBy: string;
}

/** What the wills of dead nodes came to since start. */
export interface WillCounts {
  /** Wills of dead nodes this node took (and published, or cancelled as their client came back). */
  taken: number;
  published: number;
  /** Taken wills not published: the client came back on another node within the delay. */
  cancelled: number;
}

export function willsBucket(prefix: string): string {
  return `${prefix.replaceAll('.', '_')}_wills`;
}

/** setTimeout's ceiling; a later deadline re-arms. */
const MAX_TIMER_MS = 2_147_483_647;

export class ClusterWills {
  readonly counts: WillCounts = { taken: 0, published: 0, cancelled: 0 };
  readonly #options: ClusterWillsOptions;
  readonly #kv: KV;
  /** This node's clients with a will: their Will Delay Interval, seconds. */
  readonly #delays = new Map<string, number>();
  /** Timers: this node's own delayed wills (the record goes when the broker publishes it), and taken wills. */
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** Nodes whose wills this node swept (until they are heard again). */
  readonly #swept = new Set<string>();
  #closed = false;

  private constructor(options: ClusterWillsOptions, kv: KV) {
    this.#options = options;
    this.#kv = kv;
  }

  static async open(options: ClusterWillsOptions): Promise<ClusterWills> {
    const kv = await openBucket(
      options.kvm,
      willsBucket(options.prefix),
      { history: 1, replicas: options.replicas },
      options.openWithinMs,
    );
    return new ClusterWills(options, kv);
  }

  /** Nodes with wills in the bucket (a survivor started after a node died learns of it here). */
  async nodesWithWills(): Promise<Set<string>> {
    const nodes = new Set<string>();
    for await (const key of await this.#kv.keys()) {
      const dot = key.indexOf('.');
      if (dot > 0) nodes.add(key.slice(0, dot));
    }
    return nodes;
  }

  /** `client:connected`: its will (or none) replaces what the bucket held for it. */
  onConnected(client: ClientInfo, will: { readonly message: Message; readonly delay: number } | undefined): void {
    const key = this.#key(this.#options.node, client.clientId);
    if (key === undefined) return;
    this.#clearTimer(client.clientId);
    if (will === undefined) {
      // Only a will this node kept for the client may be left to remove: no write for the others.
      if (this.#delays.delete(client.clientId)) this.#write(this.#kv.delete(key), client.clientId);
      return;
    }
    this.#delays.set(client.clientId, will.delay);
    const record: WillRecord = {
      message: will.message,
      delay: will.delay,
      username: client.username ?? null,
      protocolVersion: client.protocolVersion,
    };
    this.#write(this.#kv.put(key, toJsonBytes(record)), client.clientId);
  }

  /**
   * `client:disconnected`: after a DISCONNECT there is no will; otherwise the broker publishes it now (no
   * delay: the record goes) or when its delay runs out (the record gets the deadline, in case this node
   * dies before, and goes at the deadline).
   */
  onDisconnected(client: ClientInfo, graceful: boolean): void {
    const delay = this.#delays.get(client.clientId);
    if (delay === undefined) return;
    const key = this.#key(this.#options.node, client.clientId);
    if (key === undefined) return;
    if (graceful || delay <= 0) {
      this.#forget(client.clientId, key);
      return;
    }
    const publishAt = Date.now() + delay * 1000;
    // Rewritten with its deadline: a survivor of this node publishes it then.
    this.#kv
      .get(key)
      .then((entry) => {
        if (entry === null || entry.operation !== 'PUT') return;
        const record = fromJsonBytes(entry.value) as WillRecord;
        return this.#kv.update(key, toJsonBytes({ ...record, publishAt }), entry.revision);
      })
      .catch((err: unknown) => this.#failed(err, client.clientId));
    this.#setTimer(client.clientId, publishAt, () => this.#forget(client.clientId, key));
  }

  /** `session:ended`: a will still waiting for its delay was published by the session's end. */
  onSessionEnded(clientId: string): void {
    const key = this.#key(this.#options.node, clientId);
    if (key !== undefined && this.#delays.has(clientId)) this.#forget(clientId, key);
  }

  /**
   * The core's `keepRestoredWill`: this node restarted with a will in its store. False when a survivor took
   * it while this node was down (its tombstone goes); true otherwise (the record goes: the broker publishes).
   */
  async keepRestored(clientId: string): Promise<boolean> {
    const key = this.#key(this.#options.node, clientId);
    if (key === undefined) return true;
    const entry = await this.#kv.get(key);
    if (entry === null || entry.operation !== 'PUT') return true;
    const value = fromJsonBytes(entry.value) as Partial<Tombstone>;
    await this.#kv.delete(key, { previousSeq: entry.revision }).catch(() => undefined);
    if (typeof value.takenBy !== 'string') return true;
    this.#options.logger.info(
      { clientId: clientId.slice(0, 200), publishedBy: value.takenBy },
      'a will restored from the store was published by another node while this one was down: not again',
    );
    return false;
  }

  /**
   * `node` is dead since about `diedAt` (epoch ms, when it was last heard): takes each of its wills this
   * node wins the race for, to publish when due (a connected client's will delay runs from `diedAt`).
   */
  async sweep(node: string, diedAt: number): Promise<void> {
    if (node === this.#options.node || this.#swept.has(node)) return;
    this.#swept.add(node);
    const tombstone = toJsonBytes({ takenBy: this.#options.node } satisfies Tombstone);
    let taken = 0;
    for await (const key of await this.#kv.keys(`${node}.>`)) {
      if (this.#closed) return;
      try {
        const entry = await this.#kv.get(key);
        if (entry === null || entry.operation !== 'PUT') continue;
        const record = fromJsonBytes(entry.value) as Partial<WillRecord & Tombstone>;
        if (record.message === undefined) continue; // a tombstone already
        // Fails when another survivor took it first: that one publishes it.
        await this.#kv.update(key, tombstone, entry.revision);
        taken++;
        this.counts.taken++;
        const clientId = clientIdOfKey(key.slice(node.length + 1));
        const due = record.publishAt ?? diedAt + (record.delay ?? 0) * 1000;
        this.#setTimer(
          `${node}\n${clientId}`,
          due,
          () => void this.#publishTaken(node, clientId, record as WillRecord),
        );
      } catch {
        // Lost the race, or NATS in trouble: another survivor has it, or the next sweep will.
      }
    }
    if (taken > 0)
      this.#options.logger.warn(
        { node, wills: taken },
        "a node of the cluster is gone: this node publishes its clients' wills",
      );
  }

  /** `node` is heard again: a later silence is swept again. */
  alive(node: string): void {
    this.#swept.delete(node);
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }

  async #publishTaken(node: string, clientId: string, record: WillRecord): Promise<void> {
    this.#timers.delete(`${node}\n${clientId}`);
    const { logger, broker, holderOf } = this.#options;
    try {
      // Back on another node before the delay ran out: no will [MQTT-3.1.3-9].
      if (record.delay > 0) {
        const holder = await holderOf(clientId);
        if (holder !== undefined && holder !== node) {
          this.counts.cancelled++;
          return;
        }
      }
      const owner: ClientInfo = {
        clientId,
        username: record.username ?? undefined,
        protocolVersion: record.protocolVersion,
        listener: '',
        remoteAddress: '',
        remotePort: 0,
        secure: false,
      };
      // With its owner's rights, as the dead node would have published it.
      const { topic, payload, qos, retain, properties } = record.message;
      await broker.publish(
        properties === undefined ? { topic, payload, qos, retain } : { topic, payload, qos, retain, properties },
        { as: owner },
      );
      this.counts.published++;
    } catch (err) {
      logger.warn(
        { clientId: clientId.slice(0, 200), node, err: messageOf(err) },
        'the will of a client of a dead node could not be published',
      );
    }
  }

  #key(node: string, clientId: string): string | undefined {
    const id = clientIdKey(clientId);
    return id === undefined ? undefined : `${node}.${id}`;
  }

  #forget(clientId: string, key: string): void {
    this.#delays.delete(clientId);
    this.#clearTimer(clientId);
    this.#write(this.#kv.delete(key), clientId);
  }

  #setTimer(id: string, at: number, fire: () => void): void {
    this.#clearTimer(id);
    const arm = (): NodeJS.Timeout => {
      const timer = setTimeout(
        () => {
          if (at > Date.now()) this.#timers.set(id, arm());
          else {
            this.#timers.delete(id);
            fire();
          }
        },
        Math.min(Math.max(at - Date.now(), 0), MAX_TIMER_MS),
      );
      timer.unref();
      return timer;
    };
    this.#timers.set(id, arm());
  }

  #clearTimer(id: string): void {
    const timer = this.#timers.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.#timers.delete(id);
  }

  #write(write: Promise<unknown>, clientId: string): void {
    write.catch((err: unknown) => this.#failed(err, clientId));
  }

  #failed(err: unknown, clientId: string): void {
    if (this.#closed) return;
    this.#options.logger.warn(
      { clientId: clientId.slice(0, 200), err: messageOf(err) },
      "a client's will could not be kept in NATS: if this node dies, no other node publishes it",
    );
  }
}
