/**
 * Issue 11, finding 1: one packet must never kill the broker. A second CONNECT with an unsupported
 * protocol level or name on a connected v5 session used to throw out of the socket's 'data' handler
 * (DISCONNECT 0x84 cannot be encoded) and end the process. Every test here runs the broker in this
 * process: an exception that escapes fails the run, and each test checks the broker still serves.
 */
import { connect as netConnect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startListener, type Listener } from '../../src/broker/listeners.js';
import type { BrokerContext } from '../../src/broker/context.js';
import { encodePacket } from '../../src/codec/index.js';
import type { Broker } from '../../src/broker/broker.js';
import { allow, definePlugin } from '../../src/plugin-api/index.js';
import type { RawClient } from '../../src/testing/index.js';
import { Harness, publish, subscribe, until } from '../broker/helpers.js';

const h = new Harness();
afterEach(() => h.stop());

function ctxOf(broker: Broker): BrokerContext {
  return (broker as unknown as { ctx: BrokerContext }).ctx;
}

/** A fresh client can still connect, subscribe, publish and receive. */
async function brokerStillServes(): Promise<void> {
  const sub = await h.subscriber('alive/#', 0, `alive-sub-${Date.now()}`);
  const pub = await h.connected();
  publish(pub, 'alive/check', 'yes');
  const msg = await sub.expectPacket('publish');
  expect(msg.payload.toString()).toBe('yes');
}

