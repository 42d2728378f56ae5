/**
 * The admin server on a real broker: /metrics counts what clients did, /healthz and /readyz answer as
 * promised, metrics_auth asks for the bearer token.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawClient, createTestBroker, recordingLogger, type TestBroker } from '@midge/mqtt-core/testing';
import { afterEach, describe, expect, it } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
let tb: TestBroker | undefined;
const clients: RawClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await tb?.close();
  tb = undefined;
});

/** A broker with the admin plugin on a free port; resolves with the admin server's base URL. */
async function start(options: Record<string, unknown> = {}): Promise<string> {
  const logger = recordingLogger();
  tb = await createTestBroker(
    { plugins: { '@midge/plugin-admin': { bind: '127.0.0.1:0', ...options } } },
    { searchDirs: [packageDir], logger },
  );
  const record = logger.records.find((r) => /^admin server listening/.test(String(r.msg)));
  if (record === undefined) throw new Error('the admin server did not say where it listens');
  return `http://127.0.0.1:${String((record.obj as { port?: number } | undefined)?.port)}`;
}

/** The value of `name` (with `labels` as written) in Prometheus text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('@midge/plugin-admin', () => {
  it('counts in /metrics exactly what clients did', async () => {
    const base = await start();
    const port = tb?.port ?? 0;
    const sub = await RawClient.connect(port);
    clients.push(sub);
    await sub.connect({ clientId: 'm-sub' });
    sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'm/#', qos: 0 }] });
    await sub.expectPacket('suback');
    const pub = await RawClient.connect(port);
    clients.push(pub);
    await pub.connect({ clientId: 'm-pub' });
    const n = 25;
    for (let i = 0; i < n; i++)
      pub.send({
        type: 'publish',
        topic: `m/${i}`,
        payload: Buffer.from('x'),
        qos: 1,
        retain: false,
        dup: false,
        packetId: i + 1,
      });
    for (let i = 0; i < n; i++) await pub.expectPacket('puback');
    for (let i = 0; i < n; i++) await sub.expectPacket('publish');

    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(sample(text, 'midge_messages_received_total')).toBe(n);
    expect(sample(text, 'midge_messages_sent_total')).toBe(n);
    expect(sample(text, 'midge_connect_total{result="accepted"}')).toBe(2);
    expect(sample(text, 'midge_connections{listener="default"}')).toBe(2);
    expect(sample(text, 'midge_subscriptions')).toBe(1);
    expect(sample(text, 'midge_sessions')).toBe(2);
    expect(text).toMatch(/^# TYPE midge_messages_received_total counter$/m);
    expect(text).toMatch(/^midge_nodejs_eventloop_lag_seconds /m);
    // Every sample line is `name{labels} value` (the text format a Prometheus scrape reads).
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#')))
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.e+-]+|NaN|[+-]Inf$/);
  });

  it('answers /healthz, and /readyz once the broker is up', async () => {
    const base = await start();
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${base}/readyz`);
    expect([ready.status, await ready.json()]).toEqual([200, { ready: true }]);
  });

  it('asks for the bearer token on /metrics with metrics_auth, compared in constant time', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'midge-admin-'));
    try {
      await writeFile(join(dir, 'admin.token'), 's3cret-token\n');
      const base = await start({ token_file: join(dir, 'admin.token'), metrics_auth: true });
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
      expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer s3cret-token' } })).status).toBe(200);
      // Health checks stay open: a load balancer has no token.
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses metrics_auth without a token file, naming the option', async () => {
    await expect(start({ metrics_auth: true })).rejects.toThrow(/metrics_auth: true needs token_file/);
  });
});
