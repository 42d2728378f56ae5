/**
 * The cluster's client-id registry: which node holds each client id's session, in a JetStream key-value
 * bucket (`<prefix>_clients`, key = the client id, value = the node). A node admitting a client id
 * (`claim`, the core's `claimSession` hook) asks the node the registry names to hand the session over
 * (that node closes its connection with v5 0x8E, drops a pending delayed will, sends the session in
 * chunks), then writes itself into the registry with compare-and-set on the revision it read. When two
 * nodes claim one client id at once, the second write fails and that node claims again: it finds the first
 * node in the registry and takes the id over from it [MQTT-3.1.4-3]. Nodes read the registry only for the
 * clients that connect to them: a node spends nothing on the CONNECTs of the others.
 */
import type { BrokerApi, Logger, PersistedSession, SessionClaimRequest } from '@midge/mqtt-core';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import type { KV } from '@nats-io/kv';
import { openBucket } from './bucket.js';
import { messageOf } from './error-message.js';
import type { NatsLink } from './nats-link.js';
import { clientIdKey, handoverSubject, registryBucket } from './registry-names.js';
import type { SessionRecord } from './session-record.js';
import { chunksOf, decodeHandedSession, encodeHandedSession } from './session-wire.js';
import { ThrottledWarning } from './throttled-warning.js';

export interface ClientRegistryOptions {
  readonly node: string;
  /** The cluster's subject prefix (`midge`). */
  readonly prefix: string;
  readonly link: NatsLink;
  readonly broker: Pick<BrokerApi, 'handOverSession'>;
  readonly logger: Logger;
  /** Copies of the registry bucket in a NATS cluster (1, 3 or 5). */
  readonly replicas: number;
  /** How long a claim waits for the node holding a session to hand it over. */
  readonly handoverTimeoutMs: number;
  /** How long opening the bucket may retry while JetStream is not ready. */
  readonly openWithinMs: number;
  /** The sessions kept in the cluster, for a client id whose node does not answer (sessions.ts); absent: none. */
  readonly sessions?: RecoverableSessions;
  /** How long rebuilding such a session may take (within the broker's plugin_decision_timeout). */
  readonly recoverWithinMs?: number;
}

/** What the registry asks of the sessions kept in the cluster (`ClusterSessions`). */
export interface RecoverableSessions {
  read(clientId: string): Promise<SessionRecord | undefined>;
  recover(record: SessionRecord, withinMs: number): Promise<PersistedSession | undefined>;
  /** A session came here from another node (handed over): its record's `since` is kept. */
  adopt(clientId: string, record: SessionRecord | undefined): void;
  /** The client id starts a new session here: the record of the one it had goes. */
  discard(clientId: string): Promise<void>;
}

/** What a node asked to hand a session over did: answered (with the session, or none), or not. */
interface HandoverOutcome {
  readonly answered: boolean;
  readonly session?: PersistedSession;
}

/** What the registry counted since start. */
export interface RegistryCounts {
  /** Client ids this node wrote into the registry. */
  claims: number;
  /** Sessions other nodes handed to this one. */
  adopted: number;
  /** Sessions this node handed to others. */
  handedOver: number;
  /** Connections closed because another node took their client id while this node admitted it. */
  takenOver: number;
  /** Claims made without the registry (NATS down, an answer missing, a client id too long). */
  unregistered: number;
}

interface HandoverRequest {
  readonly clientId: string;
  readonly cleanStart: boolean;
  readonly from: string;
}

/** What a registry entry holds: the node with the session. */
interface Holder {
  readonly node: string;
}

const EMPTY = new Uint8Array(0);
/** Room left in a chunk for the message's protocol overhead. */
const CHUNK_HEADROOM = 1024;
/** NATS's default max_payload, when the server did not say. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/** Claims of one client id lost to other nodes' concurrent writes before giving up on the registry. */
const MAX_CLAIM_ATTEMPTS = 5;

export class ClientRegistry {
  readonly counts: RegistryCounts = { claims: 0, adopted: 0, handedOver: 0, takenOver: 0, unregistered: 0 };
  readonly #options: ClientRegistryOptions;
  readonly #kv: KV;
  readonly #nc: NatsConnection;
  readonly #value: Uint8Array;
  /** Client id → the registry revision of this node's entry for it, for the sessions this node holds. */
  readonly #claims = new Map<string, number>();
  readonly #warnings: ThrottledWarning;
  /**
   * Client ids being claimed here now, and whether another node took them meanwhile (its handover request
   * came before this node's claim ended): the session opening here is then closed right after it opened.
   */
  readonly #claiming = new Map<string, { lostTo: string | undefined }>();
  #responder: Subscription | undefined;
  #closed = false;

