import type { PersistedWill } from '../persistence/types.js';
import type { ClientInfo } from '../plugin-api/types.js';
import type { StoredMessage } from './message.js';
import type { PeerLink } from './peer-link.js';
import type { Pipeline } from './pipeline.js';
import { isPromise } from './plugin-port.js';
import type { Router } from './router.js';
import type { BrokerServices } from './services.js';
import { Session, type PendingWill } from './session.js';

/** setTimeout's ceiling; longer expiries re-arm until their deadline. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * An unref'd timer that calls `fire` at `deadline` (ms since the epoch), however far away: past
 * setTimeout's ceiling (24.8 days) it re-arms until the deadline, handing each new timer to `rearmed` so
 * its owner can still clear the current one. Returns the first timer.
 */
function timerUntil(deadline: number, fire: () => void, rearmed: (timer: NodeJS.Timeout) => void): NodeJS.Timeout {
  const arm = (): NodeJS.Timeout => {
    const timer = setTimeout(
      () => {
        if (deadline > Date.now()) rearmed(arm());
        else fire();
      },
      Math.min(Math.max(deadline - Date.now(), 0), MAX_TIMER_MS),
    );
    timer.unref();
    return timer;
  };
  return arm();
}

/** Owns every session by client id: takeover on CONNECT, removal of clean sessions, expiry of abandoned ones. */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private persistentSessions = 0;
  private readonly ctx: BrokerServices;
  /** Removes the subscriptions of a session that ends. */
  private readonly router: Pick<Router, 'unsubscribeAll'>;
  /** Publishes wills, with their owner's rights, as any other message. */
  private readonly pipeline: Pick<Pipeline, 'publishFrom'>;

  constructor(ctx: BrokerServices, router: Pick<Router, 'unsubscribeAll'>, pipeline: Pick<Pipeline, 'publishFrom'>) {
    this.ctx = ctx;
    this.router = router;
    this.pipeline = pipeline;
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Sessions with a record in persistence (max_persistent_sessions counts these). */
  get persistentCount(): number {
    return this.persistentSessions;
  }

  /** A session became persistent: it gets a record in persistence and counts against the cap. */
  markPersisted(session: Session): void {
    if (session.persisted) return;
    session.persisted = true;
    this.persistentSessions++;
  }

  get(clientId: string): Session | undefined {
    return this.sessions.get(clientId);
  }

  values(): IterableIterator<Session> {
    return this.sessions.values();
  }

  /**
   * Called once authentication succeeded. A connection already using this client id is closed first
   * (its will fires) [MQTT-3.1.4-2]; then a clean CONNECT discards any old session [MQTT-3.1.2-6] and a
   * persistent one resumes it [MQTT-3.1.2-4].
   */
  open(clientId: string, clean: boolean, client: ClientInfo): { session: Session; sessionPresent: boolean } {
    let existing = this.sessions.get(clientId);
    existing?.connection?.close('session taken over by a new connection', false, { reasonCode: 0x8e });
    existing = this.sessions.get(clientId);
    if (existing !== undefined && clean) {
      this.discard(existing);
      existing = undefined;
    }
    if (existing?.pendingWill !== undefined) {
      // Back before the will delay ran out: the will is not sent [MQTT-3.1.3-9].
      clearTimeout(existing.pendingWill.timer);
      existing.pendingWill = undefined;
      this.forgetWill(clientId);
    }
    if (existing !== undefined) {
      if (existing.expiryTimer !== undefined) clearTimeout(existing.expiryTimer);
      existing.expiryTimer = undefined;
      existing.client = client;
      if (existing.persisted) {
        // Connected again: no expiry clock (a crash from now on starts it at the restart). The username is
        // the owner's (session_owner lets no one else resume), and claims a session stored without one.
        const journal = this.ctx.journal;
        journal.write(
          journal.store.updateSession(clientId, {
            disconnectedAt: null,
            protocolVersion: client.protocolVersion,
            username: client.username ?? null,
          }),
        );
      }
      return { session: existing, sessionPresent: true };
    }
    const session = new Session(clientId, clean, client);
    this.sessions.set(clientId, session);
    return { session, sessionPresent: false };
  }

  /**
   * Publishes the will of a connection that closed without DISCONNECT: now, or after the v5 Will Delay
   * Interval if the session outlives the connection (the session ending publishes it earlier).
   */
  scheduleWill(session: Session, client: ClientInfo, will: StoredMessage): void {
    const delay = session.willDelay;
    if (delay <= 0 || session.clean) {
      this.publishWill(client, will);
      return;
    }
    const publishAt = Date.now() + delay * 1000;
    // Stored with its deadline: a restart before it publishes the will when it is due, not never.
    this.storeWill(client, will, delay, publishAt);
    this.delayWill(session, client, will, publishAt);
  }

  /**
   * A will whose delay runs until `publishAt` (epoch ms). The Will Delay Interval is up to 2^32-1 s:
   * timerUntil re-arms past setTimeout's ceiling, so a long delay is never cut short [MQTT-3.1.3-9].
   */
  delayWill(session: Session, client: ClientInfo, will: StoredMessage, publishAt: number): void {
    const fire = (): void => {
      if (session.pendingWill === pending) session.pendingWill = undefined;
      this.publishWill(client, will);
    };
    const pending: PendingWill = {
      message: will,
      client,
      timer: timerUntil(publishAt, fire, (t) => (pending.timer = t)),
    };
    session.pendingWill = pending;
  }

  /** The will of a client that connected: stored, so a crash (an ungraceful disconnect) still publishes it. */
  storeWill(client: ClientInfo, will: StoredMessage, delay: number, publishAt?: number): void {
    const record: PersistedWill = {
      message: will,
      delay,
      username: client.username ?? null,
      protocolVersion: client.protocolVersion,
      ...(publishAt !== undefined ? { publishAt } : {}),
    };
    const journal = this.ctx.journal;
    journal.write(journal.store.setWill(client.clientId, record));
  }

  /** The client's will will not be published (DISCONNECT, back in time) or was: its record goes. */
  forgetWill(clientId: string): void {
    const journal = this.ctx.journal;
    journal.write(journal.store.deleteWill(clientId));
  }

  private flushWill(session: Session): void {
    const pending = session.pendingWill;
    if (pending === undefined) return;
    clearTimeout(pending.timer);
    session.pendingWill = undefined;
    this.publishWill(pending.client, pending.message);
  }

  /**
   * A will goes through the pipeline with its owner's rights, as a PUBLISH of that client would: the
   * `$`-topic rule and publish authorization apply (Mosquitto checks a will against the ACL as well).
   * Its stored record goes once it is routed (a crash in between publishes it again: at least once).
   */
  publishWill(client: ClientInfo, will: StoredMessage): void {
    const outcome = this.pipeline.publishFrom('will', client, will);
    if (isPromise(outcome))
      outcome.then(
        () => this.forgetWill(client.clientId),
        (err: unknown) => this.ctx.log.error({ err, clientId: client.clientId }, 'publishing a will failed'),
      );
    else this.forgetWill(client.clientId);
  }

  /** Adds a session restored from persistence (broker start), disconnected since `disconnectedAt` (epoch ms). */
  restore(session: Session, disconnectedAt: number): void {
    this.sessions.set(session.clientId, session);
    if (session.persisted) this.persistentSessions++;
    this.armExpiry(session, disconnectedAt);
  }

  /** The session's connection closed: drop a clean session, start the expiry clock of a persistent one. */
  detach(session: Session, conn: PeerLink): void {
    if (session.connection !== conn) return;
    session.connection = undefined;
    if (session.clean) {
      this.discard(session);
      return;
    }
    if (session.persisted) {
      // Its queued messages are in the store: memory keeps only their keys while the client is away.
      session.spillLoaded();
      // The expiry clock starts now, in wall-clock time: it keeps running while the broker is down.
      const journal = this.ctx.journal;
      const update =
        session.expiryInterval === undefined
          ? { disconnectedAt: Date.now() }
          : { disconnectedAt: Date.now(), expiryInterval: session.expiryInterval };
      journal.write(journal.store.updateSession(session.clientId, update));
    }
    this.armExpiry(session);
  }

  private armExpiry(session: Session, since = Date.now()): void {
    const seconds = session.expiryInterval ?? this.ctx.config.session_expiry_interval;
    if (seconds <= 0 || seconds >= 0xffffffff) return; // 0 (v3 config) or 0xFFFFFFFF (v5) = never expires
    const expire = (): void => {
      session.expiryTimer = undefined;
      if (session.connection === undefined && this.sessions.get(session.clientId) === session) {
        if (this.ctx.debug) this.ctx.log.debug({ clientId: session.clientId }, 'session expired');
        this.discard(session);
      }
    };
    if (session.expiryTimer !== undefined) clearTimeout(session.expiryTimer);
    session.expiryTimer = timerUntil(since + seconds * 1000, expire, (t) => (session.expiryTimer = t));
  }

  /** Removes a session and everything it holds from the broker's counters and the subscription trie. */
  discard(session: Session): void {
    session.ended = true;
    this.flushWill(session);
    if (session.persisted) {
      // Cleared first, so unsubscribing below does not write each subscription's removal too.
      session.persisted = false;
      this.persistentSessions--;
      this.ctx.journal.write(this.ctx.persistence.deleteSession(session.clientId));
    }
    if (session.expiryTimer !== undefined) clearTimeout(session.expiryTimer);
    session.expiryTimer = undefined;
    this.router.unsubscribeAll(session);
    const stats = this.ctx.stats;
    stats.messagesStored -= session.queueLength;
    stats.inflightOut -= session.inflightCount;
    stats.inflightIn -= session.inboundQos2Count;
    session.clearQueue();
    if (session.inflightCount > 0) session.inflightOut.clear();
    if (session.inboundQos2Count > 0) session.inboundQos2.clear();
    if (this.sessions.get(session.clientId) !== session) return;
    this.sessions.delete(session.clientId);
    const events = this.ctx.events;
    if (events.wants('session:ended')) events.emit('session:ended', { clientId: session.clientId });
  }

  /**
   * Broker shutdown: stop every expiry and will-delay timer. Delayed wills stay stored with their deadline
   * and are published when due after the next start; expiry clocks keep running in wall-clock time.
   */
  close(): void {
    for (const s of this.sessions.values()) {
      if (s.pendingWill !== undefined) clearTimeout(s.pendingWill.timer);
      s.pendingWill = undefined;
      if (s.expiryTimer !== undefined) clearTimeout(s.expiryTimer);
      s.expiryTimer = undefined;
    }
  }
}
