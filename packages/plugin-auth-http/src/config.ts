/** The plugin's options (valibot, strict: an unknown key is an error) and the checks a schema alone cannot say. */
import * as v from 'valibot';
import { bodyStrings, render, unknownPlaceholders, type BodyTemplate } from './template.js';

const bodyTemplate: v.GenericSchema<BodyTemplate> = v.lazy(() =>
  v.union([v.string(), v.number(), v.boolean(), v.null(), v.array(bodyTemplate), v.record(v.string(), bodyTemplate)]),
);

/** An http(s) URL once its placeholders are filled (with empty values, as the worst case). */
const urlTemplate = v.pipe(
  v.string(),
  v.check(
    (s) => unknownPlaceholders(s).length === 0,
    (i) => `unknown placeholder ${unknownPlaceholders(i.input).join(', ')}`,
  ),
  v.check((s) => {
    try {
      const u = new URL(render(s, {}));
      return u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      return false;
    }
  }, 'url must be an http:// or https:// URL'),
);

const headers = v.pipe(
  v.record(v.string(), v.string()),
  v.check(
    (h) => Object.values(h).every((s) => unknownPlaceholders(s).length === 0),
    'a header value has an unknown placeholder',
  ),
);

/** One endpoint: where to ask and what to send. */
function endpointSchema<T extends v.ObjectEntries>(extra: T) {
  return v.pipe(
    v.strictObject({
      url: urlTemplate,
      /** POST sends `body` as JSON; GET sends no body (put placeholders in the url's query). */
      method: v.optional(v.picklist(['POST', 'GET'])),
      headers: v.optional(headers),
      body: v.optional(
        v.pipe(
          bodyTemplate,
          v.check(
            (b) => bodyStrings(b).every((s) => unknownPlaceholders(s).length === 0),
            (i) => `unknown placeholder ${bodyStrings(i.input).flatMap(unknownPlaceholders).join(', ')}`,
          ),
        ),
      ),
      ...extra,
    }),
    v.check(
      (e) => !(e.method === 'GET' && e.body !== undefined),
      'body is sent with POST only: with GET, put placeholders in the url',
    ),
  );
}

const seconds = v.pipe(v.number(), v.minValue(0), v.maxValue(86_400));

export const configSchema = v.pipe(
  v.strictObject({
    /** Asked about every CONNECT. */
    authenticate: v.optional(endpointSchema({})),
    /** Asked about subscribes and publishes (and, with `receive: ask`, deliveries). */
    authorize: v.optional(
      endpointSchema({
        /** Deliveries to a subscriber: allow (default), ask the endpoint per message topic, or abstain. */
        receive: v.optional(v.picklist(['allow', 'ask', 'abstain'])),
      }),
    ),
    /** Milliseconds for one request, connecting included (default 2000). */
    timeout_ms: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(60_000))),
    /** Open connections kept per endpoint origin (default 16). */
    connections: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1024))),
    cache: v.optional(
      v.strictObject({
        max_entries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0))),
        /** Seconds an allow (or ignore) answer is reused (default 60; 0 = not cached). */
        ttl_s: v.optional(seconds),
        /** Seconds a deny answer is reused (default 10; 0 = not cached). */
        deny_ttl_s: v.optional(seconds),
      }),
    ),
    /** What an unreachable, slow or failing endpoint means: closed = deny (default), open = allow. */
    fail: v.optional(v.picklist(['closed', 'open'])),
    tls: v.optional(
      v.strictObject({
        /** PEM file of the CA(s) to trust for https endpoints, relative to the config file's folder. */
        ca: v.pipe(v.string(), v.minLength(1, 'tls.ca must not be empty')),
      }),
    ),
  }),
  v.check((c) => c.authenticate !== undefined || c.authorize !== undefined, 'set authenticate, authorize or both'),
);

export type HttpAuthConfig = v.InferOutput<typeof configSchema>;
export type EndpointConfig = NonNullable<HttpAuthConfig['authenticate']>;

export const DEFAULTS = {
  timeoutMs: 2000,
  connections: 16,
  maxEntries: 10_000,
  ttlS: 60,
  denyTtlS: 10,
} as const;

/** What is sent when an endpoint has no `body`: every value that applies. */
export const DEFAULT_AUTHENTICATE_BODY: BodyTemplate = {
  clientid: '${clientid}',
  username: '${username}',
  password: '${password}',
  listener: '${listener}',
  peerhost: '${peerhost}',
  protocol: '${protocol}',
};

export const DEFAULT_AUTHORIZE_BODY: BodyTemplate = {
  clientid: '${clientid}',
  username: '${username}',
  topic: '${topic}',
  action: '${action}',
  qos: '${qos}',
  listener: '${listener}',
  peerhost: '${peerhost}',
};
