/**
 * The plugin's hooks against a real local HTTP endpoint (node:http): what is sent, how answers become
 * decisions, the cache, and what a down, slow or failing endpoint means.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthorizeTopicRequest, ClientInfo, PluginHooks, TopicAction } from '@midge/mqtt-core';
import {
  authenticateRequest,
  issuePaths,
  logText,
  setupPlugin,
  testClientInfo,
  validatePluginConfig,
} from '@midge/mqtt-core/testing';
import plugin from '../src/index.js';
import { closedPort, json, startEndpoint } from './http-endpoint.js';

const hooksToClose: PluginHooks[] = [];
afterEach(async () => {
  for (const h of hooksToClose.splice(0)) await h.close?.();
});

async function setup(config: unknown) {
  const { hooks, ctx } = await setupPlugin(plugin, config);
  hooksToClose.push(hooks);
  return { hooks, ctx };
}

const alice = testClientInfo('alice', { clientId: 'dev-1', listener: 'tcp-main', remoteAddress: '127.0.0.9' });
const connect = async (hooks: PluginHooks, password: string | undefined, client: ClientInfo = alice) =>
  await hooks.authenticate!(authenticateRequest(client, password));
const topic = async (hooks: PluginHooks, action: TopicAction, t: string, client: ClientInfo = alice) =>
  await hooks.authorizeTopic!({ client, action, topic: t, qos: 1 } satisfies AuthorizeTopicRequest);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('config', () => {
  const ok = { authenticate: { url: 'http://127.0.0.1:1/auth' } };
  it('accepts a complete config', async () => {
    const result = await validatePluginConfig(plugin, {
      authenticate: {
        url: 'https://auth.example/mqtt/auth',
        method: 'POST',
        headers: { authorization: 'Bearer token' },
        body: { user: '${username}', pass: '${password}', meta: { from: '${peerhost}', n: 1 } },
      },
      authorize: { url: 'https://auth.example/mqtt/acl?u=${username}&t=${topic}', method: 'GET', receive: 'ask' },
      timeout_ms: 1500,
      connections: 8,
      cache: { max_entries: 100, ttl_s: 30, deny_ttl_s: 5 },
      fail: 'open',
      tls: { ca: 'ca.pem' },
    });
    expect(result.issues).toBeUndefined();
  });
  it.each([
    [{}, ''],
    [{ authenticate: { url: 'ftp://x/' } }, 'authenticate.url'],
    [{ authenticate: { url: 'http://x/${user}' } }, 'authenticate.url'],
    [{ authenticate: { url: 'http://x/', body: { u: '${nope}' } } }, 'authenticate.body'],
    [{ authenticate: { url: 'http://x/', method: 'GET', body: {} } }, 'authenticate'],
    [{ ...ok, fail: 'maybe' }, 'fail'],
    [{ ...ok, cache: { ttl: 1 } }, 'cache.ttl'],
    [{ ...ok, timeout_ms: 0 }, 'timeout_ms'],
    [{ ...ok, extra: 1 }, 'extra'],
  ])('rejects %j at %s', async (input, path) => {
    const result = await validatePluginConfig(plugin, input);
    expect(result.issues).toBeDefined();
    expect(issuePaths(result)[0]).toBe(path);
  });
});

describe('requests', () => {
  it('POSTs the default authenticate body as JSON, with every value', async () => {
    const ep = await startEndpoint((_, res) => json(res, { result: 'allow' }));
    const { hooks } = await setup({ authenticate: { url: `${ep.origin}/auth` } });
    expect(await connect(hooks, 'secret')).toEqual({ verdict: 'allow' });
    expect(ep.requests).toHaveLength(1);
    const [req] = ep.requests;
    expect(req?.method).toBe('POST');
    expect(req?.url).toBe('/auth');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.body ?? '')).toEqual({
      clientid: 'dev-1',
      username: 'alice',
      password: 'secret',
      listener: 'tcp-main',
      peerhost: '127.0.0.9',
      protocol: '4',
    });
  });

  it('escapes values into a custom JSON body and templated headers; quotes cannot change its structure', async () => {
    const ep = await startEndpoint((_, res) => json(res, { result: 'allow' }));
    const { hooks } = await setup({
      authenticate: {
        url: `${ep.origin}/auth`,
        headers: { 'X-Client': '${clientid}', 'X-Api-Key': 'k1' },
        body: { login: { name: '${username}', secret: '${password}' }, tag: 'user=${username}', n: 7, on: true },
      },
    });
    const tricky = testClientInfo('bob", "admin": true, "x": "', { clientId: 'c"1' });
    await connect(hooks, 'pa"ss\\word\n', tricky);
    const [req] = ep.requests;
    expect(req?.headers['x-client']).toBe('c"1');
    expect(req?.headers['x-api-key']).toBe('k1');
    expect(JSON.parse(req?.body ?? '')).toEqual({
      login: { name: 'bob", "admin": true, "x": "', secret: 'pa"ss\\word\n' },
      tag: 'user=bob", "admin": true, "x": "',
      n: 7,
      on: true,
    });
  });

  it('GET puts percent-encoded values in the URL and sends no body', async () => {
    const ep = await startEndpoint((_, res) => json(res, { result: 'allow' }));
    const { hooks } = await setup({
      authorize: { url: `${ep.origin}/acl?u=\${username}&t=\${topic}&a=\${action}&q=\${qos}`, method: 'GET' },
    });
    await topic(hooks, 'publish', 'a/b&c=d #');
    const [req] = ep.requests;
    expect(req?.method).toBe('GET');
    expect(req?.body).toBe('');
    const query = new URL(req?.url ?? '', ep.origin).searchParams;
    expect(Object.fromEntries(query)).toEqual({ u: 'alice', t: 'a/b&c=d #', a: 'publish', q: '1' });
  });

  it('sends the default authorize body, an anonymous client with an empty username', async () => {
    const ep = await startEndpoint((_, res) => json(res, { result: 'allow' }));
    const { hooks } = await setup({ authorize: { url: `${ep.origin}/acl` } });
    await topic(hooks, 'subscribe', 'sensors/+', testClientInfo(undefined, { clientId: 'anon' }));
    expect(JSON.parse(ep.requests[0]?.body ?? '')).toEqual({
      clientid: 'anon',
      username: '',
      topic: 'sensors/+',
      action: 'subscribe',
      qos: '1',
      listener: 'default',
      peerhost: '127.0.0.1',
    });
  });

  it('reuses connections (keep-alive) instead of opening one per request', async () => {
    const ep = await startEndpoint((_, res) => json(res, { result: 'allow' }));
    const { hooks } = await setup({ authorize: { url: `${ep.origin}/acl` }, cache: { ttl_s: 0 } });
    for (let i = 0; i < 10; i++) await topic(hooks, 'publish', `t/${i}`);
    expect(ep.requests).toHaveLength(10);
    // A request sent right as the previous answer is read may find that socket not yet free and open a
    // second one; after that both are reused.
    expect(ep.connections).toBeLessThanOrEqual(2);
  });

  it('opens at most `connections` connections per endpoint', async () => {
    const ep = await startEndpoint(async (_, res) => {
      await sleep(20);
      json(res, { result: 'allow' });
    });
    const { hooks } = await setup({ authorize: { url: `${ep.origin}/acl` }, connections: 2, cache: { ttl_s: 0 } });
    const decisions = await Promise.all(Array.from({ length: 8 }, (_, i) => topic(hooks, 'publish', `t/${i}`)));
    expect(decisions.every((d) => d.verdict === 'allow')).toBe(true);
    expect(ep.requests).toHaveLength(8);
    expect(ep.connections).toBe(2);
  });
  it('denies a value that cannot go into a header without asking, even with fail: open', async () => {
    const ep = await startEndpoint((_, res) => json(res, { result: 'allow' }));
    const { hooks } = await setup({
      authenticate: { url: `${ep.origin}/auth`, headers: { 'X-User': '${username}' } },
      fail: 'open',
    });
    const decision = await connect(hooks, 'pw', testClientInfo('eve\r\nX-Admin: 1'));
    expect(decision).toEqual({ verdict: 'deny', reason: 'a value cannot be sent to the endpoint' });
    expect(ep.requests).toHaveLength(0);
    expect((await connect(hooks, 'pw')).verdict).toBe('allow'); // the same template with a plain username
  });
});

describe('answers', () => {
  it.each([
    [200, { result: 'allow' }, { verdict: 'allow' }],
    [200, { result: 'ignore' }, { verdict: 'abstain' }],
    [200, { result: 'deny', reason: 'account locked' }, { verdict: 'deny', reason: 'account locked' }],
    [200, { result: 'deny' }, { verdict: 'deny', reason: 'not authorized by the authentication endpoint' }],
    [403, { reason: 'expired' }, { verdict: 'deny', reason: 'expired' }],
    [401, '', { verdict: 'deny', reason: 'not authorized by the authentication endpoint' }],
    [204, '', { verdict: 'allow' }],
    // Not the contract: the endpoint failed, and fail closed denies with "server unavailable" (v3 3).
    [200, '<html>login</html>', { verdict: 'deny', reason: 'authentication service unavailable', reasonCode: 3 }],
    [200, { result: 'yes' }, { verdict: 'deny', reason: 'authentication service unavailable', reasonCode: 3 }],
    [500, { result: 'allow' }, { verdict: 'deny', reason: 'authentication service unavailable', reasonCode: 3 }],
    [404, '', { verdict: 'deny', reason: 'authentication service unavailable', reasonCode: 3 }],
  ])('HTTP %i %j → %j', async (status, body, decision) => {
    const ep = await startEndpoint((_, res) => {
      if (typeof body === 'string') {
        res.writeHead(status);
        res.end(body);
      } else json(res, body, status);
    });
    const { hooks } = await setup({ authenticate: { url: `${ep.origin}/auth` } });
    expect(await connect(hooks, 'pw')).toEqual(decision);
  });

  it('stops reading an answer past 64 KiB: a failure, not a decision', async () => {
    const ep = await startEndpoint((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      // Chunked, no Content-Length: the size shows only while reading.
      res.write(`{"result": "allow", "pad": "`);
      res.write('x'.repeat(70 * 1024));
      res.end('"}');
    });
    const { hooks, ctx } = await setup({ authenticate: { url: `${ep.origin}/auth` } });
    expect((await connect(hooks, 'pw')).verdict).toBe('deny');
    expect(logText(ctx.logger.records, 'warn')).toMatch(/HTTP 200 with a body over 65536 bytes/);
  });

  it('a v5 client refused for an unavailable endpoint gets 0x88 (server unavailable)', async () => {
    const { hooks } = await setup({ authenticate: { url: `http://127.0.0.1:${await closedPort()}/auth` } });
    expect(await connect(hooks, 'pw', testClientInfo('alice', { protocolVersion: 5 }))).toMatchObject({
      verdict: 'deny',
      reasonCode: 0x88,
    });
  });
});

describe('cache', () => {
  it('reuses an allow for ttl_s, then asks again; another password is another request', async () => {
    const ep = await startEndpoint((_, res) => json(res, { result: 'allow' }));
    const { hooks } = await setup({ authenticate: { url: `${ep.origin}/auth` }, cache: { ttl_s: 1 } });
    await connect(hooks, 'secret');
    await connect(hooks, 'secret');
    expect(ep.requests).toHaveLength(1);
    await connect(hooks, 'other');
    expect(ep.requests).toHaveLength(2);
    await sleep(1100);
    await connect(hooks, 'secret');
    expect(ep.requests).toHaveLength(3);
  });

  it('reuses a deny for deny_ttl_s, independently of ttl_s', async () => {
    const ep = await startEndpoint((_, res) => json(res, { result: 'deny' }));
    const { hooks } = await setup({ authorize: { url: `${ep.origin}/acl` }, cache: { ttl_s: 60, deny_ttl_s: 1 } });
    expect((await topic(hooks, 'publish', 'x')).verdict).toBe('deny');
    expect((await topic(hooks, 'publish', 'x')).verdict).toBe('deny');
    expect(ep.requests).toHaveLength(1);
    await sleep(1100);
    await topic(hooks, 'publish', 'x');
    expect(ep.requests).toHaveLength(2);
  });

  it('does not cache with ttl 0, nor failures', async () => {
    let status = 500;
    const ep = await startEndpoint((_, res) => json(res, { result: 'allow' }, status));
    const { hooks } = await setup({ authorize: { url: `${ep.origin}/acl` } });
    expect((await topic(hooks, 'publish', 'x')).verdict).toBe('deny');
    status = 200;
    expect((await topic(hooks, 'publish', 'x')).verdict).toBe('allow');
    expect(ep.requests).toHaveLength(2);
  });

  it('sends identical requests in flight once', async () => {
    const ep = await startEndpoint(async (_, res) => {
      await sleep(100);
      json(res, { result: 'allow' });
    });
    const { hooks } = await setup({ authenticate: { url: `${ep.origin}/auth` } });
    const decisions = await Promise.all([connect(hooks, 'pw'), connect(hooks, 'pw'), connect(hooks, 'pw')]);
    expect(decisions.map((d) => d.verdict)).toEqual(['allow', 'allow', 'allow']);
    expect(ep.requests).toHaveLength(1);
  });

  it('reports its cache figures as metrics', async () => {
    const ep = await startEndpoint((_, res) => json(res, { result: 'allow' }));
    const { hooks } = await setup({ authenticate: { url: `${ep.origin}/auth` } });
    await connect(hooks, 'a');
    await connect(hooks, 'a');
    await connect(hooks, 'b');
    const figures = Object.fromEntries((hooks.metrics?.() ?? []).map((m) => [m.name, m.value]));
    expect(figures).toEqual({
      auth_http_cache_hits_total: 1,
      auth_http_cache_misses_total: 2,
      auth_http_cache_entries: 2,
    });
  });

  it('is emptied by reload', async () => {
    let result = 'allow';
    const ep = await startEndpoint((_, res) => json(res, { result }));
    const { hooks } = await setup({ authorize: { url: `${ep.origin}/acl` } });
    expect((await topic(hooks, 'subscribe', 'a/#')).verdict).toBe('allow');
    result = 'deny';
    expect((await topic(hooks, 'subscribe', 'a/#')).verdict).toBe('allow');
    await hooks.reload?.();
    expect((await topic(hooks, 'subscribe', 'a/#')).verdict).toBe('deny');
  });
});

describe('receive', () => {
  it('allows deliveries without a request by default; abstain abstains; ask asks per topic', async () => {
    const ep = await startEndpoint((req, res) =>
      json(res, { result: (JSON.parse(req.body) as { topic: string }).topic === 'ok' ? 'allow' : 'deny' }),
    );
    const byDefault = await setup({ authorize: { url: `${ep.origin}/acl` } });
    expect(await topic(byDefault.hooks, 'receive', 'no')).toEqual({ verdict: 'allow' });
    const abstaining = await setup({ authorize: { url: `${ep.origin}/acl`, receive: 'abstain' } });
    expect(await topic(abstaining.hooks, 'receive', 'no')).toEqual({ verdict: 'abstain' });
    expect(ep.requests).toHaveLength(0);
    const asking = await setup({ authorize: { url: `${ep.origin}/acl`, receive: 'ask' } });
    expect((await topic(asking.hooks, 'receive', 'ok')).verdict).toBe('allow');
    expect((await topic(asking.hooks, 'receive', 'no')).verdict).toBe('deny');
    expect(ep.requests.map((r) => (JSON.parse(r.body) as { action: string }).action)).toEqual(['receive', 'receive']);
  });
});

describe('endpoint down or slow', () => {
  it('times out: fail closed denies, fail open allows', async () => {
    const ep = await startEndpoint(() => undefined); // never answers
    const closed = await setup({ authenticate: { url: `${ep.origin}/auth` }, timeout_ms: 200 });
    const started = Date.now();
    expect(await connect(closed.hooks, 'pw')).toMatchObject({ verdict: 'deny', reasonCode: 3 });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(logText(closed.ctx.logger.records, 'warn')).toMatch(/authenticate endpoint failed: no answer within 200 ms/);
    const open = await setup({ authorize: { url: `${ep.origin}/acl` }, timeout_ms: 200, fail: 'open' });
    expect(await topic(open.hooks, 'publish', 'x')).toEqual({ verdict: 'allow' });
  });

  it('connection refused: fail closed denies topics too', async () => {
    const { hooks, ctx } = await setup({ authorize: { url: `http://127.0.0.1:${await closedPort()}/acl` } });
    expect(await topic(hooks, 'subscribe', 'a')).toEqual({
      verdict: 'deny',
      reason: 'authorization service unavailable',
    });
    expect(logText(ctx.logger.records, 'warn')).toMatch(/authorize endpoint failed: .*ECONNREFUSED/);
  });

  it('logs failures throttled, and never the password', async () => {
    const ep = await startEndpoint((_, res) => json(res, {}, 503));
    const { hooks, ctx } = await setup({
      authenticate: { url: `${ep.origin}/auth?pw=\${password}`, method: 'GET' },
    });
    for (let i = 0; i < 5; i++) await connect(hooks, `hunter${i}`);
    expect(ep.requests).toHaveLength(5);
    const warnings = ctx.logger.records.filter((r) => r.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toBe('authenticate endpoint failed: HTTP 503');
    expect(JSON.stringify(ctx.logger.records)).not.toMatch(/hunter/);
  });
});
