import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { BrokerEvents, Message, PublishAuthority, PublishOptions } from '@midge/mqtt-core';
import { fakePluginContext, issuePaths, logText, setupPlugin, validatePluginConfig } from '@midge/mqtt-core/testing';
import plugin, {
  DEFAULT_CHANNEL,
  DEFAULT_CONNECT_TIMEOUT_SECONDS,
  DEFAULT_URL,
  createBusBridge,
  decodeBusMessage,
  encodeBusMessage,
  redactRedisUrl,
} from '../src/index.js';

const validate = (input: unknown) => validatePluginConfig(plugin, input);

/** A port nothing listens on (taken from the OS, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('@midge/plugin-bus-redis', () => {
  it('is a v1 plugin named after its package', () => {
    expect(plugin.name).toBe('@midge/plugin-bus-redis');
    expect(plugin.apiVersion).toBe(1);
  });

  describe('config', () => {
    it('defaults to the local Redis, the midge:messages channel and a 5 s connect timeout', async () => {
      const result = await validate({});
      expect(result.issues).toBeUndefined();
      expect(result).toMatchObject({
        value: { url: 'redis://127.0.0.1:6379', channel: 'midge:messages', connect_timeout: 5 },
      });
      expect([DEFAULT_URL, DEFAULT_CHANNEL, DEFAULT_CONNECT_TIMEOUT_SECONDS]).toEqual([
        'redis://127.0.0.1:6379',
        'midge:messages',
        5,
      ]);
    });

    it('gives each broker without node_id a different one', async () => {
      const a = await validate({});
      const b = await validate({});
      if (a.issues || b.issues) throw new Error('unexpected issues');
      expect(a.value.node_id).toMatch(/^.+:\d+:[0-9a-f]{8}$/);
      expect(a.value.node_id).not.toBe(b.value.node_id);
    });

    it('accepts redis:// and rediss:// URLs with credentials and a db', async () => {
      for (const url of [
        'redis://redis:6379',
        'rediss://user:p%40ss@cache.example.com:6380/2',
        'redis://:secret@10.0.0.5',
      ]) {
        expect((await validate({ url })).issues, url).toBeUndefined();
      }
      const result = await validate({ url: 'rediss://h:1', channel: 'c', node_id: 'broker-1', connect_timeout: 0.25 });
      expect(result).toMatchObject({
        value: { url: 'rediss://h:1', channel: 'c', node_id: 'broker-1', connect_timeout: 0.25 },
      });
    });

    it('rejects unknown keys with their path', async () => {
      expect(issuePaths(await validate({ host: 'redis' }))).toEqual(['host']);
      expect(issuePaths(await validate({ nodeId: 'a' }))).toEqual(['nodeId']);
    });

    it('names the key of a value of the wrong type', async () => {
      expect(issuePaths(await validate({ url: 6379 }))).toEqual(['url']);
      expect(issuePaths(await validate({ channel: ['a'] }))).toEqual(['channel']);
      expect(issuePaths(await validate({ node_id: 7 }))).toEqual(['node_id']);
      expect(issuePaths(await validate({ connect_timeout: '5s' }))).toEqual(['connect_timeout']);
    });

    it('rejects URLs that are not redis:// or rediss://, and says why', async () => {
      const http = await validate({ url: 'http://redis:6379' });
      expect(issuePaths(http)).toEqual(['url']);
      expect(http.issues?.[0]?.message).toMatch(/redis:\/\/ or rediss:\/\//);
      expect(issuePaths(await validate({ url: 'redis:6379' }))).toEqual(['url']);
      expect(issuePaths(await validate({ url: '127.0.0.1:6379' }))).toEqual(['url']);
    });

    it('rejects an empty channel, an empty or over-long node_id, and a timeout that is not a positive number of seconds', async () => {
      expect(issuePaths(await validate({ channel: '' }))).toEqual(['channel']);
      expect(issuePaths(await validate({ node_id: '' }))).toEqual(['node_id']);
      expect(issuePaths(await validate({ node_id: 'é'.repeat(128) }))).toEqual(['node_id']); // 256 bytes
      expect((await validate({ node_id: 'n'.repeat(255) })).issues).toBeUndefined();
      for (const connect_timeout of [0, -1, Number.POSITIVE_INFINITY]) {
        expect(issuePaths(await validate({ connect_timeout })), String(connect_timeout)).toEqual(['connect_timeout']);
      }
    });
  });

  describe('setup without Redis', () => {
    it('fails within connect_timeout, naming the URL without its password and what to check', async () => {
      const port = await closedPort();
      const started = Date.now();
      const setup = setupPlugin(plugin, { url: `redis://app:s3cret@127.0.0.1:${port}`, connect_timeout: 0.3 });
      const error = await setup.then(
        () => undefined,
        (err: unknown) => err as Error,
      );
      expect(error?.message).toContain(`redis://app:***@127.0.0.1:${port}`);
      expect(error?.message).not.toContain('s3cret');
      expect(error?.message).toMatch(/within 300 ms.*ECONNREFUSED.*check that Redis is running/);
      expect(Date.now() - started).toBeLessThan(2000);
    });
  });

  describe('redactRedisUrl', () => {
    it('masks the password and keeps user, host, port and db', () => {
      expect(redactRedisUrl('redis://user:pw@h:6379/3')).toBe('redis://user:***@h:6379/3');
      expect(redactRedisUrl('rediss://:pw@h')).toBe('rediss://:***@h');
      expect(redactRedisUrl('redis://h:6379')).toBe('redis://h:6379');
      expect(redactRedisUrl('not a url with pw')).toBe('(invalid url)');
    });
  });
});

/**
 * The bridge with a broker stub that routes as the real one does: `publish` emits `message:broadcast`
 * with the origin the publish named. With `deferBroadcasts`, the events wait until `broadcastLater()` (a
 * broker that routes a message after `publish` returned).
 */
