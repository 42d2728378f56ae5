/**
 * The plugin's two Redis connections and what happens to them over time: opening within a deadline,
 * losing and regaining Redis (logged once per outage), publishing without queueing, closing.
 *
 * Two connections because a connection that has subscribed is in subscriber mode (RESP2) and may not
 * publish; keeping the roles apart also means a slow subscription never holds up a publish.
 */
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type { Logger } from '@midge/mqtt-core';
import { redactRedisUrl } from './redis-url.js';
import { messageOf } from './error-message.js';

export interface RedisLinkOptions {
  /** A validated `redis://` / `rediss://` URL (may hold credentials: never logged as is). */
  readonly url: string;
  readonly channel: string;
  /** How long `open` waits for both connections and the subscription. */
  readonly connectTimeoutMs: number;
  readonly logger: Logger;
  /** Aborting it while `open` waits gives up, as a timeout does. */
  readonly signal?: AbortSignal;
  /** Each message published on `channel` (by anyone, this process included). Must not throw. */
  readonly onMessage: (message: Buffer) => void;
}

type Role = 'publisher' | 'subscriber';

/** How long `close` lets QUIT finish before cutting the connection. */
const QUIT_TIMEOUT_MS = 1000;
/** Reconnection delay: doubling from 100 ms up to 2 s, plus jitter so brokers do not reconnect in step. */
const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 2000;
const RETRY_JITTER_MS = 100;

function retryDelay(attempt: number): number {
  return (
    Math.min(RETRY_BASE_MS * 2 ** Math.min(attempt - 1, 10), RETRY_MAX_MS) + Math.floor(Math.random() * RETRY_JITTER_MS)
  );
}

export class RedisLink {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #logger: Logger;
  /** The URL without its password: what logs and errors name. */
  readonly #where: string;
  /** The roles whose connection is ready now. */
  readonly #ready = new Set<Role>();
  /** Set once `open` succeeded: losses before that are `open`'s to report. */
  #started = false;
  #closing = false;
  /** When the current outage began (a connection that was ready closed), or undefined while all is well. */
  #outageSince: number | undefined;
  /** Messages not shared since the last report: not sent while the publisher was down, or whose PUBLISH failed. */
  #dropped = 0;
  /** True after a PUBLISH failed on a live connection, until one succeeds: one warning per streak. */
  #publishFailing = false;
  #lastError: Error | undefined;

