/** Turns an endpoint's templates and one request's values into the HTTP request, and its cache key. */
import { createHash } from 'node:crypto';
import type { ClientInfo } from '@midge/mqtt-core';
import type { EndpointConfig } from './config.js';
import type { HttpRequest } from './endpoint.js';
import { render, renderBody, type BodyTemplate, type TemplateValues } from './template.js';

/** The values every request has: who the client is and where it came from. */
export function clientValues(client: ClientInfo): TemplateValues {
  return {
    clientid: client.clientId,
    username: client.username ?? '',
    listener: client.listener,
    peerhost: client.remoteAddress,
    peerport: String(client.remotePort),
    protocol: String(client.protocolVersion),
  };
}

/** A character HTTP forbids in a header value (RFC 9110 5.5): CR, LF, NUL. */
const BAD_HEADER_VALUE = /[\r\n\0]/;

/**
 * The request for these values, or undefined when a client's value cannot go where the template puts
 * it (a line break in a username rendered into a header). That is the client's doing, not an endpoint
 * failure, so the caller denies it whatever `fail` says: with `fail: open` it would otherwise be a way in.
 */
export function buildRequest(
  endpoint: EndpointConfig,
  defaultBody: BodyTemplate,
  values: TemplateValues,
): HttpRequest | undefined {
  const method = endpoint.method ?? 'POST';
  const headers: Record<string, string> = {};
  for (const [name, template] of Object.entries(endpoint.headers ?? {})) {
    const value = render(template, values);
    if (BAD_HEADER_VALUE.test(value)) return undefined;
    headers[name.toLowerCase()] = value;
  }
  let body: string | undefined;
  if (method === 'POST') {
    // Rendered into the object first, serialized after: a quote or backslash in a username or password
    // is escaped by JSON.stringify, so no value can change the body's structure.
    body = JSON.stringify(renderBody(endpoint.body ?? defaultBody, values));
    headers['content-type'] ??= 'application/json';
  }
  return { method, url: render(endpoint.url, values, encodeURIComponent), headers, body };
}

/**
 * The cache key of a request: a SHA-256 of all of it (method, URL, headers, body), so two requests
 * share an answer only if the endpoint would see the same thing, and no password sits in the cache's
 * keys in clear.
 */
export function cacheKey(req: HttpRequest): string {
  const h = createHash('sha256');
  h.update(req.method).update('\0').update(req.url).update('\0');
  for (const [name, value] of Object.entries(req.headers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    h.update(name).update(':').update(value).update('\0');
  h.update(req.body ?? '');
  return h.digest('base64');
}
