/**
 * The plugin's hooks with a fake context: what it remembers per connection and when it forgets it,
 * expiry disconnects, reloads of the key file, its metrics.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { BrokerApi, ClientInfo, PluginHooks } from '@midge/mqtt-core';
import { authenticateRequest, fakePluginContext, setupPlugin, testClientInfo } from '@midge/mqtt-core/testing';
import plugin from '../src/index.js';
import { inSeconds, jwks, sign, signingKey } from './tokens.js';
import type { SigningKey } from './tokens.js';

let dir: string;
let k1: SigningKey;
let k2: SigningKey;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-auth-jwt-plugin-'));
  [k1, k2] = await Promise.all([signingKey('ES256', 'k1'), signingKey('ES256', 'k2')]);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const opened: PluginHooks[] = [];
afterEach(async () => {
  for (const h of opened.splice(0)) await h.close?.();
});

async function start(disconnectClients: BrokerApi['disconnectClients'] = () => 0) {
  await writeFile(join(dir, 'jwks.json'), JSON.stringify(jwks(k1)));
  const broker = { ...fakePluginContext().broker, disconnectClients };
  const { hooks, ctx } = await setupPlugin(
    plugin,
    { jwks_file: 'jwks.json', algorithms: ['ES256'] },
    { configDir: dir, broker },
  );
  opened.push(hooks);
  return { hooks, ctx };
}

const authenticate = async (hooks: PluginHooks, client: ClientInfo, token: string) =>
  (await hooks.authenticate!(authenticateRequest(client, token))).verdict;
const topic = async (hooks: PluginHooks, client: ClientInfo, action: 'publish' | 'subscribe', t: string) =>
  (await hooks.authorizeTopic!({ client, action, topic: t, qos: 0 })).verdict;

describe('@midge/plugin-auth-jwt hooks', () => {
  it('keeps rights per connection: another connection with the same client id has its own, and a disconnect forgets them', async () => {
    const { hooks } = await start();
    const first = testClientInfo(undefined, { clientId: 'dev', protocolVersion: 5, remotePort: 1001 });
    const second = testClientInfo(undefined, { clientId: 'dev', protocolVersion: 5, remotePort: 1002 });
    // The broker hands the hooks after authentication the client it admitted (named by the token).
    const connected = (c: typeof first) =>
      void hooks.events!['client:connected']!({ client: c, clean: true, sessionPresent: false });
    expect(await authenticate(hooks, first, await sign(k1, { publish: ['a/#'] }))).toBe('allow');
    connected(first);
    expect(await topic(hooks, first, 'publish', 'a/1')).toBe('allow');
    // Same client id, not authenticated by this plugin (yet): not ours to judge, and not first's rights.
    expect(await topic(hooks, second, 'publish', 'a/1')).toBe('abstain');
    expect(await authenticate(hooks, second, await sign(k1, { publish: ['b/#'] }))).toBe('allow');
    connected(second);
    expect(await topic(hooks, second, 'publish', 'a/1')).toBe('deny');
    expect(await topic(hooks, first, 'publish', 'a/1')).toBe('allow');
    void hooks.events!['client:disconnected']!({ client: first, graceful: true, reason: 'bye' });
    expect(await topic(hooks, first, 'publish', 'a/1')).toBe('abstain');
  });

  it('disconnects exactly the connection whose token expired, once it is connected', async () => {
    const closed: boolean[] = [];
    const mine = testClientInfo(undefined, { clientId: 'dev', protocolVersion: 5 });
    const other = testClientInfo(undefined, { clientId: 'dev', protocolVersion: 5 });
    const { hooks } = await start((match) => {
      closed.push(match(mine), match(other));
      return 1;
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      expect(await authenticate(hooks, mine, await sign(k1, { exp: inSeconds(60) }))).toBe('allow');
      vi.advanceTimersByTime(120_000);
      expect(closed).toEqual([]); // not connected yet (another plugin may still refuse it): no timer
      void hooks.events!['client:connected']!({ client: mine, clean: true, sessionPresent: false });
      vi.advanceTimersByTime(120_000);
      expect(closed).toEqual([true, false]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('cancels the expiry of a client that disconnected', async () => {
    const calls: ClientInfo[] = [];
    const client = testClientInfo(undefined, { protocolVersion: 5 });
    const { hooks } = await start(() => {
      calls.push(client);
      return 0;
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      expect(await authenticate(hooks, client, await sign(k1, { exp: inSeconds(60) }))).toBe('allow');
      void hooks.events!['client:connected']!({ client, clean: true, sessionPresent: false });
      void hooks.events!['client:disconnected']!({ client, graceful: false, reason: 'gone' });
      vi.advanceTimersByTime(120_000);
      expect(calls).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reloads the JWKS file, and keeps the keys it had when the file is broken', async () => {
    const { hooks, ctx } = await start();
    const client = () => testClientInfo(undefined, { protocolVersion: 5 });
    expect(await authenticate(hooks, client(), await sign(k2))).toBe('deny');
    await writeFile(join(dir, 'jwks.json'), JSON.stringify(jwks(k2)));
    await hooks.reload!();
    expect(await authenticate(hooks, client(), await sign(k2))).toBe('allow');
    expect(await authenticate(hooks, client(), await sign(k1))).toBe('deny'); // removed from the set
    await writeFile(join(dir, 'jwks.json'), '{"keys": ');
    await hooks.reload!();
    expect(await authenticate(hooks, client(), await sign(k2))).toBe('allow');
    expect(ctx.logger.records.some((r) => r.level === 'error' && /keeping the keys/.test(r.msg))).toBe(true);
  });

  it('reloads the secret file, and keeps the secret it had when the new one is too short', async () => {
    const first = Buffer.from('first-secret-first-secret-first-secret');
    const second = Buffer.from('second-secret-second-secret-second-secret');
    await writeFile(join(dir, 'secret'), first);
    const { hooks } = await setupPlugin(plugin, { secret_file: 'secret', algorithms: ['HS256'] }, { configDir: dir });
    opened.push(hooks);
    const client = () => testClientInfo(undefined, { protocolVersion: 5 });
    const hs = (secret: Buffer) => sign({ alg: 'HS256', secret: new Uint8Array(secret) });
    expect(await authenticate(hooks, client(), await hs(first))).toBe('allow');
    await writeFile(join(dir, 'secret'), second);
    await hooks.reload!();
    expect(await authenticate(hooks, client(), await hs(first))).toBe('deny');
    expect(await authenticate(hooks, client(), await hs(second))).toBe('allow');
    await writeFile(join(dir, 'secret'), 'short');
    await hooks.reload!();
    expect(await authenticate(hooks, client(), await hs(second))).toBe('allow');
  });

  it('counts CONNECTs with a token by result, and none for clients without one', async () => {
    const { hooks } = await start();
    const c = (username?: string) => testClientInfo(username, { protocolVersion: 5 });
    await authenticate(hooks, c(), await sign(k1));
    await authenticate(hooks, c(), await sign(k2));
    await authenticate(hooks, c('mallory'), await sign(k1, { sub: 'alice' }));
    expect(await authenticate(hooks, c('bob'), 'hunter2')).toBe('abstain');
    const byResult: Record<string, number> = {};
    for (const m of hooks.metrics?.() ?? []) byResult[m.labels?.['result'] ?? '?'] = m.value;
    expect(byResult).toEqual({ allowed: 1, invalid: 1, unavailable: 0, mismatch: 1 });
  });
});
