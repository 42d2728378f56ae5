/**
 * One request to an endpoint over undici's Agent: keep-alive connections, a bounded number per origin,
 * and one time limit for the whole exchange (connecting, headers and body).
 */
import { Agent, request, type Dispatcher } from 'undici';
import type { Answer } from './response.js';
import { interpretResponse } from './response.js';

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/** Longer answers are not a decision: they are read no further (a misdirected URL serving a page). */
const MAX_BODY = 64 * 1024;

export interface AgentOptions {
  readonly connections: number;
  readonly timeoutMs: number;
  /** PEM CA certificate(s) for https endpoints. */
  readonly ca: string | undefined;
}

export function createAgent(options: AgentOptions): Agent {
  return new Agent({
    connections: options.connections,
    // Idle connections stay open this long for the next CONNECT burst; the server's own Keep-Alive
    // header, when shorter, wins (undici reads it).
    keepAliveTimeout: 30_000,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connect: { timeout: options.timeoutMs, ...(options.ca === undefined ? {} : { ca: options.ca }) },
  });
}

function describeError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
    const code = (err as { code?: unknown }).code;
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT')
      return `no answer within ${timeoutMs} ms`;
    const cause = (err as { cause?: unknown }).cause;
    const causeCode = cause instanceof Error ? (cause as { code?: unknown }).code : undefined;
    return typeof code === 'string'
      ? `${code}: ${err.message}`
      : typeof causeCode === 'string'
        ? `${causeCode}: ${err.message}`
        : err.message;
  }
  return String(err);
}

/**
 * The body as UTF-8, or undefined past `max` bytes: read chunk by chunk, so a misdirected URL streaming a
 * large download is cut off (the stream destroyed, which closes that connection) instead of buffered.
 */
async function readLimited(body: Dispatcher.ResponseData['body'], max: number): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > max) {
      body.destroy();
      return undefined;
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Sends `req` and interprets the answer; never throws (a failure is an `error` answer). */
export async function ask(agent: Agent, req: HttpRequest, timeoutMs: number): Promise<Answer> {
  try {
    const res = await request(req.url, {
      dispatcher: agent,
      method: req.method,
      headers: req.headers,
      body: req.body ?? null,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await readLimited(res.body, MAX_BODY);
    if (text === undefined)
      return { kind: 'error', message: `HTTP ${res.statusCode} with a body over ${MAX_BODY} bytes` };
    return interpretResponse(res.statusCode, text);
  } catch (err) {
    return { kind: 'error', message: describeError(err, timeoutMs) };
  }
}