function bridgeWithBroker(nodeId = 'node-a', { deferBroadcasts = false } = {}) {
  const ctx = fakePluginContext();
  const sent: Buffer[] = [];
  const routed: PublishOptions[] = [];
  const authorities: PublishAuthority[] = [];
  const deferred: BrokerEvents['message:broadcast'][] = [];
  const bridge = createBusBridge({
    nodeId,
    logger: ctx.logger,
    send: (frame) => sent.push(frame),
    broker: {
      publish: (options, authority) => {
        routed.push(options);
        authorities.push(authority);
        const message: Message = { qos: 0, retain: false, ...options, payload: Buffer.from(options.payload) };
        const event = { client: undefined, message, origin: authority.origin ?? 'api' };
        if (deferBroadcasts) deferred.push(event);
        else bridge.onBroadcast(event);
        return Promise.resolve();
      },
    },
  });
  const broadcastLater = (): void => {
    for (const event of deferred.splice(0)) bridge.onBroadcast(event);
  };
  bridge.startRouting();
  return { bridge, sent, routed, authorities, broadcastLater, logger: ctx.logger };
}

const message = (topic: string, payload = 'x'): Message => ({
  topic,
  payload: Buffer.from(payload),
  qos: 1,
  retain: false,
});
/** `message:broadcast` of a message a client of this broker published. */
const fromClient = (m: Message): BrokerEvents['message:broadcast'] => ({
  client: undefined,
  message: m,
  origin: 'client',
});

