/**
 * `midge ctl` (the real binary) against a broker running @midge/plugin-admin: the API's answers as tables
 * or JSON, the kick reaching the client, and clear errors for a wrong token or an unreachable server.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RawClient, createTestBroker, recordingLogger, type TestBroker } from '@midge/mqtt-core/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runMidge } from './cli-process.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
let dir = '';
let tokenFile = '';
let tb: TestBroker;
let url = '';
const clients: RawClient[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-ctl-'));
  tokenFile = join(dir, 'admin.token');
  await writeFile(tokenFile, 'ctl-test-token\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

beforeEach(async () => {
  const logger = recordingLogger();
  tb = await createTestBroker(
    { plugins: { '@midge/plugin-admin': { bind: '127.0.0.1:0', token_file: tokenFile } } },
    { searchDirs: [packageDir], logger },
  );
  const record = logger.records.find((r) => /^admin server listening/.test(String(r.msg)));
  url = `http://127.0.0.1:${String((record?.obj as { port?: number } | undefined)?.port)}`;
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await tb.close();
});

async function connect(clientId: string, options: { username?: string; protocolVersion?: 4 | 5 } = {}) {
  const c = await RawClient.connect(tb.port);
  clients.push(c);
  expect((await c.connect({ clientId, ...options })).reasonCode).toBe(0);
  return c;
}

const ctl = (...args: string[]) => runMidge(['ctl', '--url', url, '--token-file', tokenFile, ...args]);

describe('midge ctl', () => {
  it('clients: JSON when stdout is not a terminal, with the API filters', async () => {
    await connect('sensor-1', { username: 'ann' });
    await connect('app-1');
    const all = await ctl('clients');
    expect(all.code).toBe(0);
    const body = JSON.parse(all.stdout) as { total: number; clients: { clientId: string }[] };
    expect(body.total).toBe(2);
    expect(body.clients.map((c) => c.clientId)).toEqual(['app-1', 'sensor-1']);
    const anns = JSON.parse((await ctl('clients', '-u', 'ann')).stdout) as { clients: { clientId: string }[] };
    expect(anns.clients.map((c) => c.clientId)).toEqual(['sensor-1']);
    const page = JSON.parse((await ctl('clients', '--limit', '1', '--offset', '1')).stdout) as {
      total: number;
      clients: { clientId: string }[];
    };
    expect([page.total, page.clients.map((c) => c.clientId)]).toEqual([2, ['sensor-1']]);
  });

  it('client: one session in detail; an unknown id exits 1', async () => {
    const c = await connect('dev-9', { username: 'zed' });
    c.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'dev/9/#', qos: 1 }] });
    await c.expectPacket('suback');
    const r = await ctl('client', 'dev-9');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      clientId: 'dev-9',
      username: 'zed',
      connected: true,
      subscriptions: [{ filter: 'dev/9/#', qos: 1 }],
    });
    const missing = await ctl('client', 'nobody');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("midge ctl: no session 'nobody' (HTTP 404)\n");
  });

  it('kick: the client gets DISCONNECT 0x98 and the command says so; an unknown id exits 1', async () => {
    const v5 = await connect('to-kick', { protocolVersion: 5 });
    const r = await ctl('kick', 'to-kick');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ clientId: 'to-kick', disconnected: 1 });
    expect((await v5.expectPacket('disconnect')).reasonCode).toBe(0x98);
    const missing = await ctl('kick', 'nobody');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe("midge ctl: no client 'nobody' is connected (HTTP 404)\n");
  });

  it('sessions lists offline and connected ones; delete-session removes an offline one, refuses a connected one', async () => {
    const away = await RawClient.connect(tb.port);
    clients.push(away);
    expect((await away.connect({ clientId: 'away', clean: false })).reasonCode).toBe(0);
    await away.disconnect();
    await away.closed();
    await connect('here');
    const offline = JSON.parse((await ctl('sessions', '--offline')).stdout) as {
      sessions: { clientId: string; connected: boolean; persistent: boolean }[];
    };
    expect(offline.sessions).toEqual([
      expect.objectContaining({ clientId: 'away', connected: false, persistent: true }),
    ]);
    const refused = await ctl('delete-session', 'here');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('kick it first');
    const deleted = await ctl('delete-session', 'away');
    expect([deleted.code, JSON.parse(deleted.stdout)]).toEqual([0, { clientId: 'away', deleted: true }]);
    const left = JSON.parse((await ctl('sessions')).stdout) as { sessions: { clientId: string }[] };
    expect(left.sessions.map((s) => s.clientId)).toEqual(['here']);
  });

  it('retained and stats report what the broker holds', async () => {
    const pub = await connect('publisher');
    const retain = { 'home/kitchen/temp': '21.5', 'office/temp': '19' };
    Object.entries(retain).forEach(([topic, value], i) =>
      pub.send({
        type: 'publish',
        topic,
        payload: Buffer.from(value),
        qos: 1,
        retain: true,
        dup: false,
        packetId: i + 1,
      }),
    );
    for (const _ of Object.keys(retain)) await pub.expectPacket('puback');
    const retained = JSON.parse((await ctl('retained', 'home/#')).stdout) as {
      total: number;
      messages: { topic: string; payload: string }[];
    };
    expect(retained.total).toBe(1);
    expect(retained.messages[0]).toMatchObject({ topic: 'home/kitchen/temp', payload: '21.5' });
    const stats = JSON.parse((await ctl('stats')).stdout) as {
      sessions: number;
      connections: Record<string, number>;
      stats: { retainedCount: number; messagesReceived: number };
    };
    expect(stats.connections).toEqual({ default: 1 });
    expect(stats.stats.retainedCount).toBe(2);
    expect(stats.stats.messagesReceived).toBe(2);
  });

  it('says what is wrong: a wrong token, an unreachable server, a usage mistake', async () => {
    const wrong = await runMidge(['ctl', '--url', url, '--token', 'not-it', 'stats']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^midge ctl: .*--token-file, or MIDGE_ADMIN_TOKEN\)\n$/);
    const free = createServer();
    await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
    const nobody = `http://127.0.0.1:${(free.address() as AddressInfo).port}`;
    await new Promise((resolve) => free.close(resolve));
    const closed = await runMidge(['ctl', '--url', nobody, '--token', 'x', 'stats']);
    expect(closed.code).toBe(1);
    expect(closed.stderr).toContain(`cannot reach the admin API at ${nobody} (ECONNREFUSED)`);
    const usage = await runMidge(['ctl', 'kik']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("unknown command 'kik'");
  });
});
