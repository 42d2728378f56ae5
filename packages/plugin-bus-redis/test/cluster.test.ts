/**
 * Two real brokers sharing messages through a real redis-server: what a client publishes on A reaches
 * subscribers on B once, never comes back to A, and Redis going away never takes a broker down.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createTestBroker, logText, recordingLogger } from '@midge/mqtt-core/testing';
import type { TestBroker } from '@midge/mqtt-core/testing';
import { PLUGIN_KEY, brokerA, brokerB, packageDir, publishV5, receive, startWithBus, subscriberV5, until } from './broker-helpers.js';
import { RedisServer, freePort, hasRedisServer } from './redis-server.js';
import { DEFAULT_CHANNEL, decodeBusMessage } from '../src/index.js';

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
    expect(await receive(onB, 2)).toEqual([
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
    // B's copies arriving means the messages went through Redis and B routed them: any loop would be under way.
    expect(await receive(onB, 2)).toHaveLength(2);
    expect(await receive(onA, 2)).toEqual([
      { topic: 't/zero', payload: 'q0', qos: 0, retain: false },
      { topic: 't/one', payload: 'q1', qos: 1, retain: false },
    ]);
  });

  it('shares in both directions: a message published on B reaches a subscriber on A', async () => {
    await startBoth();
    const onA = await subscriberV5(brokerA, 't/#');
    await publishV5(await brokerB.connected({ protocolVersion: 5 }), 't/back', 'from b', { qos: 1 });
    expect(await receive(onA, 1)).toEqual([{ topic: 't/back', payload: 'from b', qos: 1, retain: false }]);
  });

  it('stores a retained message published on A on B too: a later subscriber on B gets it with RETAIN=1', async () => {
    const { b } = await startBoth();
    const publisher = await brokerA.connected({ protocolVersion: 5 });
    await publishV5(publisher, 't/state', 'on', { qos: 1, retain: true });
    await until(() => b.broker.stats().retainedCount === 1, 3000, 'B to store the retained message');
    const late = await subscriberV5(brokerB, 't/#');
    expect(await receive(late, 1)).toEqual([{ topic: 't/state', payload: 'on', qos: 1, retain: true }]);
  });

  it('carries v5 user properties and the content type from A to B', async () => {
    await startBoth();
    const onB = await subscriberV5(brokerB, 't/#');
    const publisher = await brokerA.connected({ protocolVersion: 5 });
    await publishV5(publisher, 't/props', '{}', {
      qos: 1,
      properties: { contentType: 'application/json', userProperties: [['trace-id', 'abc-123'], ['unit', '°C']] },
    });
    expect(await receive(onB, 1)).toEqual([
      {
        topic: 't/props',
        payload: '{}',
        qos: 1,
        retain: false,
        contentType: 'application/json',
        userProperties: [['trace-id', 'abc-123'], ['unit', '°C']],
      },
    ]);
  });

  it("does not share $SYS messages: A's broker.publish to $SYS/... stays on A", async () => {
    const { a, b } = await startBoth();
    const onB = await subscriberV5(brokerB, '$SYS/#', 't/#');
    // The subscription works: B's own $SYS messages reach it.
    await b.broker.publish({ topic: '$SYS/broker/name', payload: 'b' });
    expect(await receive(onB, 1, 0)).toEqual([{ topic: '$SYS/broker/name', payload: 'b', qos: 0, retain: false }]);
    await a.broker.publish({ topic: '$SYS/broker/name', payload: 'a' });
    // Redis keeps the order of one connection's messages: had the $SYS message been sent, it would come first.
    await a.broker.publish({ topic: 't/marker', payload: 'after' });
    expect(await receive(onB, 1)).toEqual([{ topic: 't/marker', payload: 'after', qos: 0, retain: false }]);
  });

  it('fails the broker start naming the Redis URL when Redis is unreachable, and leaves no connection retrying', async () => {
    const port = await freePort();
    const url = `redis://user:hunter2@127.0.0.1:${port}`;
    const error = await startWithBus(brokerA, url, 'node-a', { connect_timeout: 0.3 }).then(
      () => undefined,
      (err: unknown) => err as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error?.message).toContain(`redis://user:***@127.0.0.1:${port}`);
    expect(error?.message).not.toContain('hunter2');
    expect(error?.message).toMatch(/cannot reach Redis/);
    // Had the failed setup left a connection reconnecting (every 100 ms doubling), it would show up here.
    const late = await RedisServer.start(port);
    ownServers.push(late);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await late.otherClientCount()).toBe(0);
  });

  it('keeps delivering locally while Redis is down, drops instead of queueing, and shares again once Redis is back', async () => {
    const own = await RedisServer.start();
    ownServers.push(own);
    const { a } = await startBoth(own.url);
    const onA = await subscriberV5(brokerA, 't/#');
    const onB = await subscriberV5(brokerB, 't/#');
    const publisher = await brokerA.connected({ protocolVersion: 5 });

    await own.kill();
    await publishV5(publisher, 't/during', 'outage', { qos: 1 });
    expect(await receive(onA, 1)).toEqual([{ topic: 't/during', payload: 'outage', qos: 1, retain: false }]);
    expect(a.broker.running).toBe(true);

    // Let A's reconnection attempts back off (100, 200, 400 ms...) so the observer below subscribes before A is back.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await own.restart();
    // Sees everything put on the channel from now on: a message A had queued during the outage would show here.
    const observer = new Redis(own.url);
    const onChannel: string[] = [];
    observer.on('messageBuffer', (_channel: Buffer, frame: Buffer) => onChannel.push(decodeBusMessage(frame).message.topic));
    try {
      await observer.subscribe(DEFAULT_CHANNEL);
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
      seenOnB.push(...(await receive(onB, 0)).map((m) => m.topic));
      // What was published during the outage is gone for good (at most once), not delivered late.
      expect(seenOnB.filter((topic) => !topic.startsWith('t/after/'))).toEqual([]);
      expect(onChannel.length).toBeGreaterThan(0);
      expect(onChannel.filter((topic) => !topic.startsWith('t/after/'))).toEqual([]);
      expect(a.broker.running).toBe(true);
    } finally {
      observer.disconnect();
    }
  });

  it('closes the broker promptly while Redis is down, and leaves no connection retrying', async () => {
    const own = await RedisServer.start();
    ownServers.push(own);
    await startWithBus(brokerA, own.url, 'node-a');
    await own.kill();
    const started = Date.now();
    await brokerA.close();
    expect(Date.now() - started).toBeLessThan(1500);
    // Had a connection kept reconnecting after close (every 100 ms doubling), it would show up here.
    await own.restart();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await own.otherClientCount()).toBe(0);
  });

  it('logs one warning per Redis outage, not one per retry, and the count of messages not shared once it is back', async () => {
    const own = await RedisServer.start();
    ownServers.push(own);
    const logger = recordingLogger();
    let broker: TestBroker | undefined;
    try {
      broker = await createTestBroker({ plugins: { [PLUGIN_KEY]: { url: own.url, node_id: 'logged' } } }, { searchDirs: [packageDir], logger });
      await own.kill();
      await until(() => /lost the connection to Redis/.test(logText(logger.records, 'warn')), 3000, 'the outage warning');
      for (let i = 0; i < 3; i++) await broker.broker.publish({ topic: 't/lost', payload: String(i) });
      // Long enough for several reconnection attempts (100, 200, 400 ms...).
      await new Promise((resolve) => setTimeout(resolve, 1000));
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
