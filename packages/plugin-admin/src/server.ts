/** The admin HTTP server: routes for metrics and health, the API, listening on the configured bind. */
import type { BrokerApi, Logger } from '@midge/mqtt-core';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance } from 'fastify';
import { registerApi, requireToken } from './api.js';
import { connectionsByListener } from './clients.js';
import { parseBind } from './config.js';
import type { AdminConfig } from './config.js';
import { brokerMetrics, wantsOpenMetrics } from './metrics.js';
import { Readiness } from './readiness.js';
import { loadDashboardAssets, registerDashboard } from './dashboard.js';
import { History } from './history.js';
import { TailHub } from './tail.js';

export interface AdminServerOptions {
  readonly broker: BrokerApi;
  readonly logger: Logger;
  readonly config: AdminConfig;
  /** The bearer token; undefined: the API is off and /metrics is open. */
  readonly token: string | undefined;
}

export interface AdminServer {
  readonly readiness: Readiness;
  /** The port listened on (the one picked for port 0). */
  readonly port: number;
  close(): Promise<void>;
}

export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const { broker, logger, config, token } = options;
  const where = parseBind(config.bind);
  if (where === undefined) throw new Error(`bind: cannot read '${config.bind}': write it as host:port`);
  const readiness = new Readiness();
  const metrics = brokerMetrics({
    broker,
    logger,
    connectionsByListener: () => connectionsByListener(broker.connectedClients()),
  });

  const app = Fastify({ logger: false });
  // Errors as the API documents them: `{ "error": "..." }`.
  app.setErrorHandler(async (err: FastifyError, _req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) logger.error({ err }, 'admin server: request failed');
    return reply.code(status).send({ error: err.message });
  });
  app.setNotFoundHandler(async (req, reply) =>
    reply.code(404).send({ error: `no route ${req.method} ${req.url.split('?')[0] ?? ''}` }),
  );
  app.get('/healthz', () => Promise.resolve({ status: 'ok', uptimeSeconds: Math.floor(process.uptime()) }));
  app.get('/readyz', async (_req, reply) => {
    const report = readiness.report(() => broker.health());
    return reply.code(report.ready ? 200 : 503).send(report);
  });
  const metricsAuth = config.metrics_auth && token !== undefined ? requireToken(token) : undefined;
  app.get('/metrics', metricsAuth === undefined ? {} : { onRequest: metricsAuth }, async (req, reply) => {
    const { contentType, body } = await metrics.scrape(wantsOpenMetrics(req.headers.accept));
    return reply.header('content-type', contentType).send(body);
  });
  const history = new History(broker);
  const tails = new TailHub(broker);
  registerDashboard(app, loadDashboardAssets());
  let reloadsInFlight = 0;
  const reloads = { started: () => void reloadsInFlight++, ended: () => void reloadsInFlight-- };
  registerApi(app, { broker, token, logger, live: { history, tails, reloads } });

  try {
    await app.listen({ host: where.host, port: where.port });
  } catch (err) {
    history.close();
    await app.close().catch(() => undefined);
    throw new Error(
      `the admin server cannot listen on ${config.bind} (${(err as Error).message}): choose another bind`,
      { cause: err },
    );
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : where.port;
  const api = token === undefined ? 'API off (no token_file)' : 'API and dashboard on';
  logger.info(
    { host: where.host, port },
    `admin server listening on http://${hostForUrl(where.host)}:${port} (${api})`,
  );
  return {
    readiness,
    port,
    close: async () => {
      history.close();
      // Open event streams would keep Fastify's close waiting for their sockets.
      tails.close();
      if (reloadsInFlight === 0) await app.close();
      else await closeDuringReload(app, logger);
    },
  };
}

/**
 * Closes while a POST /reload is being served: that reload changed this plugin's options and is what closes
 * it. The request's answer waits for the reload, the reload for this close, and a full close waits for the
 * request: it would only end when the plugin's close timed out. So stop listening (the plugin set up again
 * binds the same port) and let the rest of the close, that answer included, finish on its own.
 */
async function closeDuringReload(app: FastifyInstance, logger: Logger): Promise<void> {
  const closed = app.close().catch((err: unknown) => logger.error({ err }, 'admin server: close failed'));
  // Fastify stops listening a few ticks into close(); `listening` turns false once the port is released.
  for (let i = 0; i < 1000 && app.server.listening; i++) await new Promise((resolve) => setImmediate(resolve));
  if (app.server.listening) await closed;
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
