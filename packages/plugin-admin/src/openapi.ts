/** The admin server's OpenAPI 3.1 document, served at /api/v1/openapi.json. Written by hand: keep it in step with api.ts. */

const error = {
  description: 'An error',
  content: {
    'application/json': {
      schema: { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] },
    },
  },
};
const unauthorized = { ...error, description: 'No token, or not the configured one' };

const paging = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
  { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
];

const json = (schema: Record<string, unknown>, description: string): Record<string, unknown> => ({
  description,
  content: { 'application/json': { schema } },
});

/** A paged list's response: `total`, `offset`, `limit` and the page's rows under `key`. */
const pageOf = (key: string, row: Record<string, unknown>, description: string): Record<string, unknown> =>
  json(
    {
      type: 'object',
      properties: {
        total: { type: 'integer' },
        offset: { type: 'integer' },
        limit: { type: 'integer' },
        [key]: { type: 'array', items: row },
      },
    },
    description,
  );

const sessionRow = {
  type: 'object',
  properties: {
    clientId: { type: 'string' },
    username: { type: ['string', 'null'] },
    connected: { type: 'boolean' },
    persistent: { type: 'boolean' },
    subscriptions: { type: 'integer' },
    queued: { type: 'integer' },
    inflight: { type: 'integer' },
    expiryInterval: { type: ['integer', 'null'], description: 'Seconds; null: the broker default' },
  },
} as const;

const clientRow = {
  type: 'object',
  properties: {
    clientId: { type: 'string' },
    username: { type: ['string', 'null'] },
    listener: { type: 'string', description: 'The listener (config key) it came in on' },
    remoteAddress: { type: 'string' },
    remotePort: { type: 'integer' },
    protocolVersion: { type: 'integer', enum: [3, 4, 5], description: '3: MQTT 3.1, 4: 3.1.1, 5: 5.0' },
    secure: { type: 'boolean', description: 'Over TLS' },
    connectedAt: { type: 'string', format: 'date-time' },
  },
};

const strings = { type: 'array', items: { type: 'string' } } as const;
const reloadOutcome = {
  type: 'object',
  properties: {
    applied: { type: 'boolean' },
    errors: strings,
    changes: strings,
    failures: strings,
    needsRestart: strings,
  },
};

const topicParameter = {
  name: 'topic',
  in: 'query',
  required: true,
  description: 'The topic (URL-encoded)',
  schema: { type: 'string', minLength: 1 },
};

const clientDetail = {
  type: 'object',
  properties: {
    clientId: { type: 'string' },
    username: { type: ['string', 'null'] },
    connected: { type: 'boolean' },
    persistent: { type: 'boolean' },
    clean: { type: 'boolean' },
    protocolVersion: { type: 'integer', enum: [3, 4, 5] },
    listener: { type: 'string' },
    remoteAddress: { type: 'string' },
    remotePort: { type: 'integer' },
    secure: { type: 'boolean' },
    connectedAt: { type: ['string', 'null'], format: 'date-time' },
    expiryInterval: { type: ['integer', 'null'] },
    subscriptions: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          filter: { type: 'string' },
          qos: { type: 'integer', enum: [0, 1, 2] },
          noLocal: { type: 'boolean' },
          retainAsPublished: { type: 'boolean' },
          subscriptionId: { type: ['integer', 'null'] },
        },
      },
    },
    queued: { type: 'integer' },
    queuedBytes: { type: 'integer' },
    inflight: { type: 'integer' },
    inboundQos2: { type: 'integer' },
    pendingWill: { type: 'boolean' },
  },
};

