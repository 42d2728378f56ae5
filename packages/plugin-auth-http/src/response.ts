/**
 * The response contract: what an endpoint's answer means.
 *
 * - 2xx with a JSON object `{ "result": "allow" | "deny" | "ignore", "reason"?: string }`: that result.
 * - 2xx with an empty body: allow.
 * - 401 or 403: deny (a JSON `reason` is used when present).
 * - Anything else (another status, a 2xx whose body is not that JSON): the endpoint failed, and the
 *   `fail` option decides. A 200 HTML page (a proxy's login page, a wrong URL) must not grant access.
 */

export type Answer =
  | { readonly kind: 'allow' }
  | { readonly kind: 'ignore' }
  | { readonly kind: 'deny'; readonly reason: string | undefined }
  | { readonly kind: 'error'; readonly message: string };

/** Reasons reach the client (v5 reason string) and the log: keep them short. */
const MAX_REASON = 200;

export const ALLOW: Answer = Object.freeze({ kind: 'allow' });
export const IGNORE: Answer = Object.freeze({ kind: 'ignore' });

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function reasonOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const reason = (body as { reason?: unknown }).reason;
  return typeof reason === 'string' && reason !== '' ? reason.slice(0, MAX_REASON) : undefined;
}

export function interpretResponse(status: number, text: string): Answer {
  const trimmed = text.trim();
  if (status === 401 || status === 403) return { kind: 'deny', reason: reasonOf(parseJson(trimmed)) };
  if (status < 200 || status > 299) return { kind: 'error', message: `HTTP ${status}` };
  if (trimmed === '') return ALLOW;
  const body = parseJson(trimmed);
  const result = typeof body === 'object' && body !== null ? (body as { result?: unknown }).result : undefined;
  if (result === 'allow') return ALLOW;
  if (result === 'ignore') return IGNORE;
  if (result === 'deny') return { kind: 'deny', reason: reasonOf(body) };
  return { kind: 'error', message: `HTTP ${status} without {"result": "allow" | "deny" | "ignore"}` };
}
