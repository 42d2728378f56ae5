/**
 * A token's topic rights: its publish / subscribe claims, `%u` / `%c` substituted once at CONNECT, and
 * the decision for one topic. Matching is core's (`topicMatchesFilter`, `filterCovers`), the same rules
 * `@midge/plugin-topic-acl` applies, so a filter means the same in a token as in an ACL.
 */
import { allow, deny, effectiveFilter, filterCovers, topicFilterProblem, topicMatchesFilter } from '@midge/mqtt-core';
import type { Decision, TopicAction } from '@midge/mqtt-core';
import type { JWTPayload } from 'jose';

export interface Rights {
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
}

/** Why entries of a token were dropped (logged at debug: a token is the issuer's business, not an error). */
export interface CompiledRights {
  readonly rights: Rights;
  readonly dropped: readonly string[];
}

const DOLLAR = 0x24;

/** A username or client id that would widen a filter (`+`, `#`, `/`) or end it (U+0000) is not substituted. */
function isSafeValue(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x2b || c === 0x23 || c === 0x2f || c === 0) return false;
  }
  return true;
}

/**
 * `%u` → username, `%c` → client id; undefined when the entry cannot apply to this client: a value that
 * is unsafe (above), or a substitution that would put `$` first in an entry that did not start with it.
 */
export function substitute(entry: string, username: string, clientId: string): string | undefined {
  if (!entry.includes('%')) return entry;
  let unsafe = false;
  const out = entry.replace(/%([uc])/g, (_m, which: string) => {
    const value = which === 'u' ? username : clientId;
    if (!isSafeValue(value)) unsafe = true;
    return value;
  });
  if (unsafe) return undefined;
  if (out.charCodeAt(0) === DOLLAR && entry.charCodeAt(0) !== DOLLAR) return undefined;
  return out;
}

/** One claim's entries: a missing claim grants nothing; a claim that is not a list of strings grants nothing either. */
function compileClaim(
  claims: JWTPayload,
  claim: string,
  username: string,
  clientId: string,
  dropped: string[],
): string[] {
  const value = claims[claim];
  if (value === undefined) return [];
  // One filter as a plain string is common enough in hand-written tokens to accept.
  if (typeof value !== 'string' && !Array.isArray(value)) {
    dropped.push(`${claim}: not a list of topic filters`);
    return [];
  }
  const entries: unknown[] = typeof value === 'string' ? [value] : value;
  const out: string[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'string') {
      dropped.push(`${claim}: ${JSON.stringify(entry)} is not a string`);
      continue;
    }
    const filter = substitute(entry, username, clientId);
    if (filter === undefined) {
      dropped.push(`${claim}: "${entry}" does not apply to this client (unsafe %u/%c value)`);
      continue;
    }
    const problem = topicFilterProblem(filter);
    if (problem !== undefined) {
      dropped.push(`${claim}: "${entry}": ${problem}`);
      continue;
    }
    out.push(filter);
  }
  return out;
}

export function compileRights(
  claims: JWTPayload,
  names: { readonly publishClaim: string; readonly subscribeClaim: string },
  username: string,
  clientId: string,
): CompiledRights {
  const dropped: string[] = [];
  return {
    rights: {
      publish: compileClaim(claims, names.publishClaim, username, clientId, dropped),
      subscribe: compileClaim(claims, names.subscribeClaim, username, clientId, dropped),
    },
    dropped,
  };
}

const DENY: Readonly<Record<TopicAction, Decision>> = {
  publish: deny('not allowed by the token'),
  subscribe: deny('not allowed by the token'),
  receive: deny('not allowed by the token'),
};

/**
 * publish: the topic matches a publish filter. subscribe: the requested filter (a shared subscription's
 * inner filter) is covered by a subscribe filter. receive: the topic matches a subscribe filter, so a
 * client gets only what its token lets it subscribe to, also from subscriptions its session inherited.
 */
export function decide(rights: Rights, action: TopicAction, topic: string): Decision {
  if (action === 'publish') {
    for (const f of rights.publish) if (topicMatchesFilter(f, topic)) return allow;
    return DENY.publish;
  }
  if (action === 'receive') {
    for (const f of rights.subscribe) if (topicMatchesFilter(f, topic)) return allow;
    return DENY.receive;
  }
  const filter = effectiveFilter(topic);
  for (const f of rights.subscribe) if (filterCovers(f, filter)) return allow;
  return DENY.subscribe;
}
