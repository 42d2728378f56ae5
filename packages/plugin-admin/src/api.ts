/**
 * The admin API under /api/v1: JSON, every route but openapi.json behind `Authorization: Bearer <token>`.
 * Without a token file the API is off and says so (404 naming the option).
 */
import type { BrokerApi, Logger } from '@midge/mqtt-core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { clientPage, connectionsByListener } from './clients.js';
import { registerOperations, type LiveViews, type OperationsBroker } from './api-operations.js';
import { openApiDocument } from './openapi.js';
import { retainedPage } from './retained.js';
import { sessionPage } from './sessions.js';
import { bearerToken, tokenMatches } from './token.js';

export interface ApiOptions {
  readonly broker: Pick<BrokerApi, 'version' | 'stats' | 'sessionCount' | 'subscriptionCount'> &
    Pick<BrokerApi, 'disconnectClients' | 'connectedClients' | 'retainedMessages' | 'sessions' | 'deleteSession'> &
    OperationsBroker;
  /** undefined: the API is off. */
  readonly token: string | undefined;
  readonly live: LiveViews;
  readonly logger: Logger;
}

const paging = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  offset: { type: 'integer', minimum: 0, default: 0 },
} as const;

interface Paging {
  limit: number;
  offset: number;
}

/** A Fastify onRequest hook answering 401 unless the request carries the token. */
export function requireToken(token: string) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (tokenMatches(bearerToken(req.headers.authorization), token)) return;
    await reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="midge"')
      .send({ error: 'this needs Authorization: Bearer <the token of token_file>' });
  };
}

export function registerApi(app: FastifyInstance, options: ApiOptions): void {
  const { broker, token, logger } = options;
  app.get('/api/v1/openapi.json', () => Promise.resolve(openApiDocument(broker.version)));
  if (token === undefined) {
    app.all('/api/*', async (_req, reply) =>
      reply.code(404).send({ error: 'the admin API is off: set token_file in the plugin options to turn it on' }),
    );
    return;
  }
  void app.register(
    (api, _options, done) => {
      api.addHook('onRequest', requireToken(token));

      api.get('/stats', () => {
        const stats = broker.stats();
        return Promise.resolve({
          version: broker.version,
          startedAt: new Date(stats.startedAt).toISOString(),
          uptimeSeconds: Math.max(0, Math.floor((Date.now() - stats.startedAt) / 1000)),
          sessions: broker.sessionCount(),
          subscriptions: broker.subscriptionCount(),
          connections: Object.fromEntries(connectionsByListener(broker.connectedClients())),
          stats,
        });
      });

      api.get<{ Querystring: Paging & { prefix?: string; username?: string; listener?: string } }>(
        '/clients',
        {
          schema: {
            querystring: {
              type: 'object',
              properties: {
                ...paging,
                prefix: { type: 'string' },
                username: { type: 'string' },
                listener: { type: 'string' },
              },
              additionalProperties: false,
            },
          },
        },
        (req) => Promise.resolve(clientPage(broker.connectedClients(), req.query)),
      );

      api.post<{ Params: { id: string } }>('/clients/:id/kick', async (req, reply) => {
        const clientId = req.params.id;
        const disconnected = broker.disconnectClients((c) => c.clientId === clientId, 'kicked through the admin API');
        // Every mutating call is logged: what, and who (the API has one token, so the caller's address).
        logger.info({ clientId, disconnected, from: req.ip }, `admin API: kick ${clientId}`);
        if (disconnected === 0) return reply.code(404).send({ error: `no client '${clientId}' is connected` });
        return { clientId, disconnected };
      });

      api.get<{ Querystring: Paging & { prefix?: string; connected?: boolean } }>(
        '/sessions',
        {
          schema: {
            querystring: {
              type: 'object',
              properties: { ...paging, prefix: { type: 'string' }, connected: { type: 'boolean' } },
              additionalProperties: false,
            },
          },
        },
        (req) => Promise.resolve(sessionPage(broker.sessions(), req.query)),
      );

      api.delete<{ Params: { id: string } }>('/sessions/:id', async (req, reply) => {
        const clientId = req.params.id;
        const result = broker.deleteSession(clientId);
        logger.info({ clientId, result, from: req.ip }, `admin API: delete session ${clientId}`);
        if (result === 'unknown') return reply.code(404).send({ error: `no session '${clientId}'` });
        if (result === 'connected')
          return reply
            .code(409)
            .send({ error: `session '${clientId}' has a connected client: kick it first, then delete the session` });
        return { clientId, deleted: true };
      });

      api.get<{ Querystring: Paging & { filter: string } }>(
        '/retained',
        {
          schema: {
            querystring: {
              type: 'object',
              properties: { ...paging, filter: { type: 'string', default: '#' } },
              additionalProperties: false,
            },
          },
        },
        async (req, reply) => {
          const { filter, offset, limit } = req.query;
          let messages;
          try {
            messages = broker.retainedMessages(filter);
          } catch (err) {
            return reply.code(400).send({ error: (err as Error).message });
          }
          return retainedPage(messages, offset, limit);
        },
      );
      registerOperations(api, broker, logger, options.live);
      done();
    },
    { prefix: '/api/v1' },
  );
}
