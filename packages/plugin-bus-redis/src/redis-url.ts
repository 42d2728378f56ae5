/** The `url` option: what the plugin accepts, and how it names it in logs and errors. */

/**
 * Why `url` is not a Redis URL this plugin accepts, or undefined when it is: `redis://` or `rediss://`
 * (TLS), optionally with `user:password@`, a port and a `/db` number, as ioredis reads them.
 */
export function redisUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'must be a URL such as redis://host:6379 or rediss://user:password@host:6380/0';
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    return `must start with redis:// or rediss://, not ${parsed.protocol}//`;
  }
  if (parsed.hostname === '') return 'names no host';
  return undefined;
}

/**
 * `url` with its password replaced by `***`, for logs and error messages: the rest (user, host, port,
 * db) is what an operator needs to see which Redis was meant.
 */
export function redactRedisUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not reachable with a validated config; never echo an unparsable string that may hold a secret.
    return '(invalid url)';
  }
  if (parsed.password === '') return url;
  parsed.password = '***';
  return parsed.toString();
}
