/**
 * In a real broker over real sockets: the plugin is named by its package name under `plugins:`, a JWT
 * client gets exactly the rights its token carries, and bad tokens are refused in CONNACK.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawClient } from '@midge/mqtt-core/testing';
import { connectClient, connected, startBroker, subscribe } from './broker-helpers.js';
import { inSeconds, jwks, sign, signingKey } from './tokens.js';
import type { SigningKey } from './tokens.js';

let dir: string;
let key: SigningKey;
let other: SigningKey;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-auth-jwt-broker-'));
  [key, other] = await Promise.all([signingKey('ES256', 'k1'), signingKey('ES256', 'k1')]);
  await writeFile(join(dir, 'jwks.json'), JSON.stringify(jwks(key)));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const plugin = (extra: Record<string, unknown> = {}) => ({
  '@midge/plugin-auth-jwt': { jwks_file: join(dir, 'jwks.json'), algorithms: ['ES256'], audience: 'midge', ...extra },
});
const pw = (token: string) => Buffer.from(token);
const v5 = 5 as const;

let packetId = 0;
async function publishQos1(client: RawClient, topic: string, payload = 'x'): Promise<number | undefined> {
  const id = ++packetId;
  client.send(
    { type: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false, packetId: id },
    v5,
  );
  return (await client.expectPacket('puback')).reasonCode;
}
async function subscribeV5(client: RawClient, ...topics: string[]): Promise<number[]> {
  client.send(
    { type: 'subscribe', packetId: ++packetId, subscriptions: topics.map((topic) => ({ topic, qos: 1 as const })) },
    v5,
  );
  return (await client.expectPacket('suback')).reasonCodes;
}

describe('@midge/plugin-auth-jwt in a broker', () => {
  it('gives a JWT client exactly the rights of its token (v5 PUBACK / SUBACK 0x87 otherwise)', async () => {
    await startBroker(plugin());
    const token = await sign(key, {
      sub: 'alice',
      aud: 'midge',
      publish: ['sensors/%u/#'],
      subscribe: ['commands/%c'],
    });
    const dev = await connected({ clientId: 'dev1', password: pw(token), protocolVersion: v5 });

    expect(await subscribeV5(dev, 'commands/dev1', 'commands/dev2', 'commands/#', 'sensors/alice/t')).toEqual([
      1, 0x87, 0x87, 0x87,
    ]);
    // 0x10: accepted, no matching subscribers (nobody listens yet).
    expect(await publishQos1(dev, 'sensors/alice/temp')).toBe(0x10);
    expect(await publishQos1(dev, 'sensors/bob/temp')).toBe(0x87);
    expect(await publishQos1(dev, 'commands/dev1')).toBe(0x87);

    // Another token, for an operator who may publish commands: dev1 receives its own, not dev2's.
    const opsToken = await sign(key, { sub: 'ops', aud: 'midge', publish: ['commands/+'], subscribe: ['sensors/#'] });
    const ops = await connected({ clientId: 'ops', username: 'ops', password: pw(opsToken), protocolVersion: v5 });
    expect(await subscribeV5(ops, 'sensors/#')).toEqual([1]);
    expect(await publishQos1(dev, 'sensors/alice/humidity', 'h')).toBe(0);
    expect((await ops.expectPacket('publish')).topic).toBe('sensors/alice/humidity');
    expect(await publishQos1(ops, 'commands/dev2')).toBe(0x10);
    expect(await publishQos1(ops, 'commands/dev1', 'go')).toBe(0);
    const got = await dev.expectPacket('publish');
    expect([got.topic, got.payload.toString()]).toEqual(['commands/dev1', 'go']);
  });

  it("names a client that sent only its token by the token's subject, for the whole broker", async () => {
    const { broker } = await startBroker(plugin());
    const token = await sign(key, { sub: 'carol', aud: 'midge', publish: ['x/%u'] });
    const c = await connected({ clientId: 'token-only', password: pw(token), protocolVersion: v5 });
    const seen = broker.connectedClients().find((x) => x.client.clientId === 'token-only');
    // Every plugin and ACL after this one, and the admin API, know the client as carol.
    expect(seen?.client.username).toBe('carol');
    expect(await publishQos1(c, 'x/carol')).toBe(0x10);
  });

  it('refuses bad tokens with CONNACK 0x86 (v5) / 4 (v3), and leaves clients without a token to other plugins', async () => {
    await startBroker(plugin());
    const wrongKey = await sign(other, { aud: 'midge' });
    expect((await connectClient({ password: pw(wrongKey), protocolVersion: v5 })).code).toBe(0x86);
    expect((await connectClient({ username: 'alice', password: pw(wrongKey) })).code).toBe(4);
    const expired = await sign(key, { aud: 'midge', exp: inSeconds(-60) });
    // Before MQTT 5 a password needs a username, so v3 clients send the token's.
    expect((await connectClient({ username: 'alice', password: pw(expired) })).code).toBe(4);
    const wrongAud = await sign(key, { aud: 'elsewhere' });
    expect((await connectClient({ password: pw(wrongAud), protocolVersion: v5 })).code).toBe(0x86);
    // A valid token, but the CONNECT names another user: the broker would know the client as bob.
    const alice = await sign(key, { sub: 'alice', aud: 'midge' });
    expect((await connectClient({ username: 'bob', password: pw(alice) })).code).toBe(4);
    expect((await connectClient({ username: 'alice', password: pw(alice) })).code).toBe(0);
    // No token: this plugin abstains; with no other plugin nobody allowed → not authorized.
    expect((await connectClient({ username: 'alice', password: pw('not-a-jwt') })).code).toBe(5);
  });

  it('reads the token from the username with token_from: username, with %u from its claim', async () => {
    await startBroker(plugin({ token_from: 'username' }));
    const token = await sign(key, { sub: 'carol', aud: 'midge', subscribe: ['users/%u/#'] });
    const carol = await connected({ username: token, protocolVersion: 4 });
    expect(await subscribe(carol, 'users/carol/inbox', 'users/dave/inbox')).toEqual([1, 0x80]);
  });

  it('refuses with server unavailable (v5 0x88 / v3 3) when the JWKS URL cannot be reached', async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    await startBroker({
      '@midge/plugin-auth-jwt': {
        jwks_url: `http://127.0.0.1:${port}/jwks.json`,
        algorithms: ['ES256'],
        jwks_timeout_s: 1,
      },
    });
    const token = await sign(key);
    expect((await connectClient({ password: pw(token), protocolVersion: v5 })).code).toBe(0x88);
    expect((await connectClient({ username: 'alice', password: pw(token) })).code).toBe(3);
  });

  it('takes keys from a jwks_url and picks up a key published later (rotation without a restart)', async () => {
    let served = jwks(key);
    const http = createHttpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served));
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    try {
      const { port } = http.address() as AddressInfo;
      await startBroker({
        '@midge/plugin-auth-jwt': {
          jwks_url: `http://127.0.0.1:${port}/jwks.json`,
          algorithms: ['ES256'],
          jwks_cooldown_s: 0,
        },
      });
      const next = await signingKey('ES256', 'k2');
      expect((await connectClient({ password: pw(await sign(key)), protocolVersion: v5 })).code).toBe(0);
      expect((await connectClient({ password: pw(await sign(next)), protocolVersion: v5 })).code).toBe(0x86);
      served = jwks(key, next);
      expect((await connectClient({ password: pw(await sign(next)), protocolVersion: v5 })).code).toBe(0);
    } finally {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    }
  });

  it('disconnects a client when its token expires', async () => {
    await startBroker(plugin());
    const token = await sign(key, { aud: 'midge', exp: inSeconds(2) });
    const { client, code } = await connectClient({ password: pw(token), protocolVersion: v5 });
    expect(code).toBe(0);
    const disconnect = await client.expectPacket('disconnect', 5000);
    expect(disconnect.reasonCode).toBe(0x98);
    await client.closed();
  });
});