const retainedRow = {
  type: 'object',
  properties: {
    topic: { type: 'string' },
    qos: { type: 'integer', enum: [0, 1, 2] },
    size: { type: 'integer', description: 'Payload bytes' },
    payload: { type: 'string', description: 'The first 64 KiB of the payload, as UTF-8 text or base64' },
    encoding: { type: 'string', enum: ['utf8', 'base64'] },
    truncated: { type: 'boolean' },
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

export function openApiDocument(version: string): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Midge admin API',
      version,
      description:
        'The HTTP server of @midge/plugin-admin: Prometheus metrics, health checks and the admin API of one Midge broker.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The token of token_file' } },
    },
    paths: {
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (OpenMetrics when the Accept header asks for it)',
          description: 'Needs the bearer token only with metrics_auth: true.',
          responses: {
            '200': {
              description: 'The metrics',
              content: { 'text/plain': {}, 'application/openmetrics-text': {} },
            },
            '401': unauthorized,
          },
        },
      },
      '/healthz': {
        get: {
          summary: 'Liveness: 200 while the process serves HTTP',
          responses: { '200': json({ type: 'object' }, 'Alive') },
        },
      },
      '/readyz': {
        get: {
          summary: 'Readiness: 200 once the broker accepts connections, 503 while it starts or shuts down',
          responses: {
            '200': json({ type: 'object' }, 'Ready'),
            '503': json({ type: 'object' }, 'Not ready, with the reason'),
          },
        },
      },
      '/api/v1/stats': {
        get: {
          summary: "The broker's version, uptime and exact counters",
          security: [{ bearer: [] }],
          responses: { '200': json({ type: 'object' }, 'Stats'), '401': unauthorized },
        },
      },
      '/api/v1/clients': {
        get: {
          summary: 'Connected clients, sorted by client id',
          security: [{ bearer: [] }],
          parameters: [
            ...paging,
            { name: 'prefix', in: 'query', description: 'Client ids starting with it', schema: { type: 'string' } },
            { name: 'username', in: 'query', schema: { type: 'string' } },
            { name: 'listener', in: 'query', schema: { type: 'string' } },
          ],
          responses: {
            '200': pageOf('clients', clientRow, 'A page of clients'),
            '400': error,
            '401': unauthorized,
          },
        },
      },
      '/api/v1/clients/{id}/kick': {
        post: {
          summary: 'Close the connection of a client (v5: DISCONNECT 0x98); its will is published, its session stays',
          security: [{ bearer: [] }],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': json(
              { type: 'object', properties: { clientId: { type: 'string' }, disconnected: { type: 'integer' } } },
              'Disconnected',
            ),
            '401': unauthorized,
            '404': { ...error, description: 'No client with this id is connected' },
          },
        },
      },
      '/api/v1/sessions': {
        get: {
          summary: 'Sessions, connected or not, sorted by client id',
          security: [{ bearer: [] }],
          parameters: [
            ...paging,
            { name: 'prefix', in: 'query', description: 'Client ids starting with it', schema: { type: 'string' } },
            {
              name: 'connected',
              in: 'query',
              description: 'Only connected (true) or offline (false) ones',
              schema: { type: 'boolean' },
            },
          ],
          responses: {
            '200': pageOf('sessions', sessionRow, 'A page of sessions'),
            '400': error,
            '401': unauthorized,
          },
        },
      },
      '/api/v1/sessions/{id}': {
        delete: {
          summary: 'Delete an offline session (subscriptions, queued messages, stored copy), as its expiry would',
          security: [{ bearer: [] }],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': json(
              { type: 'object', properties: { clientId: { type: 'string' }, deleted: { type: 'boolean' } } },
              'Deleted',
            ),
            '401': unauthorized,
            '404': { ...error, description: 'No such session' },
            '409': { ...error, description: 'A client is connected with it: kick it first' },
          },
        },
      },
      '/api/v1/retained': {
        get: {
          summary: 'Retained messages whose topics match a filter, sorted by topic',
          security: [{ bearer: [] }],
          parameters: [
            ...paging,
            { name: 'filter', in: 'query', description: 'A topic filter', schema: { type: 'string', default: '#' } },
          ],
          responses: {
            '200': pageOf('messages', retainedRow, 'A page of retained messages'),
            '400': { ...error, description: 'Not a valid topic filter' },
            '401': unauthorized,
          },
        },
      },
      '/api/v1/clients/{id}': {
        get: {
          summary:
            'One session in detail, connected or offline: connection, subscriptions with their options, queue, inflight',
          security: [{ bearer: [] }],
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': json(clientDetail, 'The session'),
            '401': unauthorized,
            '404': { ...error, description: 'No such session' },
          },
        },
      },
      '/api/v1/subscriptions': {
        get: {
          summary: "Every session's subscriptions, sorted by client id and filter",
          security: [{ bearer: [] }],
          parameters: [
            ...paging,
            { name: 'client', in: 'query', description: 'Only this client id', schema: { type: 'string' } },
            { name: 'prefix', in: 'query', description: 'Filters starting with it', schema: { type: 'string' } },
          ],
          responses: {
            '200': pageOf(
              'subscriptions',
              { type: 'object', properties: { clientId: { type: 'string' }, filter: { type: 'string' } } },
              'A page of subscriptions',
            ),
            '400': error,
            '401': unauthorized,
          },
        },
      },
      '/api/v1/retained/topic': {
        get: {
          summary: 'The retained message of one topic',
          security: [{ bearer: [] }],
          parameters: [topicParameter],
          responses: {
            '200': json(retainedRow, 'The retained message'),
            '401': unauthorized,
            '404': { ...error, description: 'No retained message on this topic' },
          },
        },
        delete: {
          summary: 'Delete the retained message of one topic (as a retained PUBLISH with an empty payload would)',
          security: [{ bearer: [] }],
          parameters: [topicParameter],
          responses: {
            '200': json(
              { type: 'object', properties: { topic: { type: 'string' }, deleted: { type: 'boolean' } } },
              'Deleted',
            ),
            '401': unauthorized,
            '404': { ...error, description: 'No retained message on this topic' },
          },
        },
      },
      '/api/v1/plugins': {
        get: {
          summary: 'The plugins the broker runs, in setup order',
          security: [{ bearer: [] }],
          responses: {
            '200': json(
              {
                type: 'object',
                properties: {
                  plugins: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        name: { type: 'string' },
                        key: { type: 'string', description: 'Its key under plugins:' },
                        version: { type: ['string', 'null'], description: "Its npm package's version" },
                        state: { type: 'string', enum: ['running'] },
                      },
                    },
                  },
                },
              },
              'The plugins',
            ),
            '401': unauthorized,
          },
        },
      },
      '/api/v1/config': {
        get: {
          summary: 'The config the broker runs, defaults filled in, secrets replaced by "[redacted]"',
          security: [{ bearer: [] }],
          responses: { '200': json({ type: 'object' }, 'The effective config'), '401': unauthorized },
        },
      },
      '/api/v1/reload': {
        post: {
          summary: 'Reload the config as SIGHUP does (midge: the config file read again, checked as --check does)',
          security: [{ bearer: [] }],
          responses: {
            '200': json(reloadOutcome, 'Applied: what changed, what failed, what needs a restart'),
            '401': unauthorized,
            '409': json(reloadOutcome, 'The config has errors: nothing changed'),
          },
        },
      },
      '/api/v1/openapi.json': {
        get: { summary: 'This document', responses: { '200': json({ type: 'object' }, 'OpenAPI 3.1') } },
      },
    },
  };
}
