/**
 * Two real brokers sharing messages through a real redis-server: what a client publishes on A reaches
 * subscribers on B once, never comes back to A, and Redis going away never takes a broker down.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Redis } from 'ioredis';
import type * as IoRedis from 'ioredis';
import { createTestBroker, logText, recordingLogger } from '@midge/mqtt-core/testing';
import type { TestBroker } from '@midge/mqtt-core/testing';
import {
  MARKER_TOPIC,
  PLUGIN_KEY,
  brokerA,
  brokerB,
  markerFrom,
  packageDir,
  publishV5,
  receive,
  startWithBus,
  subscriberV5,
  until,
} from './broker-helpers.js';
import { RedisServer, freePort, hasRedisServer } from './redis-server.js';
import { DEFAULT_CHANNEL, decodeBusMessage } from '../src/index.js';

interface TrackedRedis extends Redis {
  /** disconnect() was called without asking to reconnect: ioredis will not connect again. */
  gaveUp: boolean;
  /** How many times it began a reconnection. */
  reconnects: number;
}

/**
 * Every ioredis client made in this file, the plugins' included, so that a test sees what the plugin
 * did with its own connections (gave them up, retried) instead of waiting to see whether a retry comes.
 * `hold` keeps the listed clients from connecting until its gate opens.
 */
const redisClients = vi.hoisted(() => ({
  made: [] as TrackedRedis[],
  hold: undefined as { clients: Set<unknown>; until: Promise<void> } | undefined,
}));
vi.mock('ioredis', async (importOriginal) => {
  const real = await importOriginal<typeof IoRedis>();
  class Tracked extends real.Redis {
    gaveUp = false;
    reconnects = 0;
    constructor(...args: ConstructorParameters<typeof real.Redis>) {
      super(...args);
      this.on('reconnecting', () => this.reconnects++);
      redisClients.made.push(this);
    }
    override disconnect(reconnect = false): void {
      if (!reconnect) this.gaveUp = true;
      super.disconnect(reconnect);
    }
    // Retries go through connect(): a held client waits here.
    override async connect(callback?: Parameters<InstanceType<typeof real.Redis>['connect']>[0]): Promise<void> {
      const hold = redisClients.hold;
      if (hold?.clients.has(this) === true) await hold.until;
      return super.connect(callback);
    }
  }
  return { ...real, Redis: Tracked, default: Tracked };
});

/** The ioredis clients made since `mark` (a length of `redisClients.made`). */
const madeSince = (mark: number): TrackedRedis[] => redisClients.made.slice(mark);
const reconnectsSince = (mark: number): number => madeSince(mark).reduce((n, c) => n + c.reconnects, 0);
/** Gave up for good: disconnected without reconnecting, or ended (QUIT went through). */
const gaveUp = (c: TrackedRedis): boolean => c.gaveUp || c.status === 'end';

if (!hasRedisServer) {
  console.warn('bus-redis cluster tests SKIPPED: /usr/bin/redis-server not found (apt-get install redis-server)');
}

