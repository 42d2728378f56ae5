/**
 * The admin server on a real broker: /metrics counts what clients did, /healthz and /readyz answer as
 * promised, the API asks for the bearer token, lists and kicks clients, lists retained messages.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { allow, definePlugin, deny, loadConfig, type BrokerOptions, type MidgePlugin } from '@midge/mqtt-core';
import {
  RawClient,
  createTestBroker,
  recordingLogger,
  type RecordingLogger,
  type TestBroker,
} from '@midge/mqtt-core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { findPromtool, parsePrometheusText, promtoolCheck, valueOf } from './prometheus-text.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = 's3cret-token';
let tokenDir = '';
let tb: TestBroker | undefined;
let logger: RecordingLogger = recordingLogger();
const clients: RawClient[] = [];

beforeAll(async () => {
  tokenDir = await mkdtemp(join(tmpdir(), 'midge-admin-'));
  await writeFile(join(tokenDir, 'admin.token'), `${TOKEN}\n`);
});
afterAll(() => rm(tokenDir, { recursive: true, force: true }));

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await tb?.close();
  tb = undefined;
});

/** A broker with the admin plugin on a free port; resolves with the admin server's base URL. */
async function start(
  options: Record<string, unknown> = {},
  plugins: MidgePlugin[] = [],
  brokerOptions: Pick<BrokerOptions, 'reloadHandler'> = {},
): Promise<string> {
  logger = recordingLogger();
  tb = await createTestBroker(
    { plugins: { '@midge/plugin-admin': { bind: '127.0.0.1:0', ...options } } },
    { searchDirs: [packageDir], logger, plugins, ...brokerOptions },
  );
  const record = logger.records.find((r) => /^admin server listening/.test(String(r.msg)));
  if (record === undefined) throw new Error('the admin server did not say where it listens');
  return `http://127.0.0.1:${String((record.obj as { port?: number } | undefined)?.port)}`;
}

/** A broker whose admin API is on (token file set). */
const startWithApi = (
  options: Record<string, unknown> = {},
  brokerOptions: Pick<BrokerOptions, 'reloadHandler'> = {},
): Promise<string> => start({ token_file: join(tokenDir, 'admin.token'), ...options }, [], brokerOptions);

async function connected(clientId: string, options: { username?: string; protocolVersion?: 4 | 5 } = {}) {
  const c = await RawClient.connect(tb?.port ?? 0);
  clients.push(c);
  const connack = await c.connect({ clientId, ...options });
  expect(connack.reasonCode).toBe(0);
  return c;
}

const auth = { authorization: `Bearer ${TOKEN}` };

async function getJson(url: string, headers: Record<string, string> = auth): Promise<[number, unknown]> {
  const res = await fetch(url, { headers });
  return [res.status, await res.json()];
}

