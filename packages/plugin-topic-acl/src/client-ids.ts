/**
 * Client id rules (`client_ids`): which client ids each user may connect with, so that one user cannot
 * take another's client id (and with it, on brokers that allow it, their session). Patterns use `%u` for
 * the username and `*` for any run of characters, e.g. `'%u-*'`: EMQX's client id ACLs and Mosquitto's
 * `use_username_as_clientid` serve the same end.
 *
 * Checked once per CONNECT (the broker's `authorizeClient` hook), after authentication, with the username
 * authentication established.
 */
import { abstain, ANONYMOUS_USERNAME, deny } from '@midge/mqtt-core';
import type { AuthorizeClientRequest, Decision } from '@midge/mqtt-core';
import { parsePattern, PLACEHOLDER_USER } from './pattern.js';

/** The `client_ids` entry that applies to users not listed. */
export const ANY_USER = '*';

const USER = 0;
const ANY = 1;
type ClientIdPattern = readonly (string | typeof USER | typeof ANY)[];

/**
 * v5 0x85 Client Identifier not valid; the broker sends v3/v3.1.1 clients 0x02 Identifier rejected. It
 * says what is wrong (the client id, not the credentials), which the user can fix.
 */
const REFUSED = deny('client id not allowed for this user', { reasonCode: 0x85 });

/**
 * Splits a pattern at `%u` and `*`; every other character is literal. `%u` is found by the ACL's own
 * placeholder parser (parsePattern), so both spell placeholders alike; its `%c` names nothing in a client
 * id rule and stays literal text.
 */
export function parseClientIdPattern(source: string): ClientIdPattern {
  const parts: (string | typeof USER | typeof ANY)[] = [];
  let literal = '';
  const flush = (): void => {
    if (literal !== '') parts.push(literal);
    literal = '';
  };
  for (const part of parsePattern(source)?.parts ?? [source]) {
    if (part === PLACEHOLDER_USER) {
      flush();
      parts.push(USER);
      continue;
    }
    const pieces = (typeof part === 'string' ? part : '%c').split('*');
    for (let i = 0; i < pieces.length; i++) {
      if (i > 0) {
        flush();
        // `**` is one `*`.
        if (parts[parts.length - 1] !== ANY) parts.push(ANY);
      }
      literal += pieces[i];
    }
  }
  flush();
  return parts;
}

/** Whether `clientId` matches the pattern for `username` (`%u` never matches for an anonymous client). */
export function clientIdMatches(pattern: ClientIdPattern, username: string | undefined, clientId: string): boolean {
  // `%u` resolved to literal text first; then a glob match with `*` only, linear with backtracking to the last `*`.
  const parts: (string | typeof ANY)[] = [];
  for (const p of pattern) {
    if (p !== USER) parts.push(p);
    else if (username === undefined) return false;
    else parts.push(username);
  }
  return globMatch(parts, clientId);
}

function globMatch(parts: readonly (string | typeof ANY)[], s: string): boolean {
  let pos = 0;
  let i = 0;
  // The last `*` seen and where its match would resume: on a mismatch it swallows one more character.
  let starPart = -1;
  let starPos = 0;
  while (i < parts.length || pos < s.length) {
    const p = parts[i];
    if (p === ANY) {
      starPart = i++;
      starPos = pos;
      continue;
    }
    if (p !== undefined && s.startsWith(p, pos)) {
      pos += p.length;
      i++;
      continue;
    }
    if (starPart < 0 || starPos >= s.length) return false;
    i = starPart + 1;
    pos = ++starPos;
  }
  return true;
}

export type ClientIdRules = ReadonlyMap<string, readonly ClientIdPattern[]>;

export function compileClientIdRules(map: ReadonlyMap<string, readonly string[]>): ClientIdRules {
  const out = new Map<string, ClientIdPattern[]>();
  for (const [user, patterns] of map) out.set(user, patterns.map(parseClientIdPattern));
  return out;
}

/**
 * The plugin's `authorizeClient` hook: the user's patterns (or `*`'s for users not listed; `anonymous`
 * for clients without a username) must match the client id. A client id the broker assigned (the CONNECT
 * had none) is always accepted: it is random and names nobody's session.
 */
export function createClientIdAuthorizer(rules: ClientIdRules): (request: AuthorizeClientRequest) => Decision {
  return ({ client, connect }) => {
    if (connect.clientId === '') return abstain;
    const patterns = rules.get(client.username ?? ANONYMOUS_USERNAME) ?? rules.get(ANY_USER);
    if (patterns !== undefined) {
      for (const p of patterns) if (clientIdMatches(p, client.username, client.clientId)) return abstain;
    }
    return REFUSED;
  };
}
