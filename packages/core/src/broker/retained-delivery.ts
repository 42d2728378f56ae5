import type { QoS } from '../codec/packets.js';
import { messageBytes, minQos, type StoredMessage } from './message.js';
import { Fanout } from './outbound.js';
import type { PeerLink } from './peer-link.js';
import type { RetainedCursor } from './retained-cursor.js';
import type { BrokerServices } from './services.js';
import type { Session, Subscriber } from './session.js';

/** Most retained messages one turn of the event loop handles; then other clients' packets are read. */
export const RETAINED_CHUNK_MESSAGES = 1000;
/** Most topic + payload bytes one turn sends; a chunk of large messages ends earlier. */
export const RETAINED_CHUNK_BYTES = 1024 * 1024;
/**
 * Most live topics remembered per session while its retained messages are on their way. Past it the
 * retained message of a topic that also got a live one may arrive after it (the rest is unchanged).
 */
const MAX_LIVE_TOPICS = 10_000;

/** What the delivery needs from the router: expiry bookkeeping and receive authorization. */
export interface RetainedSink {
  /** Removes an expired retained message for everyone. */
  expire(message: StoredMessage): void;
  /** Authorizes `receive` (if plugins do) and delivers or queues one message with RETAIN=1. */
  offer(session: Session, fan: Fanout, qos: QoS, ids: number[] | undefined): void;
}

/** The retained messages of one new subscription, being sent. */
interface Job {
  readonly session: Session;
  readonly conn: PeerLink;
  readonly filter: string;
  /** The subscription this delivery serves: once it is replaced or removed, the delivery ends. */
  readonly sub: Subscriber;
  readonly granted: QoS;
  readonly ids: number[] | undefined;
  readonly cursor: RetainedCursor<StoredMessage>;
}

/** Per session with deliveries running: how many, and the topics that got a live message meanwhile. */
interface SessionState {
  jobs: number;
  liveTopics: Set<string> | undefined;
}

type StopCause = 'max_outgoing_bytes' | 'max_queued_messages' | 'max_queued_bytes';

/**
 * Sends retained messages to new subscriptions in chunks [MQTT-3.3.1-8, MQTT-3.8.4-3]. One SUBSCRIBE
 * used to send every matching retained message in one go: 100k of them stalled every other client for
 * seconds, per copy of the filter. Here:
 * - Each turn handles one chunk (RETAINED_CHUNK_MESSAGES messages or RETAINED_CHUNK_BYTES bytes) of one
 *   delivery, then yields with setImmediate, so socket reads of every connection run between chunks;
 *   deliveries take turns round-robin. The SUBACK, written before the first turn, comes first [MQTT-3.8.4-1].
 * - A delivery stops when its client cannot take more: a QoS 0 subscription once the connection is over
 *   max_outgoing_bytes, a QoS 1/2 one once the session queue is full (max_queued_messages), so nothing
 *   grows without bound. Over max_outgoing_bytes a QoS 1/2 subscription still skips its QoS 0 messages
 *   (counted as 'slow-reader' drops) and queues the others. A stop is counted in
 *   stats.dropped['retained-stopped'] and through ctx.limits.
 * - A delivery ends when its connection closes or its subscription is replaced (a new SUBSCRIBE of the
 *   same filter starts a new one) or removed.
 * - Live messages may reach the subscription while its retained messages are still on their way (MQTT
 *   orders messages per topic, 4.6). So that a client never gets a topic's older retained message after a
 *   newer live one, a topic that got a live message during the delivery is skipped by it.
 */
export class RetainedDelivery {
  /** Set by tests to compare with one unchunked delivery. */
  chunkMessages = RETAINED_CHUNK_MESSAGES;
  chunkBytes = RETAINED_CHUNK_BYTES;

  private readonly ctx: BrokerServices;
  private readonly sink: RetainedSink;
  /** Deliveries in turn order: the first one runs next. */
  private readonly jobs: Job[] = [];
  private readonly sessions = new Map<Session, SessionState>();
  private scheduled = false;
  /** One fan-out reused for every retained message: each is encoded for the variants it needs, then reset. */
  private readonly fan = new Fanout();

  constructor(ctx: BrokerServices, sink: RetainedSink) {
    this.ctx = ctx;
    this.sink = sink;
  }

  /** True while some delivery runs: only then does routing note live topics (one check per message otherwise). */
  get active(): boolean {
    return this.sessions.size !== 0;
  }

  /** Deliveries not finished yet. */
  get pending(): number {
    return this.jobs.length;
  }