  private constructor(options: ClientRegistryOptions, kv: KV) {
    this.#options = options;
    this.#kv = kv;
    this.#nc = options.link.connection;
    this.#value = Buffer.from(JSON.stringify({ node: options.node } satisfies Holder));
    this.#warnings = new ThrottledWarning(options.logger);
  }

  /** Creates or binds the registry bucket, answers handover requests and starts watching the bucket. */
  static async open(options: ClientRegistryOptions): Promise<ClientRegistry> {
    const kvm = new Kvm(options.link.connection);
    const kv = await openBucket(
      kvm,
      registryBucket(options.prefix),
      { history: 1, replicas: options.replicas },
      options.openWithinMs,
    );
    const registry = new ClientRegistry(options, kv);
    registry.#responder = options.link.connection.subscribe(handoverSubject(options.prefix, options.node), {
      callback: (err, msg) => {
        if (err === null) void registry.#answerHandover(msg);
      },
    });
    return registry;
  }

  /**
   * The core's `claimSession`: takes the session of `client.clientId` from the node the registry names
   * (if another), then names this node. Never rejects for a NATS problem: the client is admitted with what
   * this node holds and the problem logged.
   */
  async claim({ client, cleanStart }: SessionClaimRequest): Promise<PersistedSession | undefined> {
    const { clientId } = client;
    const key = clientIdKey(clientId);
    if (key === undefined) return this.#unregistered(clientId, 'its client id is too long for the registry');
    if (this.#options.link.down) return this.#unregistered(clientId, 'NATS is unreachable');
    const claiming = { lostTo: undefined as string | undefined };
    this.#claiming.set(clientId, claiming);
    try {
      return await this.#claim(clientId, key, cleanStart);
    } finally {
      if (this.#claiming.get(clientId) === claiming) this.#claiming.delete(clientId);
      const winner = claiming.lostTo;
      // After the core opened the session this claim admits (it does so in the promise's continuation).
      if (winner !== undefined)
        setImmediate(() => {
          this.#claims.delete(clientId);
          void this.#takenOver(clientId, winner);
        });
    }
  }

  async #claim(clientId: string, key: string, cleanStart: boolean): Promise<PersistedSession | undefined> {
    let handed: PersistedSession | undefined;
    for (let attempt = 1; ; attempt++) {
      let holder: string | undefined;
      let revision = 0;
      try {
        const entry = await this.#kv.get(key);
        if (entry !== null && entry.operation === 'PUT') {
          holder = holderOf(entry.value);
          revision = entry.revision;
        }
      } catch (err) {
        return this.#unregistered(clientId, `the registry did not answer (${messageOf(err)})`, handed);
      }
      if (holder !== undefined && holder !== this.#options.node)
        handed = (await this.#takeFrom(holder, clientId, cleanStart)) ?? handed;
      try {
        // Compare-and-set on what was read: a node that wrote meanwhile makes this fail, and the loop
        // takes the id from that node.
        const written =
          revision === 0 ? await this.#kv.create(key, this.#value) : await this.#kv.update(key, this.#value, revision);
        this.#claims.set(clientId, written);
        this.counts.claims++;
        return handed;
      } catch (err) {
        if (attempt >= MAX_CLAIM_ATTEMPTS || !isWrongRevision(err))
          return this.#unregistered(clientId, `the registry refused the claim (${messageOf(err)})`, handed);
      }
    }
  }

  /**
   * Sessions this node holds without a claim (restored from its store at start): each is written into
   * the registry unless another node's entry names the client id, in which case the client went there
   * while this node was down and the copy here is stale: it goes (its delayed will with it).
   */
  async registerHeld(clientIds: Iterable<string>): Promise<void> {
    let registered = 0;
    for (const clientId of clientIds) {
      const key = clientIdKey(clientId);
      if (key === undefined || this.#closed || this.#claims.has(clientId)) continue;
      try {
        const entry = await this.#kv.get(key);
        const holder = entry !== null && entry.operation === 'PUT' ? holderOf(entry.value) : undefined;
        if (entry !== null && holder === this.#options.node) {
          this.#claims.set(clientId, entry.revision);
        } else if (holder === undefined) {
          // Fails when a node claimed it since the read: the client is there now, and its claim takes it from here.
          this.#claims.set(clientId, await this.#kv.create(key, this.#value));
        } else {
          const stale = await this.#options.broker.handOverSession(clientId);
          this.#options.logger.warn(
            { clientId: clientId.slice(0, 200), node: holder, queued: stale?.queue.length ?? 0 },
            'a session restored here is held by another node now (the client went there): the copy here was dropped',
          );
        }
      } catch (err) {
        this.#unregistered(clientId, `the registry did not answer (${messageOf(err)})`);
      }
      if (this.#claims.has(clientId)) registered++;
    }
    this.#options.logger.info(
      { sessions: registered },
      'registered the sessions restored here in the client-id registry',
    );
  }

  /**
   * A session of this node ended (`session:ended`): its entry goes, unless another node wrote a newer one
   * meanwhile (the delete is conditional on this node's revision).
   */
  forget(clientId: string): void {
    const revision = this.#claims.get(clientId);
    if (revision === undefined) return;
    this.#claims.delete(clientId);
    const key = clientIdKey(clientId);
    if (key === undefined || this.#options.link.down) return;
    // Rejected when another node's entry is newer: that one stays, as it should.
    this.#kv.delete(key, { previousSeq: revision }).catch(() => undefined);
  }

  /** Whether the registry names this node for `clientId` (it claimed or registered it, and nobody took it since). */
  holds(clientId: string): boolean {
    return this.#claims.has(clientId);
  }

  /** The node the registry names for `clientId` now; undefined for none (or a registry that does not answer). */
  async holderOf(clientId: string): Promise<string | undefined> {
    const key = clientIdKey(clientId);
    if (key === undefined) return undefined;
    const entry = await this.#kv.get(key).catch(() => null);
    return entry !== null && entry.operation === 'PUT' ? holderOf(entry.value) : undefined;
  }

  close(): void {
    this.#closed = true;
    this.#responder?.unsubscribe();
  }

  /** Counts and warns a claim made without the registry; returns `handed` (a session that came already is adopted). */
  #unregistered<T extends PersistedSession | undefined = undefined>(clientId: string, why: string, handed?: T): T {
    this.counts.unregistered++;
    this.#warnings.warn(
      `a client was admitted without the cluster's client-id registry (${why}): a connection with the same ` +
        'client id on another node is not closed',
      { clientId: clientId.slice(0, 200) },
    );
    return handed as T;
  }

  /**
   * The session of `clientId` from `holder`: handed over, or, when `holder` does not answer (it died),
   * rebuilt from what the cluster kept of it; undefined when there is none (or a clean start asked for none).
   */
  async #takeFrom(holder: string, clientId: string, cleanStart: boolean): Promise<PersistedSession | undefined> {
    const sessions = this.#options.sessions;
    // Read while the holder is asked: a handed session keeps its record's `since`, a lost one is rebuilt from it.
    const reading = sessions?.read(clientId);
    const outcome = await this.#requestHandover(holder, clientId, cleanStart);
    const record = await reading;
    if (sessions === undefined || record === undefined) return outcome.session;
    if (outcome.session !== undefined || outcome.answered) {
      if (outcome.session !== undefined) sessions.adopt(clientId, record);
      return outcome.session;
    }
    if (cleanStart) {
      await sessions.discard(clientId);
      return undefined;
    }
    try {
      return await sessions.recover(record, this.#options.recoverWithinMs ?? 2000);
    } catch (err) {
      this.#options.logger.error(
        { clientId: clientId.slice(0, 200), node: holder, err: messageOf(err) },
        "a session could not be rebuilt from the cluster's store: the client starts here without it",
      );
      return undefined;
    }
  }

  /** Asks `holder` for the session of `clientId`: what it answered, or that it did not in time. */
  async #requestHandover(holder: string, clientId: string, cleanStart: boolean): Promise<HandoverOutcome> {
    const { prefix, node, handoverTimeoutMs, logger } = this.#options;
    const request: HandoverRequest = { clientId, cleanStart, from: node };
    const chunks: Uint8Array[] = [];
    let complete = false;
    try {
      const replies = await this.#nc.requestMany(handoverSubject(prefix, holder), JSON.stringify(request), {
        strategy: 'sentinel',
        maxWait: handoverTimeoutMs,
      });
      for await (const msg of replies) {
        if (msg.data.length > 0) chunks.push(msg.data);
        else {
          complete = msg.headers?.status !== '503';
          break;
        }
      }
    } catch (err) {
      logger.warn(
        { clientId: clientId.slice(0, 200), node: holder, err: messageOf(err) },
        'the node holding this client id did not answer',
      );
      return { answered: false };
    }
    if (!complete) {
      logger.warn(
        { clientId: clientId.slice(0, 200), node: holder, timeoutMs: handoverTimeoutMs },
        'the node holding this client id did not hand its session over in time',
      );
      return { answered: false };
    }
    if (chunks.length === 0) return { answered: true };
    try {
      const session = decodeHandedSession(Buffer.concat(chunks));
      if (session.clientId !== clientId) throw new Error(`it is the session of another client id`);
      this.counts.adopted++;
      logger.info(
        { clientId: clientId.slice(0, 200), from: holder, queued: session.queue.length },
        'session handed over from another node',
      );
      return { answered: true, session };
    } catch (err) {
      logger.error(
        { clientId: clientId.slice(0, 200), node: holder, err: messageOf(err) },
        'a session handed over by another node could not be read: the client starts here without it',
      );
      return { answered: true };
    }
  }

  /** Hands a session of this node to the node that asks (chunks, then an empty message). Never throws. */
  async #answerHandover(msg: Msg): Promise<void> {
    const { broker, logger } = this.#options;
    const reply = msg.reply;
    let request: HandoverRequest;
    try {
      request = JSON.parse(msg.string()) as HandoverRequest;
      if (typeof request.clientId !== 'string') throw new Error('no client id');
    } catch (err) {
      logger.warn({ err: messageOf(err) }, 'a session handover request could not be read');
      return;
    }
    const { clientId } = request;
    // Asked for it: whatever the bucket says next, the session is no longer this node's.
    this.#claims.delete(clientId);
    const claiming = this.#claiming.get(clientId);
    if (claiming !== undefined) claiming.lostTo = String(request.from);
    let data: Buffer | undefined;
    try {
      const session = await broker.handOverSession(clientId, { cleanStart: request.cleanStart === true });
      if (session !== undefined) {
        data = encodeHandedSession(session);
        this.counts.handedOver++;
        logger.info(
          { clientId: clientId.slice(0, 200), to: String(request.from), queued: session.queue.length },
          'session handed over to another node',
        );
      }
    } catch (err) {
      logger.error(
        { clientId: clientId.slice(0, 200), err: messageOf(err) },
        'handing a session over to another node failed: it starts there without it',
      );
    }
    if (reply === undefined || this.#closed) return;
    try {
      const size = Math.max((this.#nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD) - CHUNK_HEADROOM, 1024);
      for (const chunk of data === undefined ? [] : chunksOf(data, size)) this.#nc.publish(reply, chunk);
      this.#nc.publish(reply, EMPTY);
    } catch (err) {
      logger.error(
        { clientId: clientId.slice(0, 200), err: messageOf(err) },
        'a session could not be sent to the node that took its client id over',
      );
    }
  }

  /** Another node took `clientId` while this node was admitting it: this node's connection and session with it go. */
  async #takenOver(clientId: string, node: string): Promise<void> {
    try {
      const session = await this.#options.broker.handOverSession(clientId, { cleanStart: true });
      this.counts.takenOver++;
      this.#options.logger.info(
        { clientId: clientId.slice(0, 200), node, hadSession: session !== undefined },
        'client id taken over by a connection on another node',
      );
    } catch (err) {
      this.#options.logger.error({ clientId: clientId.slice(0, 200), err: messageOf(err) }, 'a takeover failed');
    }
  }
}

function holderOf(value: Uint8Array): string | undefined {
  try {
    const holder = JSON.parse(Buffer.from(value).toString('utf8')) as Partial<Holder> | null;
    return typeof holder?.node === 'string' ? holder.node : undefined;
  } catch {
    return undefined;
  }
}

/** The registry's answer to a compare-and-set whose revision is no longer the key's (another node wrote). */
function isWrongRevision(err: unknown): boolean {
  return /wrong last sequence|key exists/i.test(messageOf(err));
}
