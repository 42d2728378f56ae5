/**
 * The node's one connection to NATS and what happens to it over time: opening within a deadline, losing
 * and regaining NATS (reported once per outage by OutageReporter), publishing without queueing,
 * subscribing so that each message reaches this node once, closing.
 */
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import type { Authenticator, NatsConnection, NodeConnectionOptions } from '@nats-io/transport-node';
import { nullLogger } from '@midge/mqtt-core';
import type { Logger } from '@midge/mqtt-core';
import { messageOf } from './error-message.js';
import { OutageReporter } from './outage.js';
import { CONFIRM_INTERVAL_MS, ReliableOutbox } from './reliable-outbox.js';
import type { OutboxCounts } from './reliable-outbox.js';
import { redeliveredCopy } from './wire.js';
import { ThrottledWarning } from './throttled-warning.js';

export interface NatsLinkOptions {
  /** Validated server URLs (`nats://host:port`, `tls://...`, `host:port`); may hold credentials, never logged as is. */
  readonly servers: readonly string[];
  /** Names the connection on the server (`/connz`): `midge:<node>`. */
  readonly name: string;
  /** user/password or nkey, or nothing for a NATS without authorization. */
  readonly authenticator: Authenticator | undefined;
  /** How long `open` waits for a first connection. */
  readonly connectTimeoutMs: number;
  readonly logger: Logger;
  /** Aborting it while `open` waits gives up, as a timeout does. */
  readonly signal?: AbortSignal;
  /** Outages are not logged: another link of the node to the same servers reports them. */
  readonly quietOutages?: boolean;
  /**
   * Called once the link is back after an outage, with when it went down (ms since the epoch), after what
   * was kept for the other nodes went out: the node then reads what it may have missed.
   */
  readonly onRegained?: (downSince: number) => void;
}

/** Reconnection: every 500 ms (plus up to 250 ms, so nodes do not reconnect in step), forever. */
const RECONNECT_WAIT_MS = 500;
const RECONNECT_JITTER_MS = 250;
/** A server that stops answering (hung, or a network that drops packets) is given up after ~30 s. */
const PING_INTERVAL_MS = 10_000;
const MAX_PINGS_OUT = 3;
/** After a reconnection, how long the other nodes get to reconnect before what was kept is sent. */
const RESEND_GRACE_MS = 1500;
/** How long `close` lets the connection flush before it is cut. */
const CLOSE_TIMEOUT_MS = 1000;

export class NatsLink {
  readonly #nc: NatsConnection;
  /** A subscription was made since the last `confirmSubscriptions`. */
  #unconfirmed = false;
  /** The confirmation in flight: a subscription made earlier (of a subject another one now shares) waits for it too. */
  #confirming: Promise<void> | undefined;
  readonly #logger: Logger;
  readonly #where: string;
  readonly #outage: OutageReporter;
  readonly #warnings: ThrottledWarning;
  /**
   * This connection's queue group. Every subscription of the node joins it, and NATS hands a message to
   * one member of a queue group: a message that matches several of the node's subjects (overlapping
   * filters such as `a/#` and `+/b`) comes once. Random, so two nodes never share one.
   */
  readonly queue = `q${randomBytes(6).toString('hex')}`;
  #closing = false;
  /** Messages refused by the client library (larger than the server's max_payload, say), since start. */
  #failed = 0;
  /** QoS 1/2 messages kept until the server confirms them, or until the link is back. */
  readonly #outbox: ReliableOutbox;
  readonly #confirmTimer: NodeJS.Timeout;
  readonly #onRegained: ((downSince: number) => void) | undefined;
  /** When the current outage began (undefined while up). */
  #downSince: number | undefined;
  /** Reconnected, and waiting RESEND_GRACE_MS before sending what was kept. */
  #draining = false;
  #graceTimer: NodeJS.Timeout | undefined;