  private constructor(options: RedisLinkOptions) {
    this.#channel = options.channel;
    this.#logger = options.logger;
    this.#where = redactRedisUrl(options.url);
    // `satisfies`, not an annotation: ioredis' RedisOptions has `replyMapping?: X | undefined`, which its
    // constructor's own option type refuses under exactOptionalPropertyTypes.
    const common = {
      ...(options.connectTimeoutMs !== undefined ? { connectTimeout: options.connectTimeoutMs } : {}),
      retryStrategy: retryDelay,
    } satisfies RedisOptions;
    this.#publisher = new Redis(options.url, {
      ...common,
      // A message is shared now or never: queued messages would arrive late and out of order with the
      // local deliveries, and a long outage would fill memory.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
    });
    this.#subscriber = new Redis(options.url, {
      ...common,
      // The SUBSCRIBE sent before the first connection is ready waits for it (bounded by `open`'s deadline);
      // after a reconnection ioredis subscribes again by itself (autoResubscribe).
      maxRetriesPerRequest: null,
    });
    this.#watch('publisher', this.#publisher);
    this.#watch('subscriber', this.#subscriber);
    const onMessage = options.onMessage;
    this.#subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => {
      try {
        onMessage(message);
      } catch (err) {
        // A throw here would land in ioredis' reply parser; the message is lost, the link is not.
        this.#logger.error({ err }, 'handling a message from Redis failed');
      }
    });
  }

  /**
   * Connects both connections and subscribes to the channel, or fails within `connectTimeoutMs` with an
   * Error naming the URL (without password) and what to check. On failure nothing is left open.
   */
  static async open(options: RedisLinkOptions): Promise<RedisLink> {
    const link = new RedisLink(options);
    try {
      await link.#connect(options);
    } catch (err) {
      link.#closing = true;
      link.#publisher.disconnect();
      link.#subscriber.disconnect();
      throw err;
    }
    link.#started = true;
    return link;
  }

  /** The URL without its password. */
  get where(): string {
    return this.#where;
  }

  /**
   * Publishes `frame` on the channel if the publisher is connected; otherwise counts it as dropped. Never
   * throws, never queues.
   */
  publish(frame: Buffer): void {
    if (this.#publisher.status !== 'ready') {
      this.#dropped++;
      return;
    }
    this.#publisher.publish(this.#channel, frame).then(this.#published, this.#publishFailed);
  }

  /** Quits both connections, cutting each that has not finished within a second. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all([quitWithin(this.#publisher, QUIT_TIMEOUT_MS), quitWithin(this.#subscriber, QUIT_TIMEOUT_MS)]);
  }

  readonly #published = (): void => {
    this.#publishFailing = false;
  };

  readonly #publishFailed = (err: unknown): void => {
    this.#dropped++;
    // During an outage the reconnection report gives the count; a failure on a live connection (an ACL
    // refusing PUBLISH, a full output buffer) would otherwise go unnoticed.
    if (this.#outageSince !== undefined || this.#publishFailing || this.#closing) return;
    this.#publishFailing = true;
    this.#logger.warn(
      { err, url: this.#where },
      'publishing to Redis failed: messages from this broker are not shared',
    );
  };

  async #connect(options: RedisLinkOptions): Promise<void> {
    const { connectTimeoutMs, signal } = options;
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    let gaveUpWith: Error | undefined;
    const connected = Promise.all([untilReady(this.#publisher), this.#subscriber.subscribe(this.#channel)]);
    // Whichever loses the race below must not become an unhandled rejection (disconnecting rejects it).
    connected.catch(() => undefined);
    const gaveUp = new Promise<never>((_resolve, reject) => {
      const giveUp = (when: string): void => {
        gaveUpWith = this.#unreachable(when);
        reject(gaveUpWith);
      };
      timer = setTimeout(() => giveUp(`within ${connectTimeoutMs} ms`), connectTimeoutMs);
      onAbort = () => giveUp('before the broker stopped waiting for the plugin');
      if (signal?.aborted === true) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([connected, gaveUp]);
    } catch (err) {
      if (err === gaveUpWith) throw err;
      // Redis answered but refused (a SUBSCRIBE denied by an ACL, for example).
      throw new Error(`Redis at ${this.#where} refused to subscribe to '${this.#channel}': ${messageOf(err)}`, {
        cause: err,
      });
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
  }

  #unreachable(when: string): Error {
    const last = this.#lastError === undefined ? '' : ` (last error: ${messageOf(this.#lastError)})`;
    return new Error(
      `cannot reach Redis at ${this.#where} ${when}${last}: check that Redis is running and reachable from ` +
        'this host, and the url option (host, port, redis:// or rediss:// for TLS, user and password)',
    );
  }

  /** Logs connection losses once per outage, and the recovery with the count of messages not shared. */
  #watch(role: Role, redis: Redis): void {
    const logger = this.#logger;
    redis.on('error', (err: Error) => {
      // ioredis reports each failed attempt; the outage is logged once, on close, with the last of them.
      this.#lastError = err;
      if (logger.isLevelEnabled('debug')) logger.debug({ role, err: err.message }, 'Redis connection error');
    });
    redis.on('close', () => {
      const wasReady = this.#ready.delete(role);
      if (!wasReady || !this.#started || this.#closing || this.#outageSince !== undefined) return;
      this.#outageSince = Date.now();
      logger.warn(
        { url: this.#where, role, err: this.#lastError?.message },
        'lost the connection to Redis: reconnecting; messages are not shared with other brokers until it is back',
      );
    });
    redis.on('ready', () => {
      this.#ready.add(role);
      this.#lastError = undefined;
      if (this.#outageSince === undefined || this.#ready.size < 2) return;
      const downMs = Date.now() - this.#outageSince;
      this.#outageSince = undefined;
      const dropped = this.#dropped;
      this.#dropped = 0;
      if (dropped > 0) {
        logger.warn(
          { url: this.#where, downMs, dropped },
          `reconnected to Redis; ${dropped} messages published here meanwhile were not shared`,
        );
      } else {
        logger.info({ url: this.#where, downMs }, 'reconnected to Redis');
      }
    });
  }
}

/** Resolves when `redis` is ready (now or later). */
function untilReady(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => redis.once('ready', () => resolve()));
}

async function quitWithin(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    const outcome = await Promise.race([
      redis.quit().then(
        () => 'quit' as const,
        () => 'failed' as const,
      ),
      timedOut,
    ]);
    if (outcome !== 'quit') redis.disconnect();
  } finally {
    clearTimeout(timer);
  }
}