describe.skipIf(!hasRedisServer && process.env.CI === undefined)('two brokers sharing messages through Redis', () => {
  let redis: RedisServer;
  /** Servers a single test starts for itself (to kill or to start late), killed after it. */
  const ownServers: RedisServer[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    // Brokers first (this hook runs before broker-helpers' one), so they quit Redis rather than lose it.
    await Promise.all([brokerA.close(), brokerB.close()]);
    await Promise.all(ownServers.splice(0).map((s) => s.kill()));
  });
  afterAll(async () => {
    await redis?.kill();
  });

  const startBoth = async (url = redis.url) => ({
    a: await startWithBus(brokerA, url, 'node-a'),
    b: await startWithBus(brokerB, url, 'node-b'),
  });

  it('delivers a QoS 0 and a QoS 1 message published on A to a subscriber on B, exactly once each', async () => {
    await startBoth();
    const onB = await subscriberV5(brokerB, 't/#');
    const publisher = await brokerA.connected({ protocolVersion: 5 });
    await publishV5(publisher, 't/zero', 'q0', { qos: 0 });
    await publishV5(publisher, 't/one', 'q1', { qos: 1 });
    expect(await receive(onB, 2, markerFrom(publisher))).toEqual([
      { topic: 't/zero', payload: 'q0', qos: 0, retain: false },
      { topic: 't/one', payload: 'q1', qos: 1, retain: false },
    ]);
  });

  it('delivers each message once to a subscriber on the publishing broker (nothing loops back through B)', async () => {
    await startBoth();
    const onA = await subscriberV5(brokerA, 't/#');
    const onB = await subscriberV5(brokerB, 't/#');
    const publisher = await brokerA.connected({ protocolVersion: 5 });
    await publishV5(publisher, 't/zero', 'q0', { qos: 0 });
    await publishV5(publisher, 't/one', 'q1', { qos: 1 });
    // B's copies arriving means the messages went through Redis and B routed them: any loop would be under way,
    // and a copy B sent back would reach A before a marker B sends after it.
    expect(await receive(onB, 2, markerFrom(publisher))).toHaveLength(2);
    expect(await receive(onA, 2, markerFrom(await brokerB.connected({ protocolVersion: 5 })))).toEqual([
      { topic: 't/zero', payload: 'q0', qos: 0, retain: false },
      { topic: 't/one', payload: 'q1', qos: 1, retain: false },
    ]);
  });

  it('shares in both directions: a message published on B reaches a subscriber on A', async () => {
    await startBoth();
    const onA = await subscriberV5(brokerA, 't/#');
    const publisher = await brokerB.connected({ protocolVersion: 5 });
    await publishV5(publisher, 't/back', 'from b', { qos: 1 });
    expect(await receive(onA, 1, markerFrom(publisher))).toEqual([
      { topic: 't/back', payload: 'from b', qos: 1, retain: false },
    ]);
  });

  it('stores a retained message published on A on B too: a later subscriber on B gets it with RETAIN=1', async () => {
    const { b } = await startBoth();
    const publisher = await brokerA.connected({ protocolVersion: 5 });
    await publishV5(publisher, 't/state', 'on', { qos: 1, retain: true });
    await until(() => b.broker.stats().retainedCount === 1, 3000, 'B to store the retained message');
    const late = await subscriberV5(brokerB, 't/#');
    expect(await receive(late, 1, markerFrom(publisher))).toEqual([
      { topic: 't/state', payload: 'on', qos: 1, retain: true },
    ]);
  });

  it('carries v5 user properties and the content type from A to B', async () => {
    await startBoth();
    const onB = await subscriberV5(brokerB, 't/#');
    const publisher = await brokerA.connected({ protocolVersion: 5 });
    await publishV5(publisher, 't/props', '{}', {
      qos: 1,
      properties: {
        contentType: 'application/json',
        userProperties: [
          ['trace-id', 'abc-123'],
          ['unit', '°C'],
        ],
      },
    });
    expect(await receive(onB, 1, markerFrom(publisher))).toEqual([
      {
        topic: 't/props',
        payload: '{}',
        qos: 1,
        retain: false,
        contentType: 'application/json',
        userProperties: [
          ['trace-id', 'abc-123'],
          ['unit', '°C'],
        ],
      },
    ]);
  });

  it("does not share $SYS messages: A's broker.publish to $SYS/... stays on A", async () => {
    const { a, b } = await startBoth();
    const onB = await subscriberV5(brokerB, '$SYS/#', 't/#');
    // The subscription works: B's own $SYS messages reach it.
    await b.broker.publish({ topic: '$SYS/broker/name', payload: 'b' }, { trusted: true });
    const markerOn = (tb: TestBroker) => (payload: string) =>
      tb.broker.publish({ topic: MARKER_TOPIC, payload }, { trusted: true });
    expect(await receive(onB, 1, markerOn(b))).toEqual([
      { topic: '$SYS/broker/name', payload: 'b', qos: 0, retain: false },
    ]);
    await a.broker.publish({ topic: '$SYS/broker/name', payload: 'a' }, { trusted: true });
    // Redis keeps the order of one connection's messages: had the $SYS message been sent, it would come first.
    expect(await receive(onB, 0, markerOn(a))).toEqual([]);
  });

  it('fails the broker start naming the Redis URL when Redis is unreachable, and leaves no connection retrying', async () => {
    const port = await freePort();
    const url = `redis://user:hunter2@127.0.0.1:${port}`;
    const mark = redisClients.made.length;
    const error = await startWithBus(brokerA, url, 'node-a', { connect_timeout: 0.3 }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toContain(`redis://user:***@127.0.0.1:${port}`);
    expect(error?.message).not.toContain('hunter2');
    expect(error?.message).toMatch(/cannot reach Redis/);
    // The plugin's publisher and subscriber were both given up: neither will try again.
    const plugin = madeSince(mark);
    expect(plugin).toHaveLength(2);
    expect(plugin.every(gaveUp)).toBe(true);
  });

  it('keeps delivering locally while Redis is down, drops instead of queueing, and shares again once Redis is back', async () => {
    const own = await RedisServer.start();
    ownServers.push(own);
    const mark = redisClients.made.length;
    const { a } = await startBoth(own.url);
    const brokerClients = new Set<unknown>(madeSince(mark));
    const onA = await subscriberV5(brokerA, 't/#');
    const onB = await subscriberV5(brokerB, 't/#');
    const publisher = await brokerA.connected({ protocolVersion: 5 });

    await own.kill();
    await publishV5(publisher, 't/during', 'outage', { qos: 1 });
    expect(await receive(onA, 1, markerFrom(publisher))).toEqual([
      { topic: 't/during', payload: 'outage', qos: 1, retain: false },
    ]);
    expect(a.broker.running).toBe(true);

    // The brokers' clients reconnect only once the observer below has subscribed.
    let reconnect!: () => void;
    redisClients.hold = { clients: brokerClients, until: new Promise<void>((resolve) => (reconnect = resolve)) };
    await own.restart();
    // Sees everything put on the channel from now on: a message A had queued during the outage would show here.
    const observer = new Redis(own.url);
    const onChannel: string[] = [];
    observer.on('messageBuffer', (_channel: Buffer, frame: Buffer) =>
      onChannel.push(decodeBusMessage(frame).message.topic),
    );
    try {
      await observer.subscribe(DEFAULT_CHANNEL);
      reconnect();
      // Publish until B gets one: both of A's and B's connections must have reconnected (and B resubscribed).
      const seenOnB: string[] = [];
      for (let i = 0; seenOnB.length === 0; i++) {
        if (i >= 40) throw new Error('no message reached B within 8 s of Redis coming back');
        await publishV5(publisher, `t/after/${i}`, 'back', { qos: 0 });
        try {
          seenOnB.push((await onB.expectPacket('publish', 200)).topic);
        } catch (err) {
          if (!(err as Error).message.startsWith('no packet within')) throw err;
        }
      }
      seenOnB.push(...(await receive(onB, 0, markerFrom(publisher))).map((m) => m.topic));
      // What was published during the outage is gone for good (at most once), not delivered late.
      expect(seenOnB.filter((topic) => !topic.startsWith('t/after/'))).toEqual([]);
      expect(onChannel.length).toBeGreaterThan(0);
      // The one marker on the channel is the one sent after Redis came back, for the check above.
      expect(onChannel.filter((topic) => !topic.startsWith('t/after/'))).toEqual([MARKER_TOPIC]);
      expect(a.broker.running).toBe(true);
    } finally {
      redisClients.hold = undefined;
      observer.disconnect();
    }
  });

  it('closes the broker promptly while Redis is down, and leaves no connection retrying', async () => {
    const own = await RedisServer.start();
    ownServers.push(own);
    const mark = redisClients.made.length;
    await startWithBus(brokerA, own.url, 'node-a');
    await own.kill();
    const started = Date.now();
    await brokerA.close();
    expect(Date.now() - started).toBeLessThan(1500);
    // Both of the plugin's clients were given up at close: neither will try again.
    const plugin = madeSince(mark);
    expect(plugin).toHaveLength(2);
    expect(plugin.every(gaveUp)).toBe(true);
  });

  it('logs one warning per Redis outage, not one per retry, and the count of messages not shared once it is back', async () => {
    const own = await RedisServer.start();
    ownServers.push(own);
    const logger = recordingLogger();
    let broker: TestBroker | undefined;
    try {
      const mark = redisClients.made.length;
      broker = await createTestBroker(
        { plugins: { [PLUGIN_KEY]: { url: own.url, node_id: 'logged' } } },
        { searchDirs: [packageDir], logger },
      );
      await own.kill();
      await until(
        () => /lost the connection to Redis/.test(logText(logger.records, 'warn')),
        3000,
        'the outage warning',
      );
      for (let i = 0; i < 3; i++)
        await broker.broker.publish({ topic: 't/lost', payload: String(i) }, { trusted: true });
      // Several reconnection attempts (two each for the publisher and the subscriber) fail before Redis is back.
      await until(() => reconnectsSince(mark) >= 4, 5000, 'several reconnection attempts');
      await own.restart();
      await until(() => /reconnected to Redis/.test(logText(logger.records, 'warn')), 5000, 'the reconnection report');
      const warnings = logger.records.filter((r) => r.level === 'warn' && /Redis/.test(r.msg));
      expect(warnings.map((r) => r.msg)).toEqual([
        'lost the connection to Redis: reconnecting; messages are not shared with other brokers until it is back',
        'reconnected to Redis; 3 messages published here meanwhile were not shared',
      ]);
      expect(warnings[1]?.obj).toMatchObject({ dropped: 3, url: own.url });
      expect(logger.records.filter((r) => r.level === 'error')).toEqual([]);
    } finally {
      await broker?.close();
    }
  });
});
