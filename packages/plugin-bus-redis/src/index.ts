/**
 * @midge/plugin-bus-redis: several Midge brokers share the messages published on each of them through
 * one Redis pub/sub channel, so a subscriber on broker B receives what a client published on broker A.
 *
 * This file is the plugin's definition and options; the wire format is in wire.ts, the loop-free
 * bridging in bus-bridge.ts and the Redis connections in redis-link.ts.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import * as v from 'valibot';
import { definePlugin } from '@midge/mqtt-core';
import type { PluginHooks } from '@midge/mqtt-core';
import { createBusBridge } from './bus-bridge.js';
import { RedisLink } from './redis-link.js';
import { redisUrlProblem } from './redis-url.js';
import { MAX_NODE_ID_BYTES } from './wire.js';

export { BUS_FORMAT_VERSION, MAX_NODE_ID_BYTES, decodeBusMessage, encodeBusMessage } from './wire.js';
export type { BusMessage } from './wire.js';
export { createBusBridge } from './bus-bridge.js';
export type { BusBridge, BusBridgeOptions } from './bus-bridge.js';
export { redactRedisUrl, redisUrlProblem } from './redis-url.js';

export const PLUGIN_NAME = '@midge/plugin-bus-redis';
export const DEFAULT_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_CHANNEL = 'midge:messages';
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 5;

/**
 * A fresh id for a broker that names none: host and process make logs readable, the random part keeps
 * two brokers in one process (tests, embedders) apart, which matters: a broker ignores bus messages
 * carrying its own id.
 */
export function defaultNodeId(): string {
  return `${hostname().slice(0, 64)}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

const redisUrl = v.pipe(
  v.string(),
  v.check(
    (s) => redisUrlProblem(s) === undefined,
    (issue) => redisUrlProblem(String(issue.input)) ?? 'invalid Redis URL',
  ),
);

const nodeId = v.pipe(
  v.string(),
  v.minLength(1, 'must not be empty'),
  v.check(
    (s) => Buffer.byteLength(s, 'utf8') <= MAX_NODE_ID_BYTES,
    `must be at most ${MAX_NODE_ID_BYTES} bytes long in UTF-8`,
  ),
);

export const configSchema = v.strictObject({
  /** The Redis server: redis://[user:password@]host[:port][/db], rediss:// for TLS. */
  url: v.optional(redisUrl, DEFAULT_URL),
  /** The Redis pub/sub channel the brokers of one cluster share. */
  channel: v.optional(v.pipe(v.string(), v.minLength(1, 'must not be empty')), DEFAULT_CHANNEL),
  /** This broker's id on the bus; unique per broker. Default: `<host>:<pid>:<random>`, new at each start. */
  node_id: v.optional(nodeId, defaultNodeId),
  /** Seconds setup waits for Redis before the broker start fails (like the broker's own connect_timeout). */
  connect_timeout: v.optional(
    v.pipe(v.number(), v.gtValue(0, 'must be more than 0 seconds'), v.finite()),
    DEFAULT_CONNECT_TIMEOUT_SECONDS,
  ),
});

export type BusRedisConfig = v.InferOutput<typeof configSchema>;

export default definePlugin({
  name: PLUGIN_NAME,
  apiVersion: 1,
  configSchema,
  async setup(ctx, config: BusRedisConfig): Promise<PluginHooks> {
    const { logger } = ctx;
    const bridge = createBusBridge({
      nodeId: config.node_id,
      broker: ctx.broker,
      logger,
      // Called from the message:broadcast hook only, which the broker registers after setup returned.
      send: (frame) => link.publish(frame),
    });
    const link = await RedisLink.open({
      url: config.url,
      channel: config.channel,
      connectTimeoutMs: config.connect_timeout * 1000,
      logger,
      signal: ctx.signal,
      onMessage: bridge.onBusMessage,
    });
    logger.info(
      { url: link.where, channel: config.channel, node_id: config.node_id },
      'sharing messages through Redis',
    );
    return {
      events: {
        // Bus messages are routed once every plugin is set up, so authorization plugins judge them too.
        'broker:pre-start': bridge.startRouting,
        'message:broadcast': bridge.onBroadcast,
      },
      close: () => link.close(),
    };
  },
});
