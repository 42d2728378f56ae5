/**
 * @midge/plugin-admin: one HTTP server (Fastify) for operators' tools: Prometheus metrics at /metrics,
 * liveness at /healthz, readiness at /readyz. Loopback by default.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createHash, timingSafeEqual } from 'node:crypto';
import { definePlugin } from '@midge/mqtt-core';
import type { PluginHooks } from '@midge/mqtt-core';
import Fastify from 'fastify';
import { configSchema, parseBind } from './config.js';
import type { AdminConfig } from './config.js';
import { brokerMetrics } from './metrics.js';

export { configSchema, DEFAULT_BIND } from './config.js';
export type { AdminConfig } from './config.js';
export { brokerMetrics } from './metrics.js';

export const PLUGIN_NAME = '@midge/plugin-admin';

async function readToken(path: string): Promise<string> {
  const token = (await readFile(path, 'utf8')).trim();
  if (token === '') throw new Error(`the token file ${path} is empty: put a long random token in it`);
  return token;
}

/** Constant-time comparison of a presented bearer token with the configured one (digests of equal length). */
function tokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

export default definePlugin({
  name: PLUGIN_NAME,
  apiVersion: 1,
  configSchema,
  async check(ctx, config: AdminConfig) {
    if (config.token_file === undefined) return [];
    const path = resolve(ctx.configDir, config.token_file);
    return readToken(path).then(
      () => [],
      (err: Error) => [{ option: 'token_file', message: `cannot use ${path}: ${err.message}` }],
    );
  },
  async setup(ctx, config: AdminConfig): Promise<PluginHooks> {
    const { logger } = ctx;
    const token =
      config.token_file === undefined ? undefined : await readToken(resolve(ctx.configDir, config.token_file));
    const metrics = brokerMetrics(ctx.broker);
    let ready = false;
    let stopping = false;
    const app = Fastify({ logger: false });
    app.get('/healthz', () => Promise.resolve({ status: 'ok' }));
    app.get('/readyz', async (_req, reply) => {
      if (stopping) return reply.code(503).send({ ready: false, reason: 'the broker is shutting down' });
      if (!ready) return reply.code(503).send({ ready: false, reason: 'the broker is starting' });
      return { ready: true };
    });
    app.get('/metrics', async (req, reply) => {
      if (config.metrics_auth && token !== undefined) {
        const presented = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
        if (!tokenMatches(presented, token)) return reply.code(401).send({ error: 'a bearer token is needed' });
      }
      return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
    });
    const where = parseBind(config.bind);
    if (where === undefined) throw new Error(`plugins.'${PLUGIN_NAME}'.bind: cannot read '${config.bind}'`);
    try {
      await app.listen({ host: where.host, port: where.port });
    } catch (err) {
      throw new Error(
        `the admin server cannot listen on ${config.bind} (${(err as Error).message}): choose another bind`,
        { cause: err },
      );
    }
    const address = app.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : where.port;
    logger.info({ host: where.host, port }, `admin server listening on http://${where.host}:${port}`);
    return {
      events: {
        'broker:post-start': () => {
          ready = true;
        },
        'broker:pre-shutdown': () => {
          stopping = true;
        },
        'client:connected': ({ client }) => metrics.connected(client.listener),
        'client:disconnected': ({ client }) => metrics.disconnected(client.listener),
      },
      close: () => app.close(),
    };
  },
});