  private constructor(nc: NatsConnection, options: NatsLinkOptions, where: string) {
    this.#nc = nc;
    this.#logger = options.logger;
    this.#where = where;
    this.#outage = new OutageReporter(options.quietOutages === true ? nullLogger : options.logger, where);
    this.#warnings = new ThrottledWarning(options.logger);
    this.#onRegained = options.onRegained;
    this.#outbox = new ReliableOutbox({
      send: (subject, frame) => this.#send(subject, frame),
      flush: () => nc.flush(),
      markCopy: redeliveredCopy,
    });
    this.#confirmTimer = setInterval(() => {
      if (!this.down && !this.#draining) this.#outbox.confirm();
    }, CONFIRM_INTERVAL_MS).unref();
    void this.#watch();
  }

  /**
   * Connects to one of `servers`, or fails within `connectTimeoutMs` with an Error naming the servers
   * (without passwords), the last error and what to check.
   */
  static async open(options: NatsLinkOptions): Promise<NatsLink> {
    const where = options.servers.map(redactServer).join(', ');
    const connectOptions: NodeConnectionOptions = {
      servers: [...options.servers],
      name: options.name,
      // This node's own messages are routed here already: NATS must not hand them back. (The link of the
      // shared subscriptions is another connection: it does get them, as one member of a group may be here.)
      noEcho: true,
      timeout: options.connectTimeoutMs,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectTimeWait: RECONNECT_WAIT_MS,
      reconnectJitter: RECONNECT_JITTER_MS,
      // Credentials refused during an outage (a server restarted with another config) are retried, logged.
      ignoreAuthErrorAbort: true,
      pingInterval: PING_INTERVAL_MS,
      maxPingOut: MAX_PINGS_OUT,
      ...(options.authenticator === undefined ? {} : { authenticator: options.authenticator }),
    };
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const gaveUp = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(unreachable(where, `within ${options.connectTimeoutMs} ms`)),
        options.connectTimeoutMs,
      );
      onAbort = () => reject(unreachable(where, 'before the broker stopped waiting'));
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
    const connecting = connect(connectOptions);
    try {
      const nc = await Promise.race([connecting, gaveUp]);
      return new NatsLink(nc, options, where);
    } catch (err) {
      // A connection that comes up after the deadline must not stay open.
      connecting.then((nc) => nc.close()).catch(() => undefined);
      if (err instanceof Error && err.message.startsWith('cannot reach NATS')) throw err;
      throw unreachable(where, '', err);
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * The NATS connection itself, for JetStream (the client-id registry, the retained stream). Messages of
   * the cluster go through `publish` and `subscribe`, which count and report.
   */
  get connection(): NatsConnection {
    return this.#nc;
  }

  /** True while NATS is unreachable (an outage). */
  get down(): boolean {
    return this.#outage.down || this.#closing;
  }

  /** The servers without passwords, as logs show them. */
  get where(): string {
    return this.#where;
  }

  /** Where the connection is now (`127.0.0.1:4222`), or undefined while it is down. */
  get server(): string | undefined {
    return this.#outage.down ? undefined : this.#nc.getServer();
  }

  /** Messages not sent because NATS was unreachable, since start. */
  get dropped(): number {
    return this.#outage.droppedTotal;
  }

  /** Messages the client library refused to send, since start. */
  get failed(): number {
    return this.#failed;
  }

  /**
   * Sends again, marked as copies, the QoS 1/2 messages published since `since` that are still kept
   * (about 10 s), for another node that lost its link then. Nothing while NATS is down. Returns how many.
   */
  replayRecent(since: number): number {
    if (this.down) return 0;
    return this.#outbox.replayRecent(since);
  }

  /** What the link kept for at-least-once delivery (`reliable` publishes), since start. */
  get outboxCounts(): Readonly<OutboxCounts> {
    return this.#outbox.counts;
  }

  /**
   * Publishes `data` on `subject` if the connection is up. A `reliable` (QoS 1/2) message is also kept
   * until the server confirms it, and sent again after a reconnection if it did not; while NATS is down it
   * is queued (bounded) and sent once NATS is back. Any other message is counted as dropped while NATS is
   * down (QoS 0 is at most once). Never throws.
   */
  publish(subject: string, data: Uint8Array, reliable = false): boolean {
    if (reliable && this.#draining && !this.#closing) {
      if (this.#outbox.queue(subject, data)) return true;
      this.#outage.drop();
      return false;
    }
    if (this.#outage.down || this.#closing) {
      if (reliable && !this.#closing && this.#outbox.queue(subject, data)) return true;
      this.#outage.drop();
      return false;
    }
    if (!this.#send(subject, data)) return false;
    if (reliable) this.#outbox.published(subject, data);
    return true;
  }

  #send(subject: string, data: Uint8Array): boolean {
    try {
      this.#nc.publish(subject, data);
      return true;
    } catch (err) {
      this.#failed++;
      this.#logger.warn(
        { subject: subject.slice(0, 200), bytes: data.length, err: messageOf(err) },
        'a message could not be sent to the other nodes',
      );
      return false;
    }
  }

  /**
   * Publishes housekeeping (presence) if the connection is up: not counted, never queued, never throws.
   * Messages of clients go through `publish`, which counts what does not leave.
   */
  announce(subject: string, data: Uint8Array): boolean {
    if (this.#outage.down || this.#closing) return false;
    try {
      this.#nc.publish(subject, data);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Subscribes to `subject` in a queue group, this connection's own unless `queue` names another;
   * `onMessage` gets each message's data (must not throw). NATS keeps the subscription across
   * reconnections. Returns the unsubscribe.
   */
  subscribe(subject: string, onMessage: (data: Uint8Array) => void, queue = this.queue): () => void {
    this.#unconfirmed = true;
    const sub = this.#nc.subscribe(subject, {
      queue,
      // A callback, not an iterator: messages are handled in the order they came off the socket.
      callback: (err, msg) => {
        if (err !== null) {
          this.#logger.warn({ subject, err: err.message }, 'NATS refused a subscription of this node');
          return;
        }
        onMessage(msg.data);
      },
    });
    return () => {
      if (!this.#closing && !sub.isClosed()) sub.unsubscribe();
    };
  }

  /**
   * Settles once the server has every subscription made so far (a PING answered after them), or undefined
   * when the server has confirmed them all already, or NATS is down (the subscriptions are sent on reconnection, and
   * a SUBACK cannot wait for an outage). With several NATS servers, the other servers learn the interest
   * through their routes a moment later.
   */
  confirmSubscriptions(): Promise<void> | undefined {
    if (this.#closing || this.down) return undefined;
    if (this.#unconfirmed) {
      this.#unconfirmed = false;
      const confirming = this.#nc.flush().catch(() => undefined);
      this.#confirming = confirming;
      void confirming.then(() => {
        if (this.#confirming === confirming) this.#confirming = undefined;
      });
    }
    return this.#confirming;
  }

  /** Flushes what was published and closes the connection (cut after one second). */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    clearInterval(this.#confirmTimer);
    clearTimeout(this.#graceTimer);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)));
    try {
      await Promise.race([this.#nc.close().catch(() => undefined), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * After a reconnection, what was kept goes out once the other nodes have had time to reconnect and
   * subscribe again (an outage of all of NATS ends for every node within a reconnection wait): meanwhile
   * QoS 1/2 messages keep queueing behind it, in order, and nothing kept is confirmed on the new connection.
   */
  #resendAfterGrace(): void {
    clearTimeout(this.#graceTimer);
    this.#draining = true;
    this.#graceTimer = setTimeout(() => {
      this.#draining = false;
      // Down again: kept until the next reconnection.
      if (this.#closing || this.#outage.down) return;
      const resent = this.#outbox.resend();
      if (resent > 0)
        this.#logger.info(
          { messages: resent },
          'sent what NATS had not confirmed before the outage, and what was routed while it was away',
        );
    }, RESEND_GRACE_MS);
  }

  /** Follows the connection's status for as long as it lives. */
  async #watch(): Promise<void> {
    const nc = this.#nc;
    void nc.closed().then((err) => {
      if (this.#closing) return;
      // With unlimited reconnection this is not expected; said loudly, since nothing crosses nodes any more.
      this.#outage.lost(err instanceof Error ? err.message : undefined);
      this.#logger.error(
        { nats: this.#where, err: err instanceof Error ? err.message : undefined },
        'the connection to NATS closed for good: messages no longer cross nodes; restart this broker',
      );
    });
    let lastError: string | undefined;
    try {
      for await (const s of nc.status()) {
        // Reconnection attempts, pings and cluster updates need nothing from here.
        if (s.type === 'error') {
          lastError = s.error.message;
          // The server refused a publish or subscription: messages silently do not cross. Connection errors
          // are the outage's to report.
          if (/permission/i.test(lastError))
            this.#warnings.warn('NATS refused an operation of this node: check the permissions of its NATS user', {
              err: lastError,
            });
          else if (this.#logger.isLevelEnabled('debug')) this.#logger.debug({ err: lastError }, 'NATS error');
        } else if (s.type === 'disconnect') {
          if (!this.#closing) {
            this.#downSince ??= Date.now();
            this.#outage.lost(lastError);
          }
        } else if (s.type === 'reconnect') {
          lastError = undefined;
          this.#outage.regained(s.server);
          const downSince = this.#downSince;
          this.#downSince = undefined;
          this.#resendAfterGrace();
          if (downSince !== undefined) this.#onRegained?.(downSince);
        }
      }
    } catch (err) {
      this.#logger.error({ err: messageOf(err) }, 'watching the NATS connection failed');
    }
  }
}

/** A server URL without its password, for logs and errors. */
export function redactServer(server: string): string {
  const withScheme = server.includes('://') ? server : `nats://${server}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    // Not reachable with a validated config; never echo an unparsable string that may hold a secret.
    return '(invalid server)';
  }
  if (parsed.password === '') return server;
  parsed.password = '***';
  return parsed.toString().replace(/\/$/, '');
}

function unreachable(where: string, when: string, cause?: unknown): Error {
  const last = cause === undefined ? '' : ` (${messageOf(cause)})`;
  const hint = /authoriz|authentic|credentials|nkey/i.test(last)
    ? 'check the user and password, password_file or nkey_seed_file options against the NATS server authorization'
    : 'check that nats-server is running and reachable from this host, and the servers option';
  return new Error(`cannot reach NATS at ${where}${when === '' ? '' : ` ${when}`}${last}: ${hint}`, {
    ...(cause === undefined ? {} : { cause }),
  });
}