describe('@midge/plugin-admin metrics', () => {
  it('counts in /metrics exactly what clients did, in a format promtool accepts', async () => {
    const base = await start();
    const sub = await connected('m-sub');
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'm/#', qos: 1 }] });
    await sub.expectPacket('suback');
    const pub = await connected('m-pub');
    const n = 25;
    for (let i = 0; i < n; i++)
      pub.send({
        type: 'publish',
        topic: `m/${i}`,
        payload: Buffer.from('x'),
        qos: 1,
        retain: i === 0,
        dup: false,
        packetId: i + 1,
      });
    for (let i = 0; i < n; i++) await pub.expectPacket('puback');
    for (let i = 0; i < n; i++) {
      const p = await sub.expectPacket('publish');
      sub.send({ type: 'puback', packetId: p.packetId ?? 0 });
    }
    // The subscriber's last PUBACK is handled before its PINGREQ: no message is in flight any more.
    await sub.expectNothingBeforePingresp();

    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    const f = parsePrometheusText(text);
    expect(valueOf(f, 'midge_messages_received_total', { qos: '1' })).toBe(n);
    expect(valueOf(f, 'midge_messages_received_total', { qos: '0' })).toBe(0);
    expect(valueOf(f, 'midge_messages_sent_total', { qos: '1' })).toBe(n);
    expect(valueOf(f, 'midge_connect_total', { result: 'accepted' })).toBe(2);
    // Sampled: one message in 64, so 25 may give none; the series are there, with a consistent count.
    expect(f.get('midge_delivery_latency_seconds')?.type).toBe('histogram');
    expect(valueOf(f, 'midge_delivery_latency_seconds_count')).toBe(
      valueOf(f, 'midge_delivery_latency_seconds_bucket', { le: '+Inf' }),
    );
    expect(valueOf(f, 'midge_connections', { listener: 'default' })).toBe(2);
    expect(valueOf(f, 'midge_subscriptions')).toBe(1);
    expect(valueOf(f, 'midge_sessions', { state: 'connected' })).toBe(2);
    expect(valueOf(f, 'midge_sessions', { state: 'offline' })).toBe(0);
    expect(valueOf(f, 'midge_retained_messages')).toBe(1);
    expect(valueOf(f, 'midge_inflight_messages', { direction: 'out' })).toBe(0);
    expect(valueOf(f, 'midge_bytes_received_total')).toBe(tb?.broker.stats().bytesReceived);
    expect(valueOf(f, 'midge_bytes_received_total')).toBeGreaterThan(n * 'm/0x'.length);
    expect(f.get('midge_nodejs_eventloop_lag_seconds')?.type).toBe('gauge');
    expect(f.get('midge_nodejs_gc_duration_seconds')?.type).toBe('histogram');

    const promtool = findPromtool();
    if (promtool === undefined) {
      // CI installs it (.ci/run); elsewhere the strict parser above is the format check.
      expect(process.env['CI'], "promtool is missing: .ci/run extracts it from Debian's prometheus package").not.toBe(
        'true',
      );
    } else {
      expect(promtoolCheck(promtool, text)).toEqual({ status: 0, output: '' });
    }

    // One client leaves: the listener's gauge follows.
    await pub.disconnect();
    await pub.closed();
    await sub.expectNothingBeforePingresp();
    const after = parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
    expect(valueOf(after, 'midge_connections', { listener: 'default' })).toBe(1);
  });

  it('counts refused CONNECTs by reason and times plugin decisions by plugin and hook', async () => {
    const gate = definePlugin({
      name: 'gate',
      apiVersion: 1,
      setup: () => ({
        authenticate: (req) => (req.client.username === 'mallory' ? deny('no') : allow),
        authorizeTopic: () => allow,
      }),
    });
    const base = await start({}, [gate]);
    const refused = await RawClient.connect(tb?.port ?? 0);
    clients.push(refused);
    expect((await refused.connect({ clientId: 'm', username: 'mallory', protocolVersion: 5 })).reasonCode).toBe(0x87);
    const c = await connected('ok');
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'd', qos: 0 }] });
    await c.expectPacket('suback');
    // 1 SUBSCRIBE + 15 publish + 15 receive authorizations + this one = 32 topic decisions: 2 timed.
    for (let i = 0; i < 15; i++)
      c.send({ type: 'publish', topic: 'd', payload: Buffer.from('x'), qos: 0, retain: false, dup: false });
    for (let i = 0; i < 15; i++) await c.expectPacket('publish');
    c.send({ type: 'publish', topic: 'd', payload: Buffer.from('x'), qos: 0, retain: false, dup: false });
    await c.expectPacket('publish');
    const f = parsePrometheusText(await (await fetch(`${base}/metrics`)).text());
    expect(valueOf(f, 'midge_connect_total', { result: 'not-authorized' })).toBe(1);
    expect(valueOf(f, 'midge_connect_total', { result: 'accepted' })).toBe(1);
    expect(valueOf(f, 'midge_plugin_decision_seconds_count', { plugin: 'gate', hook: 'authenticate' })).toBe(2);
    expect(valueOf(f, 'midge_plugin_decision_seconds_count', { plugin: 'gate', hook: 'authorizeTopic' })).toBe(2);
    expect(
      valueOf(f, 'midge_plugin_decision_seconds_bucket', { plugin: 'gate', hook: 'authenticate', le: '+Inf' }),
    ).toBe(2);
  });

  it('answers OpenMetrics to a scrape that asks for it', async () => {
    const base = await start();
    const res = await fetch(`${base}/metrics`, {
      headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' },
    });
    expect(res.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const body = await res.text();
    expect(body).toMatch(/^midge_messages_received_total\{qos="0"\} 0$/m);
    expect(body.endsWith('# EOF\n')).toBe(true);
  });

  it('asks for the bearer token on /metrics with metrics_auth; health checks stay open', async () => {
    const base = await startWithApi({ metrics_auth: true });
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: auth })).status).toBe(200);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('refuses metrics_auth without a token file, naming the option', async () => {
    await expect(start({ metrics_auth: true })).rejects.toThrow(/metrics_auth: true needs token_file/);
  });
});

