/**
 * @midge/plugin-auth-http: asks an HTTP endpoint (a webhook) whether a CONNECT is authenticated and
 * whether a client may subscribe or publish to a topic. Answers are cached (allow and deny each for
 * their own time), identical requests in flight are sent once, and an endpoint that is down, slow or
 * failing denies (`fail: closed`, the default) or allows (`fail: open`).
 */
import { abstain, allow, definePlugin, deny } from '@midge/mqtt-core';
import type {
  AuthenticateRequest,
  AuthorizeTopicRequest,
  ClientInfo,
  Decision,
  Logger,
  PluginHooks,
} from '@midge/mqtt-core';
import type { Agent } from 'undici';
import { buildRequest, cacheKey, clientValues } from './build-request.js';
import { DecisionCache } from './cache.js';
import {
  configSchema,
  DEFAULT_AUTHENTICATE_BODY,
  DEFAULT_AUTHORIZE_BODY,
  DEFAULTS,
  type EndpointConfig,
  type HttpAuthConfig,
} from './config.js';
import { ask, createAgent } from './endpoint.js';
import type { Answer } from './response.js';
import { FailureLog } from './throttle.js';
import { checkCa, readCa } from './tls-ca.js';
import type { BodyTemplate, TemplateValues } from './template.js';

export { configSchema, type HttpAuthConfig } from './config.js';
export { interpretResponse, type Answer } from './response.js';
export { PLACEHOLDERS, render, renderBody, type Placeholder } from './template.js';

/** At most one failure line per endpoint in this many milliseconds (see throttle.ts). */
const FAILURE_LOG_INTERVAL_MS = 10_000;

// Fail closed at CONNECT answers "server unavailable" (v3 3, v5 0x88), not "bad password": the client's
// credentials were not judged, and a client that tells the two apart retries instead of giving up.
const UNAVAILABLE_V3 = deny('authentication service unavailable', { reasonCode: 0x03 });
const UNAVAILABLE_V5 = deny('authentication service unavailable', { reasonCode: 0x88 });
const AUTHZ_UNAVAILABLE = deny('authorization service unavailable');

const UNSENDABLE: Answer = Object.freeze({ kind: 'deny', reason: 'a value cannot be sent to the endpoint' });

/** One configured endpoint with its own failure log. */
class Endpoint {
  readonly failures = new FailureLog(FAILURE_LOG_INTERVAL_MS);
  constructor(
    readonly name: 'authenticate' | 'authorize',
    readonly config: EndpointConfig,
    readonly defaultBody: BodyTemplate,
  ) {}
}

interface Asker {
  (endpoint: Endpoint, values: TemplateValues, client: ClientInfo): Promise<Answer>;
}

/** Asks through the cache; logs failures (throttled) without the password or the request body. */
function makeAsker(agent: Agent, cache: DecisionCache<Answer>, timeoutMs: number, logger: Logger): Asker {
  return async (endpoint, values, client) => {
    const req = buildRequest(endpoint.config, endpoint.defaultBody, values);
    if (req === undefined) return UNSENDABLE;
    const answer = await cache.get(
      cacheKey(req),
      () => ask(agent, req, timeoutMs),
      (a) => a.kind === 'deny',
      (a) => a.kind !== 'error',
    );
    if (answer.kind === 'error') {
      // The URL is logged without its query: a GET's query may carry the password.
      const url = new URL(req.url);
      endpoint.failures.report((suppressed) =>
        logger.warn(
          { endpoint: endpoint.name, url: `${url.origin}${url.pathname}`, clientId: client.clientId, suppressed },
          `${endpoint.name} endpoint failed: ${answer.message}${suppressed > 0 ? ` (and ${suppressed} more failures not logged)` : ''}`,
        ),
      );
    }
    return answer;
  };
}

