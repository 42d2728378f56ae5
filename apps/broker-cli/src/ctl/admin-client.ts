/**
 * The admin API of @midge/plugin-admin as `midge ctl` calls it: one request, the JSON answer, or an error
 * that says what went wrong in the operator's terms (not reachable, wrong token, API off).
 */

export interface AdminTarget {
  /** Base URL of the admin server, e.g. http://127.0.0.1:9234 */
  readonly url: string;
  readonly token: string | undefined;
  readonly timeoutMs: number;
}

/** An answer the API gave with an error status, or no answer at all: exit 1 with its message. */
export class AdminApiError extends Error {
  override readonly name = 'AdminApiError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export async function callAdminApi(
  target: AdminTarget,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  query: Readonly<Record<string, string | undefined>> = {},
  /** Error statuses whose JSON body is an answer, not an error (a reload refused for the config's errors: 409). */
  answers: readonly number[] = [],
): Promise<unknown> {
  const url = new URL(`/api/v1${path}`, target.url);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: target.token === undefined ? {} : { authorization: `Bearer ${target.token}` },
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (err) {
    // fetch says "fetch failed"; the why (ECONNREFUSED, a timeout, a port fetch refuses) is in its cause.
    const inner = (err as { cause?: { code?: string; message?: string } }).cause;
    const cause = inner?.code ?? inner?.message ?? (err as Error).message;
    throw new AdminApiError(
      `cannot reach the admin API at ${target.url} (${cause}): is @midge/plugin-admin configured, and is this its bind address? (--url or MIDGE_ADMIN_URL)`,
    );
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw new AdminApiError(
      `${url.pathname}: ${res.status} with a body that is not JSON: is ${target.url} a Midge admin server?`,
      res.status,
    );
  }
  if (res.ok || answers.includes(res.status)) return body;
  const said = typeof body === 'object' && body !== null && 'error' in body ? String(body.error) : text;
  if (res.status === 401)
    throw new AdminApiError(
      `${said}: give the token of the plugin's token_file (--token-file, or MIDGE_ADMIN_TOKEN)`,
      401,
    );
  throw new AdminApiError(`${said} (HTTP ${res.status})`, res.status);
}