  /** Starts sending the retained messages matching `filter` to the session's subscription of it. */
  start(
    session: Session,
    filter: string,
    cursor: RetainedCursor<StoredMessage>,
    granted: QoS,
    subscriptionId: number | undefined,
  ): void {
    const conn = session.connection;
    const sub = session.subscriptions.get(filter);
    if (conn === undefined || sub === undefined) return;
    const ids = subscriptionId === undefined ? undefined : [subscriptionId];
    this.jobs.push({ session, conn, filter, sub, granted, ids, cursor });
    const state = this.sessions.get(session);
    if (state === undefined) this.sessions.set(session, { jobs: 1, liveTopics: undefined });
    else state.jobs++;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(runTurn, this);
    }
  }

  /** A live message on `topic` was routed to the first `count` of `sessions` (called only while `active`). */
  noteLiveAll(sessions: readonly (Session | undefined)[], count: number, topic: string): void {
    for (let i = 0; i < count; i++) {
      const session = sessions[i];
      if (session !== undefined) this.noteLive(session, topic);
    }
  }

  /** A live message on `topic` was routed to `session` (called only while `active`). */
  noteLive(session: Session, topic: string): void {
    const state = this.sessions.get(session);
    if (state === undefined) return;
    const topics = (state.liveTopics ??= new Set());
    if (topics.size < MAX_LIVE_TOPICS) topics.add(topic);
  }

  /** @internal One turn: one chunk of the first delivery, which then goes to the back of the line. */
  turn(): void {
    this.scheduled = false;
    const job = this.jobs.shift();
    if (job === undefined) return;
    let done: boolean;
    try {
      done = this.chunk(job);
    } catch (err) {
      // A failing delivery ends alone; the broker and the other deliveries go on.
      this.ctx.log.error({ err, clientId: job.session.clientId, filter: job.filter }, 'retained delivery failed');
      done = true;
    }
    if (done) this.finish(job);
    else this.jobs.push(job);
    if (this.jobs.length > 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(runTurn, this);
    }
  }

  /** Sends up to one chunk; returns true when the delivery is over. */
  private chunk(job: Job): boolean {
    const { session, conn } = job;
    if (session.connection !== conn || conn.state === 'closed' || session.subscriptions.get(job.filter) !== job.sub)
      return true;
    const ctx = this.ctx;
    const live = this.sessions.get(session)?.liveTopics;
    const fan = this.fan;
    const now = Date.now();
    let bytes = 0;
    for (let n = 0; n < this.chunkMessages && bytes < this.chunkBytes; n++) {
      const m = job.cursor.next();
      if (m === undefined) return true;
      if (m.expiresAt !== undefined && m.expiresAt <= now) {
        this.sink.expire(m);
        continue;
      }
      if (live !== undefined && live.has(m.topic)) continue;
      const qos = minQos(m.qos, job.granted);
      if (qos === 0) {
        if (conn.overOutgoingLimit()) {
          if (job.granted === 0) return this.stop(job, 'max_outgoing_bytes');
          ctx.stats.drop('slow-reader');
          continue;
        }
      } else {
        const overflow = wouldOverflowQueue(session, m, ctx.config.max_queued_messages, ctx.config.max_queued_bytes);
        if (overflow !== undefined) return this.stop(job, overflow);
      }
      this.sink.offer(session, fan.reset(m, m), qos, job.ids);
      // A delivery may close the connection (a plugin, a write error): checked before the next one.
      if (isClosed(conn)) return true;
      bytes += m.topic.length + m.payload.length;
    }
    return false;
  }

  private stop(job: Job, cause: StopCause): boolean {
    this.ctx.stats.drop('retained-stopped');
    const what =
      cause === 'max_outgoing_bytes'
        ? 'the client reads too slowly (max_outgoing_bytes)'
        : `its session queue is full (${cause})`;
    this.ctx.limits.hit(cause, `retained delivery stopped: ${what}`, {
      clientId: job.session.clientId,
      filter: job.filter,
    });
    return true;
  }

  private finish(job: Job): void {
    const state = this.sessions.get(job.session);
    if (state !== undefined && --state.jobs === 0) this.sessions.delete(job.session);
  }
}

/**
 * A QoS 1/2 delivery of `m` now would wait in the session queue (window full or others waiting), and the
 * queue has no room for it: the bound it would pass, else undefined.
 */
function wouldOverflowQueue(
  session: Session,
  m: StoredMessage,
  maxCount: number,
  maxBytes: number,
): StopCause | undefined {
  if (session.queueLength === 0 && session.inflightCount < session.window) return undefined;
  return session.queueBoundPassed(messageBytes(m), maxCount, maxBytes);
}

/** A function, so the compiler does not narrow `state` across the calls that may close the connection. */
function isClosed(conn: PeerLink): boolean {
  return conn.state === 'closed';
}

function runTurn(delivery: RetainedDelivery): void {
  delivery.turn();
}