describe('bus bridge', () => {
  it('sends what the broker routes, encoded with its node id', () => {
    const { bridge, sent } = bridgeWithBroker('node-a');
    bridge.onBroadcast(fromClient(message('t/1', 'hello')));
    expect(sent).toHaveLength(1);
    expect(decodeBusMessage(sent[0]!)).toEqual({ nodeId: 'node-a', message: message('t/1', 'hello') });
  });

  it('does not send $ topics', () => {
    const { bridge, sent } = bridgeWithBroker();
    bridge.onBroadcast(fromClient(message('$SYS/broker/uptime')));
    bridge.onBroadcast(fromClient(message('$internal/x')));
    expect(sent).toHaveLength(0);
  });

  it("routes another broker's message with its topic, payload, QoS, retain and properties, and does not send it back", () => {
    const { bridge, sent, routed } = bridgeWithBroker('node-a');
    const incoming: Message = {
      ...message('t/2', 'from b'),
      qos: 2,
      retain: true,
      properties: { userProperties: [['k', 'v']] },
    };
    bridge.onBusMessage(encodeBusMessage(incoming, 'node-b'));
    expect(routed).toEqual([
      {
        topic: 't/2',
        payload: Buffer.from('from b'),
        qos: 2,
        retain: true,
        properties: { userProperties: [['k', 'v']] },
      },
    ]);
    expect(sent).toHaveLength(0); // its broadcast carried the cluster origin
    bridge.onBroadcast(fromClient(message('t/3'))); // a local message still goes out
    expect(sent).toHaveLength(1);
  });

  it("publishes another broker's message trusted, with the origin cluster:<that broker's node id>", () => {
    const { bridge, authorities } = bridgeWithBroker('node-a');
    bridge.onBusMessage(encodeBusMessage(message('t/origin'), 'node-b'));
    expect(authorities).toEqual([{ trusted: true, origin: 'cluster:node-b' }]);
  });

  it("does not send another broker's message back even when the broker broadcasts it after publish returned", () => {
    const { bridge, sent, routed, broadcastLater } = bridgeWithBroker('node-a', { deferBroadcasts: true });
    bridge.onBusMessage(encodeBusMessage(message('t/late'), 'node-b'));
    expect(routed.map((o) => o.topic)).toEqual(['t/late']);
    bridge.onBroadcast(fromClient(message('t/local')));
    broadcastLater();
    expect(sent.map((f) => decodeBusMessage(f).message.topic)).toEqual(['t/local']);
  });

  it('ignores its own messages echoed by Redis', () => {
    const { bridge, routed } = bridgeWithBroker('node-a');
    bridge.onBusMessage(encodeBusMessage(message('t/echo'), 'node-a'));
    expect(routed).toHaveLength(0);
  });

  it('drops bus messages until routing starts', () => {
    const ctx = fakePluginContext();
    const routed: PublishOptions[] = [];
    const bridge = createBusBridge({
      nodeId: 'node-a',
      logger: ctx.logger,
      send: () => undefined,
      broker: { publish: (o) => (routed.push(o), Promise.resolve()) },
    });
    bridge.onBusMessage(encodeBusMessage(message('t/early'), 'node-b'));
    expect(routed).toHaveLength(0);
    bridge.startRouting();
    bridge.onBusMessage(encodeBusMessage(message('t/late'), 'node-b'));
    expect(routed.map((o) => o.topic)).toEqual(['t/late']);
  });

  it('logs an undecodable message at warn with its size, not its content, and keeps going', () => {
    const { bridge, routed, logger } = bridgeWithBroker();
    bridge.onBusMessage(Buffer.from('secret-garbage'));
    expect(logText(logger.records, 'warn')).toMatch(/could not be decoded/);
    const record = logger.records.find((r) => r.level === 'warn');
    expect(record?.obj).toMatchObject({ bytes: 14 });
    expect(JSON.stringify(record)).not.toContain('secret-garbage');
    bridge.onBusMessage(encodeBusMessage(message('t/ok'), 'node-b'));
    expect(routed.map((o) => o.topic)).toEqual(['t/ok']);
  });

  it('logs a message this broker refuses to route instead of throwing, and keeps sharing local messages', async () => {
    const ctx = fakePluginContext();
    const sent: Buffer[] = [];
    const bridge = createBusBridge({
      nodeId: 'node-a',
      logger: ctx.logger,
      send: (frame) => sent.push(frame),
      broker: { publish: () => Promise.reject(new Error("cannot publish to 'x': too long")) },
    });
    bridge.startRouting();
    expect(() => bridge.onBusMessage(encodeBusMessage(message('x'), 'node-b'))).not.toThrow();
    await new Promise((resolve) => setImmediate(resolve));
    expect(logText(ctx.logger.records, 'warn')).toMatch(/not routed here/);
    bridge.onBroadcast(fromClient(message('t/after')));
    expect(sent).toHaveLength(1);
  });
});
