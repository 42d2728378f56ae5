/**
 * The admin API's routes for one client in detail, subscriptions, one retained message (get, delete), the
 * effective config and a reload. Registered inside api.ts's token-protected `/api/v1` scope. Every mutating
 * call is logged with what and from where (the API has one token, so the caller's address says who).
 */
import type { BrokerApi, Logger } from '@midge/mqtt-core';
import type { FastifyInstance } from 'fastify';
import { validateTopicFilter } from '@midge/mqtt-core';
import { clientDetailRow } from './client-detail.js';
import type { History } from './history.js';
import type { TailHub } from './tail.js';
import { retainedRow } from './retained.js';
import { subscriptionPage } from './subscriptions.js';

export type OperationsBroker = Pick<
  BrokerApi,
  'clientDetail' | 'subscriptions' | 'getRetained' | 'setRetained' | 'effectiveConfig' | 'requestReload' | 'plugins'
>;

const paging = {
  limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
  offset: { type: 'integer', minimum: 0, default: 0 },
} as const;

const topicQuery = {
  querystring: {
    type: 'object',
    properties: { topic: { type: 'string', minLength: 1 } },
    required: ['topic'],
    additionalProperties: false,
  },
} as const;

/** What the dashboard's live parts read: the counters' history and the message tail; reloads in flight. */
export interface LiveViews {
  readonly history: History;
  readonly tails: TailHub;
  /** Told when a POST /reload starts and ends (the server's close must not wait for it: see server.ts). */
  readonly reloads: { started(): void; ended(): void };
}

export function registerOperations(
  api: FastifyInstance,
  broker: OperationsBroker,
  logger: Logger,
  live: LiveViews,
): void {
  api.get('/history', () => Promise.resolve({ intervalSeconds: 5, points: live.history.points() }));

  // Server-Sent Events; the page reads them with fetch (EventSource cannot send the Authorization header).
  api.get<{ Querystring: { filter: string } }>(
    '/tail',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { filter: { type: 'string', minLength: 1 } },
          required: ['filter'],
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const invalid = validateTopicFilter(req.query.filter, { maxLength: 0, maxLevels: 0 });
      if (invalid !== undefined) return reply.code(400).send({ error: `filter: ${invalid}` });
      reply.hijack();
      if (!live.tails.open(req.query.filter, reply.raw)) {
        reply.raw.writeHead(429, { 'content-type': 'application/json' });
        reply.raw.end(JSON.stringify({ error: 'too many message tails are open: close one first' }));
      }
      return reply;
    },
  );

  api.get<{ Params: { id: string } }>('/clients/:id', async (req, reply) => {
    const detail = broker.clientDetail(req.params.id);
    if (detail === undefined) return reply.code(404).send({ error: `no session '${req.params.id}'` });
    return clientDetailRow(detail);
  });

  api.get<{ Querystring: { limit: number; offset: number; client?: string; prefix?: string } }>(
    '/subscriptions',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { ...paging, client: { type: 'string' }, prefix: { type: 'string' } },
          additionalProperties: false,
        },
      },
    },
    (req) => Promise.resolve(subscriptionPage(broker.subscriptions(), req.query)),
  );

  // The topic goes in the query string: topics hold '/' (and may hold '%', '+' as text), which a path
  // parameter would need to escape twice.
  api.get<{ Querystring: { topic: string } }>('/retained/topic', { schema: topicQuery }, async (req, reply) => {
    const message = broker.getRetained(req.query.topic);
    if (message === undefined) return reply.code(404).send({ error: `no retained message on '${req.query.topic}'` });
    return retainedRow(message);
  });

  api.delete<{ Querystring: { topic: string } }>('/retained/topic', { schema: topicQuery }, async (req, reply) => {
    const { topic } = req.query;
    if (broker.getRetained(topic) === undefined)
      return reply.code(404).send({ error: `no retained message on '${topic}'` });
    try {
      // As a retained PUBLISH with an empty payload would: the store forgets it, nobody is sent anything.
      broker.setRetained({ topic, clear: true }, { origin: 'api' });
    } catch (err) {
      return reply.code(400).send({ error: (err as Error).message });
    }
    logger.info({ topic, from: req.ip }, `admin API: retained message of ${topic} deleted`);
    return { topic, deleted: true };
  });

  api.get('/config', () => Promise.resolve(broker.effectiveConfig()));

  api.get('/plugins', () => Promise.resolve({ plugins: broker.plugins() }));

  api.post('/reload', async (req, reply) => {
    logger.info({ from: req.ip }, 'admin API: reload');
    live.reloads.started();
    const outcome = await broker.requestReload().finally(() => live.reloads.ended());
    // The config read again had errors: nothing changed (409, as a request that conflicts with the file).
    // The reload may have set this plugin up again: a kept-alive connection would reach the old server,
    // closing, instead of the new one.
    return reply
      .code(outcome.applied ? 200 : 409)
      .header('connection', 'close')
      .send(outcome);
  });
}
