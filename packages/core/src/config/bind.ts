import { isIPv4, isIPv6 } from 'node:net';

export interface BindAddress {
  /** '' means every interface (what ':1883' asks for); IPv6 without its brackets. */
  readonly host: string;
  readonly port: number;
}

// RFC 1123 host names: labels of letters, digits and inner hyphens.
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** Loose shape check, also exported into the JSON Schema; `parseBind` does the exact validation. */
export const BIND_PATTERN = '^(\\[[^\\]]+\\]|[^:\\[\\]]*):[0-9]+$';

/**
 * Parses a listener's `bind` ('host:port', ':port' for every interface, '[v6]:port').
 * Returns the reason as a string when it is not valid.
 */
export function parseBind(bind: string): BindAddress | string {
  const colon = bind.lastIndexOf(':');
  if (colon < 0) return `expected 'host:port' (e.g. '0.0.0.0:1883' or ':1883'), got ${JSON.stringify(bind)}`;
  let host = bind.slice(0, colon);
  const portText = bind.slice(colon + 1);
  if (host.startsWith('[')) {
    if (!host.endsWith(']') || !isIPv6(host.slice(1, -1))) {
      return `${JSON.stringify(host)} is not an IPv6 address in brackets (e.g. '[::1]:1883')`;
    }
    host = host.slice(1, -1);
  } else if (host.includes(':')) {
    return `write IPv6 addresses in brackets, e.g. '[${host}]:${portText}', got ${JSON.stringify(bind)}`;
  } else if (host !== '' && !isIPv4(host) && !HOSTNAME.test(host)) {
    return `${JSON.stringify(host)} is not a host name or IP address`;
  }
  if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) {
    return `port must be a number from 0 to 65535, got ${JSON.stringify(portText)}`;
  }
  return { host, port: Number(portText) };
}

// '' and '::' are dual-stack in Node (ipv6Only is off by default), so they take the port on every address.
const DUAL_STACK_ANY = new Set(['', '::']);

/**
 * Whether two listeners would fight over the same socket: same port, and the same host or a wildcard
 * covering the other (binding 127.0.0.1:1883 after 0.0.0.0:1883 fails with EADDRINUSE). Port 0 never
 * clashes: each such listener gets its own free port. Host names may resolve to anything, so only an
 * IPv6 literal is known to be outside 0.0.0.0.
 */
export function bindsOverlap(a: BindAddress, b: BindAddress): boolean {
  if (a.port === 0 || a.port !== b.port) return false;
  if (a.host === b.host || DUAL_STACK_ANY.has(a.host) || DUAL_STACK_ANY.has(b.host)) return true;
  if (a.host === '0.0.0.0') return !isIPv6(b.host);
  if (b.host === '0.0.0.0') return !isIPv6(a.host);
  return false;
}