describe('@midge/plugin-admin health', () => {
  it('answers /healthz, /readyz 200 once the broker is up and 503 while it shuts down', async () => {
    // An in-memory plugin set up after the admin plugin closes before it: its close holds the shutdown
    // between pre-shutdown and the admin server's close.
    let release = (): void => undefined;
    let closing = (): void => undefined;
    const closeCalled = new Promise<void>((resolve) => (closing = resolve));
    const gate = definePlugin({
      name: 'test-gate',
      apiVersion: 1,
      setup: () => ({
        close: () =>
          new Promise<void>((resolve) => {
            release = resolve;
            closing();
          }),
      }),
    });
    const base = await start({}, [gate]);
    const health = await getJson(`${base}/healthz`, {});
    expect(health[0]).toBe(200);
    expect(health[1]).toMatchObject({ status: 'ok' });
    expect(await getJson(`${base}/readyz`, {})).toEqual([
      200,
      {
        ready: true,
        reason: 'the broker accepts connections',
        checks: [
          { name: 'listeners', ok: true, reason: '1 listener open' },
          { name: 'store', ok: true, reason: 'the store takes writes' },
        ],
      },
    ]);

    const shutdown = tb?.close();
    tb = undefined;
    await closeCalled;
    expect(await getJson(`${base}/readyz`, {})).toEqual([503, { ready: false, reason: 'the broker is shutting down' }]);
    release();
    await shutdown;
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  });

  it('fails setup naming the bind address when the port is taken', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      await expect(start({ bind: `127.0.0.1:${port}` })).rejects.toThrow(
        `the admin server cannot listen on 127.0.0.1:${port}`,
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});

describe('@midge/plugin-admin API', () => {
  it('is off without a token file, and says which option turns it on', async () => {
    const base = await start();
    const [status, body] = await getJson(`${base}/api/v1/clients`);
    expect(status).toBe(404);
    expect(body).toEqual({ error: 'the admin API is off: set token_file in the plugin options to turn it on' });
  });

  it('answers 401 without the token or with another one, 200 with it', async () => {
    const base = await startWithApi();
    const none = await fetch(`${base}/api/v1/stats`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="midge"');
    expect((await getJson(`${base}/api/v1/stats`, { authorization: `Bearer ${TOKEN}x` }))[0]).toBe(401);
    expect((await getJson(`${base}/api/v1/stats`, { authorization: `Basic ${TOKEN}` }))[0]).toBe(401);
    expect((await fetch(`${base}/api/v1/clients/x/kick`, { method: 'POST' })).status).toBe(401);
    const [status, body] = await getJson(`${base}/api/v1/stats`);
    expect(status).toBe(200);
    const stats = body as {
      version: string;
      sessions: number;
      subscriptions: number;
      stats: { messagesReceived: number };
    };
    expect(stats.version).toMatch(/^\d+\.\d+\.\d+/);
    expect([stats.sessions, stats.subscriptions]).toEqual([0, 0]);
    expect(stats.stats.messagesReceived).toBe(0);
  });

  it('serves its OpenAPI document without the token', async () => {
    const base = await startWithApi();
    const [status, doc] = await getJson(`${base}/api/v1/openapi.json`, {});
    expect(status).toBe(200);
    expect(doc).toMatchObject({ openapi: '3.1.0', info: { title: 'Midge admin API' } });
    expect(Object.keys((doc as { paths: object }).paths)).toEqual(
      expect.arrayContaining([
        '/metrics',
        '/api/v1/clients',
        '/api/v1/clients/{id}',
        '/api/v1/clients/{id}/kick',
        '/api/v1/subscriptions',
        '/api/v1/retained',
        '/api/v1/retained/topic',
        '/api/v1/config',
        '/api/v1/plugins',
        '/api/v1/reload',
      ]),
    );
  });

  it('shows one client in detail: connection, subscriptions with their options, queue', async () => {
    const base = await startWithApi();
    const c = await connected('dev-7', { username: 'ann', protocolVersion: 5 });
    c.send(
      {
        type: 'subscribe',
        packetId: 1,
        subscriptions: [{ topic: 'cmd/dev-7/#', qos: 1, noLocal: true, retainAsPublished: false, retainHandling: 0 }],
      },
      5,
    );
    await c.expectPacket('suback');
    const [status, body] = await getJson(`${base}/api/v1/clients/dev-7`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      clientId: 'dev-7',
      username: 'ann',
      connected: true,
      protocolVersion: 5,
      listener: 'default',
      remoteAddress: '127.0.0.1',
      subscriptions: [{ filter: 'cmd/dev-7/#', qos: 1, noLocal: true, retainAsPublished: false, subscriptionId: null }],
      queued: 0,
      inflight: 0,
    });
    expect(Date.parse((body as { connectedAt: string }).connectedAt)).toBeGreaterThan(Date.now() - 10_000);
    expect((await getJson(`${base}/api/v1/clients/nobody`))[0]).toBe(404);
    expect((await fetch(`${base}/api/v1/clients/dev-7`)).status).toBe(401);
  });

  it("lists the sessions' subscriptions, by client and by filter prefix", async () => {
    const base = await startWithApi();
    const s1 = await connected('s-1');
    const s2 = await connected('s-2');
    s1.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'a/#', qos: 0 }] });
    s2.send({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [
        { topic: 'b/+', qos: 0 },
        { topic: 'a/1', qos: 1 },
      ],
    });
    await s1.expectPacket('suback');
    await s2.expectPacket('suback');
    const [, all] = await getJson(`${base}/api/v1/subscriptions`);
    expect(all).toEqual({
      total: 3,
      offset: 0,
      limit: 100,
      subscriptions: [
        { clientId: 's-1', filter: 'a/#' },
        { clientId: 's-2', filter: 'a/1' },
        { clientId: 's-2', filter: 'b/+' },
      ],
    });
    expect(((await getJson(`${base}/api/v1/subscriptions?client=s-2`))[1] as { total: number }).total).toBe(2);
    expect(((await getJson(`${base}/api/v1/subscriptions?prefix=a/`))[1] as { total: number }).total).toBe(2);
  });

  it('gets and deletes one retained message; nobody is sent anything, a later subscriber gets none', async () => {
    const base = await startWithApi();
    const pub = await connected('pub');
    pub.send({
      type: 'publish',
      topic: 'site/a b/temp',
      payload: Buffer.from('21.5'),
      qos: 1,
      retain: true,
      dup: false,
      packetId: 1,
    });
    await pub.expectPacket('puback');
    const url = `${base}/api/v1/retained/topic?topic=${encodeURIComponent('site/a b/temp')}`;
    const [status, message] = await getJson(url);
    expect(status).toBe(200);
    expect(message).toMatchObject({ topic: 'site/a b/temp', payload: '21.5', encoding: 'utf8', qos: 1 });
    const watcher = await connected('watcher');
    watcher.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'site/#', qos: 0 }] });
    await watcher.expectPacket('suback');
    await watcher.expectPacket('publish'); // the retained message, on subscribe

    const deleted = await fetch(url, { method: 'DELETE', headers: auth });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ topic: 'site/a b/temp', deleted: true });
    expect(logger.records.some((r) => r.msg === 'admin API: retained message of site/a b/temp deleted')).toBe(true);
    await watcher.expectNothingBeforePingresp();
    expect((await getJson(url))[0]).toBe(404);
    expect((await fetch(url, { method: 'DELETE', headers: auth })).status).toBe(404);
    const late = await connected('late');
    late.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'site/#', qos: 0 }] });
    await late.expectPacket('suback');
    await late.expectNothingBeforePingresp();
    expect((await getJson(`${base}/api/v1/retained/topic`))[0]).toBe(400);
  });

  it('lists the plugins it runs, with their package versions', async () => {
    const base = await startWithApi();
    const [status, body] = await getJson(`${base}/api/v1/plugins`);
    expect(status).toBe(200);
    const { version } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { version: string };
    expect(body).toEqual({
      plugins: [{ name: '@midge/plugin-admin', key: '@midge/plugin-admin', version, state: 'running' }],
    });
  });

  it('shows the effective config with secrets redacted, and reloads as SIGHUP does', async () => {
    const base = await startWithApi();
    const [status, config] = await getJson(`${base}/api/v1/config`);
    expect(status).toBe(200);
    const c = config as { listeners: Record<string, { bind: string }>; plugins: { key: string; config: object }[] };
    expect(c.listeners['default']?.bind).toBe('127.0.0.1:0');
    const admin = c.plugins.find((p) => p.key === '@midge/plugin-admin');
    // A path to a secret is no secret.
    expect(admin?.config).toMatchObject({ token_file: join(tokenDir, 'admin.token') });

    const reload = await fetch(`${base}/api/v1/reload`, { method: 'POST', headers: auth });
    expect(reload.status).toBe(200);
    expect(await reload.json()).toEqual({ applied: true, errors: [], changes: [], failures: [], needsRestart: [] });
    expect(logger.records.some((r) => r.msg === 'admin API: reload')).toBe(true);
    expect((await fetch(`${base}/api/v1/reload`, { method: 'POST' })).status).toBe(401);
  });

  it('lists connected clients with paging and filters', async () => {
    const base = await startWithApi();
    await connected('sensor-2', { username: 'ann' });
    await connected('sensor-1', { username: 'bob', protocolVersion: 5 });
    await connected('app-1', { username: 'ann' });
    const [status, all] = await getJson(`${base}/api/v1/clients`);
    expect(status).toBe(200);
    expect(all).toMatchObject({ total: 3, offset: 0, limit: 100 });
    const rows = (all as { clients: Record<string, unknown>[] }).clients;
    expect(rows.map((r) => r['clientId'])).toEqual(['app-1', 'sensor-1', 'sensor-2']);
    expect(rows[1]).toMatchObject({
      clientId: 'sensor-1',
      username: 'bob',
      listener: 'default',
      remoteAddress: '127.0.0.1',
      protocolVersion: 5,
      secure: false,
    });
    expect(Date.parse(String(rows[1]?.['connectedAt']))).toBeGreaterThan(Date.now() - 60_000);
    const [, page] = await getJson(`${base}/api/v1/clients?prefix=sensor-&limit=1&offset=1`);
    expect(page).toMatchObject({ total: 2, offset: 1, limit: 1, clients: [{ clientId: 'sensor-2' }] });
    const [, anns] = await getJson(`${base}/api/v1/clients?username=ann`);
    expect((anns as { total: number }).total).toBe(2);
    const [bad, why] = await getJson(`${base}/api/v1/clients?limit=0`);
    expect(bad).toBe(400);
    expect((why as { error: string }).error).toContain('limit');
  });

  it('lists a taken-over client id once: the new connection, not the closed one', async () => {
    const base = await startWithApi();
    const old = await connected('taken', { protocolVersion: 5 });
    const oldPort = ((await getJson(`${base}/api/v1/clients`))[1] as { clients: { remotePort: number }[] }).clients[0]
      ?.remotePort;
    await connected('taken', { protocolVersion: 5 });
    expect((await old.expectPacket('disconnect')).reasonCode).toBe(0x8e);
    await old.closed();
    const [, list] = await getJson(`${base}/api/v1/clients`);
    expect(list).toMatchObject({ total: 1, clients: [{ clientId: 'taken' }] });
    expect((list as { clients: { remotePort: number }[] }).clients[0]?.remotePort).not.toBe(oldPort);
    expect(
      valueOf(parsePrometheusText(await (await fetch(`${base}/metrics`)).text()), 'midge_connections', {
        listener: 'default',
      }),
    ).toBe(1);
  });

  it('set up again by a config reload, it lists the clients already connected and is ready', async () => {
    const base = await startWithApi();
    await connected('before-reload', { username: 'ann' });
    const [, before] = await getJson(`${base}/api/v1/clients`);
    const connectedAt = (before as { clients: { connectedAt: string }[] }).clients[0]?.connectedAt;
    // Another option value: the plugin is closed and set up again, on another port.
    const next = await loadConfig({
      listeners: { default: { type: 'tcp', bind: '127.0.0.1:0' } },
      plugins: {
        '@midge/plugin-admin': { bind: '127.0.0.1:0', token_file: join(tokenDir, 'admin.token'), metrics_auth: true },
      },
    });
    const report = await tb?.broker.reload(next.config);
    expect(report?.failures).toEqual([]);
    expect(report?.changes).toContain('plugin @midge/plugin-admin: options changed, set up again');
    const record = logger.records.filter((r) => /^admin server listening/.test(String(r.msg))).at(-1);
    const after = `http://127.0.0.1:${String((record?.obj as { port?: number } | undefined)?.port)}`;
    expect(after).not.toBe(base);
    expect((await fetch(`${after}/readyz`)).status).toBe(200);
    const [, list] = await getJson(`${after}/api/v1/clients`);
    expect(list).toMatchObject({ total: 1, clients: [{ clientId: 'before-reload', username: 'ann', connectedAt }] });
    // Still followed from the events afterwards.
    await connected('after-reload');
    const [, two] = await getJson(`${after}/api/v1/clients`);
    expect((two as { total: number }).total).toBe(2);
  });

  it('kicks a client: its connection closes (v5: DISCONNECT 0x98), the call is logged', async () => {
    const base = await startWithApi();
    const victim = await connected('victim', { protocolVersion: 5 });
    await connected('bystander');
    const res = await fetch(`${base}/api/v1/clients/victim/kick`, { method: 'POST', headers: auth });
    expect([res.status, await res.json()]).toEqual([200, { clientId: 'victim', disconnected: 1 }]);
    expect(await victim.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x98 });
    await victim.closed();
    const logged = logger.records.find((r) => r.msg === 'admin API: kick victim');
    expect(logged?.level).toBe('info');
    expect(logged?.obj).toMatchObject({ clientId: 'victim', disconnected: 1, from: '127.0.0.1' });
    const [, list] = await getJson(`${base}/api/v1/clients`);
    expect((list as { clients: { clientId: string }[] }).clients.map((c) => c.clientId)).toEqual(['bystander']);
    const wrongMethod = await fetch(`${base}/api/v1/clients/victim/kick`, { headers: auth });
    expect([wrongMethod.status, await wrongMethod.json()]).toEqual([
      404,
      { error: 'no route GET /api/v1/clients/victim/kick' },
    ]);
    const again = await fetch(`${base}/api/v1/clients/victim/kick`, { method: 'POST', headers: auth });
    expect([again.status, await again.json()]).toEqual([404, { error: "no client 'victim' is connected" }]);
  });

  it('lists sessions, connected or not, and deletes an offline one only (logged)', async () => {
    const base = await startWithApi();
    const away = await RawClient.connect(tb?.port ?? 0);
    clients.push(away);
    expect((await away.connect({ clientId: 'away-1', username: 'ann', clean: false })).reasonCode).toBe(0);
    away.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'inbox/#', qos: 1 }] });
    await away.expectPacket('suback');
    await away.disconnect();
    await away.closed();
    await connected('here-1');
    const [status, all] = await getJson(`${base}/api/v1/sessions`);
    expect(status).toBe(200);
    expect(all).toMatchObject({ total: 2, offset: 0, limit: 100 });
    expect((all as { sessions: unknown[] }).sessions).toEqual([
      {
        clientId: 'away-1',
        username: 'ann',
        connected: false,
        persistent: true,
        subscriptions: 1,
        queued: 0,
        inflight: 0,
        expiryInterval: null,
      },
      expect.objectContaining({ clientId: 'here-1', connected: true }),
    ]);
    const [, offline] = await getJson(`${base}/api/v1/sessions?connected=false`);
    expect((offline as { sessions: { clientId: string }[] }).sessions.map((r) => r.clientId)).toEqual(['away-1']);

    const del = (id: string) => fetch(`${base}/api/v1/sessions/${id}`, { method: 'DELETE', headers: auth });
    const busy = await del('here-1');
    expect(busy.status).toBe(409);
    expect(((await busy.json()) as { error: string }).error).toContain('kick it first');
    const done = await del('away-1');
    expect([done.status, await done.json()]).toEqual([200, { clientId: 'away-1', deleted: true }]);
    expect(tb?.broker.stats().subscriptionCount).toBe(0);
    expect((await del('away-1')).status).toBe(404);
    expect(logger.records.some((r) => r.msg === 'admin API: delete session away-1')).toBe(true);
    // A new connection with that id finds no session.
    const back = await RawClient.connect(tb?.port ?? 0);
    clients.push(back);
    expect((await back.connect({ clientId: 'away-1', clean: false })).sessionPresent).toBe(false);
  });

  it('lists retained messages matching a filter, refusing an invalid one', async () => {
    const base = await startWithApi();
    const pub = await connected('r-pub');
    const topics = ['a/2', 'a/1', 'b/1'];
    topics.forEach((topic, i) =>
      pub.send({
        type: 'publish',
        topic,
        payload: Buffer.from(`v${topic}`),
        qos: 1,
        retain: true,
        dup: false,
        packetId: i + 1,
      }),
    );
    for (const _ of topics) await pub.expectPacket('puback');
    const [status, page] = await getJson(`${base}/api/v1/retained?filter=${encodeURIComponent('a/#')}`);
    expect(status).toBe(200);
    expect(page).toEqual({
      total: 2,
      offset: 0,
      limit: 100,
      messages: [
        { topic: 'a/1', qos: 1, size: 4, payload: 'va/1', encoding: 'utf8', truncated: false, expiresAt: null },
        { topic: 'a/2', qos: 1, size: 4, payload: 'va/2', encoding: 'utf8', truncated: false, expiresAt: null },
      ],
    });
    expect(((await getJson(`${base}/api/v1/retained`))[1] as { total: number }).total).toBe(3);
    const [bad, why] = await getJson(`${base}/api/v1/retained?filter=${encodeURIComponent('a/#/b')}`);
    expect(bad).toBe(400);
    expect((why as { error: string }).error).toContain("'a/#/b'");
  });

  it('answers a reload that sets up this plugin again (its own options changed) without waiting for its own close', async () => {
    const free: Server = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const port = (free.address() as { port: number }).port;
    await new Promise((resolve) => free.close(resolve));
    const bind = `127.0.0.1:${port}`;
    const base = await startWithApi(
      { bind },
      {
        reloadHandler: async () => {
          const next = await loadConfig({
            listeners: { default: { type: 'tcp', bind: '127.0.0.1:0' } },
            plugins: {
              '@midge/plugin-admin': { bind, token_file: join(tokenDir, 'admin.token'), metrics_auth: true },
            },
          });
          const broker = tb?.broker;
          if (broker === undefined) throw new Error('no broker');
          return { applied: true, errors: [], ...(await broker.reload(next.config)) };
        },
      },
    );
    const began = Date.now();
    const res = await fetch(`${base}/api/v1/reload`, { method: 'POST', headers: auth });
    expect([res.status, await res.json()]).toEqual([
      200,
      {
        applied: true,
        errors: [],
        changes: ['plugin @midge/plugin-admin: options changed, set up again'],
        failures: [],
        needsRestart: [],
      },
    ]);
    // Without the early close the answer waited for the plugin close timeout (10 s).
    expect(Date.now() - began).toBeLessThan(5_000);
    // The plugin set up again serves the same port, with the new options.
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: auth })).status).toBe(200);
  });
});
