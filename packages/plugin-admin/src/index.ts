/**
 * @midge/plugin-admin: one HTTP server (Fastify) for operators' tools: Prometheus metrics at /metrics,
 * liveness at /healthz, readiness at /readyz, the admin API under /api/v1. Loopback by default.
 */
import { resolve } from 'node:path';
import { definePlugin } from '@midge/mqtt-core';
import type { PluginHooks } from '@midge/mqtt-core';
import { configSchema } from './config.js';
import type { AdminConfig } from './config.js';
import { readToken } from './token.js';
import { startAdminServer } from './server.js';

export { configSchema, DEFAULT_BIND } from './config.js';
export type { AdminConfig } from './config.js';
export { brokerMetrics, wantsOpenMetrics } from './metrics.js';
export type { BrokerMetrics, Exposition, MetricsSource } from './metrics.js';
export { openApiDocument } from './openapi.js';

export const PLUGIN_NAME = '@midge/plugin-admin';

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
    let token: string | undefined;
    if (config.token_file !== undefined) {
      const path = resolve(ctx.configDir, config.token_file);
      token = await readToken(path).catch((err: Error) => {
        throw new Error(`token_file: cannot use ${path}: ${err.message}`, { cause: err });
      });
    }
    const server = await startAdminServer({ broker: ctx.broker, logger: ctx.logger, config, token });
    return {
      events: {
        'broker:post-start': () => server.readiness.started(),
        'broker:pre-shutdown': () => server.readiness.stopping(),
      },
      close: () => server.close(),
    };
  },
});
