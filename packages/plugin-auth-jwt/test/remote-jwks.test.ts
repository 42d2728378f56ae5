/**
 * jwks_url against a real local HTTP server: the set is fetched, a new kid is picked up (rotation), and
 * with the server gone the cached keys keep working while unknown kids fail closed as "unavailable".
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as v from 'valibot';
import { recordingLogger } from '@midge/mqtt-core/testing';
import { configSchema, createKeySource, resolveConfig, verifyToken } from '../src/index.js';
import type { KeySource } from '../src/index.js';
import { jwks, sign, signingKey } from './tokens.js';
import type { SigningKey } from './tokens.js';

let k1: SigningKey;
let k2: SigningKey;
let k3: SigningKey;
beforeAll(async () => {
  [k1, k2, k3] = await Promise.all([signingKey('ES256', 'k1'), signingKey('ES256', 'k2'), signingKey('RS256', 'k3')]);
});

/** The JWKS server: what it serves and its status can change between requests; it counts them. */
interface JwksServer {
  readonly url: string;
  served: object;
  status: number;
  requests: number;
  stop(): Promise<void>;
}

let servers: Server[] = [];
const sources: KeySource[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const s of sources.splice(0)) s.close();
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function jwksServer(served: object): Promise<JwksServer> {
  const state = { served, status: 200, requests: 0 };
  const server = createServer((_req, res) => {
    state.requests++;
    res.writeHead(state.status, { 'content-type': 'application/json' }).end(JSON.stringify(state.served));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}/jwks.json`,
    stop: async () => {
      servers = servers.filter((s) => s !== server);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  });
}

async function verifier(input: Record<string, unknown>) {
  const config = v.parse(configSchema, { algorithms: ['ES256', 'RS256'], jwks_refresh_s: 0, ...input });
  const logger = recordingLogger();
  const keys = await createKeySource(config, process.cwd(), logger);
  sources.push(keys);
  const verify = async (key: SigningKey) => {
    const r = await verifyToken(await sign(key), keys, resolveConfig(config));
    return r.ok ? 'ok' : r.failure;
  };
  return { verify, keys, logger };
}

describe('jwks_url', () => {
  it('verifies with the fetched set and picks up a key added later (rotation)', async () => {
    const server = await jwksServer(jwks(k1));
    const { verify } = await verifier({ jwks_url: server.url, jwks_cooldown_s: 0 });
    expect(await verify(k1)).toBe('ok');
    expect(await verify(k2)).toBe('invalid'); // not published yet: fetched again, still unknown
    server.served = jwks(k1, k2);
    expect(await verify(k2)).toBe('ok');
  });

  it('fetches again for an unknown kid at most once per cooldown', async () => {
    const server = await jwksServer(jwks(k1));
    const { verify } = await verifier({ jwks_url: server.url, jwks_cooldown_s: 30 });
    expect(await verify(k1)).toBe('ok');
    const after = server.requests;
    server.served = jwks(k1, k2);
    expect(await verify(k2)).toBe('invalid'); // within the cooldown: the cached set answers
    expect(server.requests).toBe(after);
  });

  it('keeps verifying with cached keys when the server is down, and fails closed for unknown kids', async () => {
    const server = await jwksServer(jwks(k1));
    const { verify, keys } = await verifier({ jwks_url: server.url, jwks_cooldown_s: 0, jwks_timeout_s: 1 });
    expect(await verify(k1)).toBe('ok');
    await server.stop();
    await expect(keys.reload()).rejects.toThrow(); // a refresh now fails...
    expect(await verify(k1)).toBe('ok'); // ...and the key fetched before still works
    // Also past jose's default cache age (10 min), after which jose alone would fetch again and fail.
    const later = Date.now() + 11 * 60_000;
    vi.spyOn(Date, 'now').mockReturnValue(later);
    expect(await verify(k1)).toBe('ok');
    expect(await verify(k3)).toBe('unavailable');
  });

  it('treats an error answer as unavailable, and refuses everything until a first fetch succeeds', async () => {
    const server = await jwksServer(jwks(k1));
    server.status = 503;
    const { verify, logger } = await verifier({ jwks_url: server.url, jwks_cooldown_s: 0 });
    expect(await verify(k1)).toBe('unavailable');
    expect(logger.records.some((r) => r.level === 'warn' && /cannot fetch the JWKS/.test(r.msg))).toBe(true);
    server.status = 200;
    expect(await verify(k1)).toBe('ok');
  });

  it('refreshes the set in the background every jwks_refresh_s', async () => {
    const server = await jwksServer(jwks(k1));
    await verifier({ jwks_url: server.url, jwks_refresh_s: 0.2 });
    await expect.poll(() => server.requests, { timeout: 3000 }).toBeGreaterThanOrEqual(3);
  });
});