function topicDecision(answer: Answer, failOpen: boolean): Decision {
  switch (answer.kind) {
    case 'allow':
      return allow;
    case 'ignore':
      return abstain;
    case 'deny':
      return deny(answer.reason ?? 'not authorized by the authorization endpoint');
    case 'error':
      return failOpen ? allow : AUTHZ_UNAVAILABLE;
  }
}

function connectDecision(answer: Answer, failOpen: boolean, client: ClientInfo): Decision {
  switch (answer.kind) {
    case 'allow':
      return allow;
    case 'ignore':
      return abstain;
    case 'deny':
      // No reason code: the broker answers "not authorized" (v3 5, v5 0x87).
      return deny(answer.reason ?? 'not authorized by the authentication endpoint');
    case 'error':
      if (failOpen) return allow;
      return client.protocolVersion === 5 ? UNAVAILABLE_V5 : UNAVAILABLE_V3;
  }
}

export default definePlugin({
  name: '@midge/plugin-auth-http',
  apiVersion: 1,
  configSchema,
  check: (ctx, config: HttpAuthConfig) => checkCa(ctx.configDir, config.tls?.ca),
  async setup(ctx, config: HttpAuthConfig): Promise<PluginHooks> {
    const timeoutMs = config.timeout_ms ?? DEFAULTS.timeoutMs;
    const failOpen = config.fail === 'open';
    const agent = createAgent({
      connections: config.connections ?? DEFAULTS.connections,
      timeoutMs,
      ca: await readCa(ctx.configDir, config.tls?.ca),
    });
    const cache = new DecisionCache<Answer>({
      maxEntries: config.cache?.max_entries ?? DEFAULTS.maxEntries,
      allowTtlMs: (config.cache?.ttl_s ?? DEFAULTS.ttlS) * 1000,
      denyTtlMs: (config.cache?.deny_ttl_s ?? DEFAULTS.denyTtlS) * 1000,
    });
    const askEndpoint = makeAsker(agent, cache, timeoutMs, ctx.logger);
    const hooks: PluginHooks = {
      reload() {
        // The endpoint's rules may have changed with whatever the operator reloaded for.
        cache.clear();
      },
      async close() {
        cache.clear();
        await agent.close();
      },
      metrics: () => [
        {
          name: 'auth_http_cache_hits_total',
          type: 'counter',
          help: 'Decisions answered from the cache or an identical request in flight',
          value: cache.hits,
        },
        {
          name: 'auth_http_cache_misses_total',
          type: 'counter',
          help: 'Decisions that asked the endpoint',
          value: cache.misses,
        },
        { name: 'auth_http_cache_entries', type: 'gauge', help: 'Answers in the cache', value: cache.size },
      ],
    };

    if (config.authenticate !== undefined) {
      const endpoint = new Endpoint('authenticate', config.authenticate, DEFAULT_AUTHENTICATE_BODY);
      hooks.authenticate = async ({ client, password }: AuthenticateRequest) => {
        const values: TemplateValues = { ...clientValues(client), password: password?.toString('utf8') ?? '' };
        return connectDecision(await askEndpoint(endpoint, values, client), failOpen, client);
      };
    }

    if (config.authorize !== undefined) {
      const endpoint = new Endpoint('authorize', config.authorize, DEFAULT_AUTHORIZE_BODY);
      const receive = config.authorize.receive ?? 'allow';
      hooks.authorizeTopic = (request: AuthorizeTopicRequest) => {
        // Runs per delivery for 'receive': the subscription was authorized already, so by default a
        // delivery is allowed without a request (synchronously, nothing allocated).
        if (request.action === 'receive' && receive !== 'ask') return receive === 'allow' ? allow : abstain;
        const { client, action, topic, qos } = request;
        const values: TemplateValues = { ...clientValues(client), topic, action, qos: String(qos) };
        return askEndpoint(endpoint, values, client).then((a) => topicDecision(a, failOpen));
      };
    }
    return hooks;
  },
});