/** Bytes of a CONNECT (clean, keepalive 0, client id "a") with the given protocol name and level. */
function connectBytes(name: string, level: number, v5Properties: boolean): Buffer {
  const nameBytes = Buffer.from(name, 'latin1');
  const body = Buffer.concat([
    Buffer.from([0, nameBytes.length]),
    nameBytes,
    Buffer.from([level, 0x02, 0, 0]),
    v5Properties ? Buffer.from([0]) : Buffer.alloc(0),
    Buffer.from([0, 1, 0x61]),
  ]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

async function expectDisconnect(c: RawClient, reasonCode: number): Promise<void> {
  const d = await c.expectPacket('disconnect');
  expect(d.reasonCode).toBe(reasonCode);
  await c.closed();
}

describe('a second CONNECT on a connected session [MQTT-3.1.0-2]', () => {
  for (const [what, name, level] of [
    ['protocol level 6', 'MQTT', 6],
    ['protocol name MQTX', 'MQTX', 5],
    ['protocol level 4 (a valid 3.1.1 CONNECT)', 'MQTT', 4],
    ['protocol name MQIsdp level 3', 'MQIsdp', 3],
  ] as const) {
    it(`[MQTT-3.1.0-2] v5: ${what} gets DISCONNECT 0x82, the broker keeps serving`, async () => {
      await h.start();
      const attacker = await h.v5('attacker');
      attacker.send(connectBytes(name, level, level === 5 || level === 6));
      await expectDisconnect(attacker, 0x82);
      await brokerStillServes();
    });
  }

  it('[MQTT-3.1.0-2] v5: a malformed second CONNECT (reserved flag set) is still a protocol error, 0x82', async () => {
    await h.start();
    const attacker = await h.v5('attacker');
    const bytes = connectBytes('MQTT', 5, true);
    bytes[9] = 0x03; // connect flags: clean + the reserved bit
    attacker.send(bytes);
    await expectDisconnect(attacker, 0x82);
    await brokerStillServes();
  });

  it('[MQTT-3.1.0-2] 3.1.1: a second CONNECT with protocol level 6 closes the connection without an answer', async () => {
    await h.start();
    const attacker = await h.connected('attacker');
    attacker.send(connectBytes('MQTT', 6, false));
    await attacker.closed();
    await expect(attacker.next()).rejects.toThrow('connection is closed'); // nothing came before the close
    await brokerStillServes();
  });

  it('[MQTT-3.1.0-2] a second CONNECT in the same chunk as the first one', async () => {
    await h.start();
    const attacker = await h.client();
    attacker.setProtocolVersion(5);
    attacker.send(Buffer.concat([connectBytes('MQTT', 5, true), connectBytes('MQTT', 6, true)]));
    expect((await attacker.expectPacket('connack')).reasonCode).toBe(0);
    await expectDisconnect(attacker, 0x82);
    await brokerStillServes();
  });

  it('a second CONNECT while an async authentication is pending closes only that connection', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slowAuth = definePlugin({
      name: 'slow-auth',
      apiVersion: 1,
      setup: () => ({
        authenticate: ({ client }) => (client.clientId === 'attacker' ? gate.then(() => allow) : allow),
      }),
    });
    await h.start({}, { plugins: [slowAuth] });
    const attacker = await h.client();
    attacker.setProtocolVersion(5);
    const first = encodePacket(
      { type: 'connect', protocolName: 'MQTT', protocolVersion: 5, clean: true, keepalive: 0, clientId: 'attacker' },
      5,
    );
    attacker.send(Buffer.concat([first, connectBytes('MQTT', 6, true)]));
    await attacker.closed();
    release();
    await expect(attacker.next()).rejects.toThrow('connection is closed'); // nothing came before the close
    await brokerStillServes();
  });
});

describe('closing a connection never throws', () => {
  it('a close with a CONNACK-only reason code sends a DISCONNECT-legal one (0x84 → 0x82)', async () => {
    const tb = await h.start();
    const c = await h.v5('victim');
    await until(() => tb.broker.stats().clientsConnected === 1);
    const conn = [
      ...(tb.broker as unknown as { connections: Set<{ close(r: string, g: boolean, o: object): void }> }).connections,
    ][0]!;
    conn.close('test', false, { reasonCode: 0x84 });
    await expectDisconnect(c, 0x82);
    await brokerStillServes();
  });

  it('a session store that throws while a connection closes: the socket still closes, the error is counted', async () => {
    const tb = await h.start();
    const ctx = ctxOf(tb.broker);
    const c = await h.connected('victim');
    const detach = ctx.sessions.detach.bind(ctx.sessions);
    ctx.sessions.detach = () => {
      ctx.sessions.detach = detach;
      throw new Error('injected: detach failed');
    };
    c.send({ type: 'disconnect' });
    await c.closed();
    await until(() => tb.broker.stats().connectionErrors === 1);
    await brokerStillServes();
  });
});

/** Makes the router throw on filter 'boom', subscribes `c` to it and expects DISCONNECT 0x83. */
async function subscribeToInjectedFailure(ctx: BrokerContext, c: RawClient): Promise<void> {
  const original = ctx.router.subscribe.bind(ctx.router);
  ctx.router.subscribe = (...args) => {
    if (args[1] === 'boom') throw new Error('injected: subscribe failed');
    return original(...args);
  };
  c.send(
    {
      type: 'subscribe',
      packetId: 1,
      subscriptions: [{ topic: 'boom', qos: 0, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
    },
    5,
  );
  await expectDisconnect(c, 0x83);
}

describe('no exception from one connection reaches the process', () => {
  it('a handler that throws on a packet: that client gets DISCONNECT 0x83, the error is counted', async () => {
    const tb = await h.start();
    const ctx = ctxOf(tb.broker);
    const c = await h.v5('victim');
    await subscribeToInjectedFailure(ctx, c);
    expect(tb.broker.stats().connectionErrors).toBe(1);
    await brokerStillServes();
  });

  it('a handler that throws after an async plugin decision: that client gets DISCONNECT 0x83', async () => {
    const asyncAcl = definePlugin({
      name: 'async-acl',
      apiVersion: 1,
      setup: () => ({ authorizeTopic: () => Promise.resolve(allow) }),
    });
    const tb = await h.start({}, { plugins: [asyncAcl] });
    const ctx = ctxOf(tb.broker);
    const c = await h.v5('victim');
    await subscribeToInjectedFailure(ctx, c);
    expect(tb.broker.stats().connectionErrors).toBe(1);
    await brokerStillServes();
  });

  it('plugin hooks that throw synchronously (event hook, authorizeTopic) do not end the connection or the broker', async () => {
    const throwing = definePlugin({
      name: 'throwing',
      apiVersion: 1,
      setup: () => ({
        events: {
          'client:connected': () => {
            throw new Error('injected: event hook');
          },
        },
        authorizeTopic: ({ topic }) => {
          if (topic === 'boom') throw new Error('injected: authorizeTopic');
          return allow;
        },
      }),
    });
    await h.start({}, { plugins: [throwing] });
    const c = await h.connected('victim');
    // A throwing decision hook is a deny (logged under the plugin's name), not a crash.
    expect(await subscribe(c, 'boom')).toEqual([0x80]);
    expect(await subscribe(c, 'fine')).toEqual([0]);
    await brokerStillServes();
  });

  it('the keepalive timer: an exception while closing an idle client is caught and counted', async () => {
    const tb = await h.start({ timeout_disconnect_delay: 0 });
    const ctx = ctxOf(tb.broker);
    const detach = ctx.sessions.detach.bind(ctx.sessions);
    ctx.sessions.detach = (...args) => {
      ctx.sessions.detach = detach;
      detach(...args);
      throw new Error('injected: detach failed in a timer');
    };
    const c = await h.connected('idle', { keepalive: 1 });
    await c.closed(4000);
    await until(() => tb.broker.stats().connectionErrors === 1);
    await brokerStillServes();
  });

  it('a stream error handler that throws is caught and counted', async () => {
    const tb = await h.start();
    const ctx = ctxOf(tb.broker);
    const c = await h.connected('victim');
    await until(() => tb.broker.stats().clientsConnected === 1);
    const conn = [...(tb.broker as unknown as { connections: Set<{ stream: Duplex }> }).connections][0]!;
    const original = ctx.log.debug.bind(ctx.log);
    ctx.debug = true;
    ctx.log.debug = () => {
      ctx.log.debug = original;
      throw new Error('injected: logger failed');
    };
    conn.stream.emit('error', new Error('injected socket error'));
    ctx.debug = false;
    await c.closed();
    expect(tb.broker.stats().connectionErrors).toBe(1);
    await brokerStillServes();
  });
});

describe('listeners', () => {
  const open: Listener[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(open.splice(0).map((l) => l.close()));
  });

  const listenerConfig = (type: 'tcp' | 'ws') =>
    ({
      name: 'test',
      type,
      bind: '127.0.0.1:0',
      host: '127.0.0.1',
      port: 0,
      max_connections: 0,
      ssl: false,
      require_certificate: false,
      use_identity_as_username: false,
    }) as const;

  async function tcp(port: number): Promise<Socket> {
    const s = netConnect({ port, host: '127.0.0.1' });
    s.on('error', () => {});
    sockets.push(s);
    await once(s, 'connect');
    return s;
  }

  function recordingLog() {
    const lines: { obj: Record<string, unknown>; msg: string | undefined }[] = [];
    return {
      lines,
      warn: (obj: object, msg?: string) => void lines.push({ obj: obj as Record<string, unknown>, msg }),
    };
  }

  it('connect_timeout covers a WebSocket upgrade: a half-sent upgrade request is closed', async () => {
    await h.start({
      connect_timeout: 0.3,
      listeners: { default: { type: 'tcp', bind: '127.0.0.1:0' }, web: { type: 'ws', bind: '127.0.0.1:0' } },
    });
    const web = h.tb.broker.listeners().find((l) => l.name === 'web')!;
    const s = await tcp(web.port);
    s.write('GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n');
    const started = Date.now();
    await once(s, 'close');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('a completed WebSocket upgrade is not cut by the upgrade timer', async () => {
    // The upgrade timer is faked: the test moves time past it instead of waiting.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.now() });
    try {
      let handOver!: (stream: Duplex) => void;
      const handed = new Promise<Duplex>((resolve) => (handOver = resolve));
      const listener = await startListener(listenerConfig('ws'), (stream) => handOver(stream), undefined, {
        handshakeTimeoutMs: 150,
      });
      open.push(listener);
      const ws = new WebSocket(`ws://127.0.0.1:${listener.address().port}/`, 'mqtt');
      ws.on('error', () => {});
      await once(ws, 'open');
      await handed;
      vi.advanceTimersByTime(1000);
      // Still open: a round trip, where a socket cut by the timer would close instead.
      ws.ping();
      const answer = await Promise.race([once(ws, 'pong').then(() => 'pong'), once(ws, 'close').then(() => 'close')]);
      expect(answer).toBe('pong');
      expect(ws.readyState).toBe(WebSocket.OPEN);
      ws.terminate();
    } finally {
      vi.useRealTimers();
    }
  });

  it('EMFILE on accept is logged once per interval, with the count of those not logged; the listener keeps accepting', async () => {
    const log = recordingLog();
    const accepted: unknown[] = [];
    const listener = await startListener(listenerConfig('tcp'), (stream) => void accepted.push(stream), log, {
      errorLogIntervalMs: 200,
    });
    open.push(listener);
    const server = (listener as unknown as { server: Server }).server;
    const emfile = () => Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', errno: -24, syscall: 'accept' });
    for (let i = 0; i < 1000; i++) server.emit('error', emfile());
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]!.msg).toMatch(/file descriptors/);
    const first = Date.now();
    await until(() => Date.now() - first >= 200);
    server.emit('error', emfile());
    expect(log.lines).toHaveLength(2);
    expect(log.lines[1]!.obj).toMatchObject({ notLoggedSinceLastLine: 999, cause: 'EMFILE' });
    await tcp(listener.address().port);
    await until(() => accepted.length === 1);
  });

  it('a connection handler that throws: logged, that socket closed, the listener keeps accepting', async () => {
    const log = recordingLog();
    let calls = 0;
    const listener = await startListener(
      listenerConfig('tcp'),
      () => {
        calls++;
        if (calls === 1) throw new Error('injected: connection setup failed');
      },
      log,
    );
    open.push(listener);
    const first = await tcp(listener.address().port);
    await once(first, 'close');
    expect(log.lines[0]!.msg).toMatch(/setup failed/);
    await tcp(listener.address().port);
    await until(() => calls === 2);
  });
});
