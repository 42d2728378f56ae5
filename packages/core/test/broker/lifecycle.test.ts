import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { NO_AUTH_WARNING } from '../../src/broker/broker.js';
import { allow, definePlugin } from '../../src/plugin-api/index.js';
import { createTestBroker } from '../../src/testing/index.js';
import { memoryLogger, type LogRecord } from '../plugin-host/helpers.js';
import { barrier, Harness, publish, subscribe, until } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

const warnings = (records: LogRecord[]): (string | undefined)[] =>
  records.filter((r) => r.level === 'warn').map((r) => r.msg);

describe('start', () => {
  it('without an authentication plugin every client is allowed, and one warning says so', async () => {
    const log = memoryLogger();
    const events = definePlugin({ name: 'only-events', apiVersion: 1, setup: () => ({ events: {} }) });
    await h.start({}, { logger: log, plugins: [events] });
    expect(warnings(log.records).filter((m) => m === NO_AUTH_WARNING)).toHaveLength(1);
    expect(NO_AUTH_WARNING).toBe('no authentication plugin configured: every client is allowed');
    // Anyone gets in, user name or not.
    await h.connected('anon');
    await h.connected('named', { username: 'who', password: Buffer.from('ever') });
    expect(warnings(log.records).filter((m) => m === NO_AUTH_WARNING)).toHaveLength(1);
  });

  it('with no plugins at all the warning is logged too', async () => {
    const log = memoryLogger();
    await h.start({ plugins: {} }, { logger: log });
    expect(warnings(log.records)).toContain(NO_AUTH_WARNING);
  });

  it('an authentication plugin silences the warning', async () => {
    const log = memoryLogger();
    const auth = definePlugin({ name: 'auth', apiVersion: 1, setup: () => ({ authenticate: () => allow }) });
    await h.start({}, { logger: log, plugins: [auth] });
    expect(warnings(log.records)).not.toContain(NO_AUTH_WARNING);
  });

  it('conditions picks the export condition plugin packages are resolved with', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'midge-cond-'));
    try {
      const pkg = join(dir, 'node_modules', 'cond-plugin');
      mkdirSync(pkg, { recursive: true });
      writeFileSync(
        join(pkg, 'package.json'),
        JSON.stringify({
          name: 'cond-plugin',
          type: 'module',
          exports: { '.': { 'midge-test-cond': './special.js', default: './plain.js' } },
        }),
      );
      // Built without core's definePlugin, as a package would be: the brand is a registered symbol.
      const body = (name: string): string =>
        `export default { [Symbol.for('midge.plugin')]: true, name: '${name}', apiVersion: 1, setup: () => ({}) };\n`;
      writeFileSync(join(pkg, 'special.js'), body('special'));
      writeFileSync(join(pkg, 'plain.js'), body('plain'));
      const config = { plugins: { 'cond-plugin': null } };
      const withCond = await createTestBroker(config, {
        searchDirs: [dir],
        conditions: ['node', 'import', 'midge-test-cond'],
      });
      const without = await createTestBroker(config, { searchDirs: [dir], conditions: ['node', 'import'] });
      try {
        expect(withCond.broker.plugins?.plugins.map((p) => p.name)).toEqual(['special']);
        expect(without.broker.plugins?.plugins.map((p) => p.name)).toEqual(['plain']);
      } finally {
        await withCond.close();
        await without.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('graceful shutdown', () => {
  it('stops accepting, closes every client (wills fire), then runs plugin close hooks in reverse order', async () => {
    const order: string[] = [];
    const plugin = (name: string) =>
      definePlugin({
        name,
        apiVersion: 1,
        setup: () => ({
          close: () => void order.push(`close ${name}`),
          events: {
            'broker:pre-shutdown': () => void order.push(`pre-shutdown ${name}`),
            'client:disconnected': (e) => void order.push(`disconnected ${e.client.clientId}`),
            'broker:post-shutdown': () => void order.push(`post-shutdown ${name}`),
          },
        }),
      });
    const tb = await h.start({}, { plugins: [plugin('first'), plugin('second'), plugin('third')] });
    const a = await h.connected('a', { will: { topic: 'w', payload: Buffer.from('bye'), qos: 0, retain: true } });
    const b = await h.connected('b');
    const closing = tb.broker.close();
    expect(tb.broker.running).toBe(false);
    await closing;
    await a.closed();
    await b.closed();
    expect(order).toEqual([
      'pre-shutdown first',
      'pre-shutdown second',
      'pre-shutdown third',
      'disconnected a',
      'disconnected a',
      'disconnected a',
      'disconnected b',
      'disconnected b',
      'disconnected b',
      'post-shutdown first',
      'post-shutdown second',
      'post-shutdown third',
      'close third',
      'close second',
      'close first',
    ]);
    // The shutdown was a close without DISCONNECT for `a`: its retained will was published.
    expect(tb.broker.api.getRetained('w')?.payload.toString()).toBe('bye');
    // No longer accepting: the port is closed.
    await expect(
      new Promise((resolve, reject) => {
        const s = netConnect({ host: '127.0.0.1', port: tb.port });
        s.once('connect', () => {
          s.destroy();
          resolve('connected');
        });
        s.once('error', reject);
      }),
    ).rejects.toThrow(/ECONNREFUSED/);
    // close() twice is the same shutdown.
    await tb.broker.close();
  });
});

describe('exact counters', () => {
  it('count bytes, packets, messages, PUBLISH, clients, inflight, stored, retained, subscriptions and drops exactly', async () => {
    const tb = await h.start();
    const broker = tb.broker;
    const sub = await h.connected('sub');
    await subscribe(sub, 't/#', 2);
    const pub = await h.connected('pub');

    // QoS 1, retained: one message in, one out, one inflight until the subscriber's PUBACK.
    publish(pub, 't/a', 'x', 1, true, 10);
    await pub.expectPacket('puback');
    const d1 = await sub.expectPacket('publish');
    expect(broker.stats()).toMatchObject({ inflightOut: 1, retainedCount: 1, messagesReceived: 1, messagesSent: 1 });
    sub.send({ type: 'puback', packetId: d1.packetId! });

    // QoS 2 inbound: held as inflight-in between PUBREC and PUBREL.
    publish(pub, 't/b', 'y', 2, false, 11);
    await pub.expectPacket('pubrec');
    expect(broker.stats().inflightIn).toBe(1);
    const d2 = await sub.expectPacket('publish');
    pub.send({ type: 'pubrel', packetId: 11 });
    await pub.expectPacket('pubcomp');
    expect(broker.stats().inflightIn).toBe(0);
    // A resent QoS 2 PUBLISH after PUBREL is a new message; resent before PUBREL it is not (checked in qos tests).
    sub.send({ type: 'pubrec', packetId: d2.packetId! });
    await sub.expectPacket('pubrel');
    sub.send({ type: 'pubcomp', packetId: d2.packetId! });
    await until(() => broker.stats().inflightOut === 0);

    // A $ topic from a client: counted as received, then dropped.
    publish(pub, '$SYS/fake', 'z', 1, false, 12);
    await pub.expectPacket('puback');

    // An offline persistent session stores what it misses.
    const off = await h.connected('off', { clean: false });
    await subscribe(off, 'q', 1);
    await off.disconnect();
    publish(pub, 'q', 'stored', 1, false, 13);
    await pub.expectPacket('puback');
    await until(() => broker.stats().messagesStored === 1);

    await pub.disconnect();
    await until(() => broker.stats().clientsConnected === 1);

    const rawClients = h.clients;
    const sentByClients = rawClients.reduce((n, c) => n + c.socket.bytesWritten, 0);
    await until(() => rawClients.reduce((n, c) => n + c.socket.bytesRead, 0) === broker.stats().bytesSent);
    const st = broker.stats();
    expect(st.bytesReceived).toBe(sentByClients);
    expect(st).toMatchObject({
      // sub: CONNECT SUBSCRIBE PUBACK PUBREC PUBCOMP; pub: CONNECT + 4 PUBLISH + PUBREL + DISCONNECT;
      // off: CONNECT SUBSCRIBE DISCONNECT.
      packetsReceived: 5 + 7 + 3,
      // sub: CONNACK SUBACK 2 PUBLISH PUBREL; pub: CONNACK PUBACK PUBREC PUBCOMP PUBACK PUBACK; off: CONNACK SUBACK.
      packetsSent: 5 + 6 + 2,
      publishReceived: 4,
      publishSent: 2,
      messagesReceived: 4,
      messagesSent: 2,
      clientsConnected: 1,
      clientsDisconnected: 2,
      clientsMaximum: 3,
      clientsTotal: 3,
      inflightIn: 0,
      inflightOut: 0,
      messagesStored: 1,
      retainedCount: 1,
      subscriptionCount: 2,
    });
    expect(st.dropped).toEqual({ 'sys-topic': 1 });
  });

  it('a client PUBLISH to a $ topic is dropped and logged', async () => {
    const log = memoryLogger();
    await h.start({ log_level: 'debug' }, { logger: log });
    const watcher = await h.subscriber('$SYS/#');
    const c = await h.connected('injector');
    publish(c, '$SYS/broker/uptime', 'forged', 0);
    await barrier(c);
    await barrier(watcher);
    const rec = log.records.find((r) => r.msg === 'dropped PUBLISH to a $ topic');
    expect(rec?.obj).toMatchObject({ clientId: 'injector', topic: '$SYS/broker/uptime' });
  });
});
