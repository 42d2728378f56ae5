/**
 * The ACL compiled for fast decisions, and the decision itself.
 *
 * `receive` runs once per delivery, so the hot path allocates nothing unless an entry uses `%u`/`%c`,
 * and those are substituted once per client and cached (a WeakMap keyed by the client's ClientInfo).
 */
import { allow, ANONYMOUS_USERNAME, deny, effectiveFilter, filterCovers, topicMatchesFilter } from '@midge/mqtt-core';
import type { AuthorizeTopicRequest, ClientInfo, Decision, TopicAction } from '@midge/mqtt-core';
import { normalizeAcl } from './config.js';
import type { TopicAclConfig } from './config.js';
import { compileClientIdRules, type ClientIdRules } from './client-ids.js';
import { DOLLAR, parsePattern, substitute, type Pattern } from './pattern.js';

// Kept importable from here (the package index and older code read them from acl.ts).
export { parsePattern, substitute } from './pattern.js';
export type { Pattern } from './pattern.js';

/** Allowed every topic (except publishing to `$` topics), whatever the ACLs say. */
export const ADMIN_USERNAME = 'admin';

export interface UserRules {
  /** Entries without substitution, used as they are. */
  readonly plain: readonly string[];
  readonly patterns: readonly Pattern[];
}

/** Per action: username → rules; undefined when that ACL is absent (the action is unrestricted). */
export interface CompiledAcl {
  readonly subscribe: ReadonlyMap<string, UserRules> | undefined;
  readonly publish: ReadonlyMap<string, UserRules> | undefined;
  readonly receive: ReadonlyMap<string, UserRules> | undefined;
  /** `client_ids`: username → client id patterns; undefined when absent (any client id). */
  readonly clientIds: ClientIdRules | undefined;
  /** Things worth a warning in the log (deprecated key, entries that can never apply). */
  readonly warnings: readonly string[];
}

function compileTable(
  name: string,
  acl: Map<string, string[]> | undefined,
  warnings: string[],
): Map<string, UserRules> | undefined {
  if (acl === undefined) return undefined;
  const table = new Map<string, UserRules>();
  for (const [user, entries] of acl) {
    if (user === ADMIN_USERNAME) {
      warnings.push(`${name}.${user}: ignored, the user ${ADMIN_USERNAME} is allowed every topic`);
      continue;
    }
    const plain: string[] = [];
    const patterns: Pattern[] = [];
    for (const entry of entries) {
      if (name === 'publish_acl' && entry.charCodeAt(0) === DOLLAR) {
        warnings.push(`${name}.${user}: "${entry}" never applies, publishing to $ topics is always denied`);
        continue;
      }
      const pattern = parsePattern(entry);
      if (pattern === undefined) plain.push(entry);
      else patterns.push(pattern);
    }
    table.set(user, { plain, patterns });
  }
  return table;
}

/** Normalises and precomputes the three ACLs (`acl` counts as `subscribe_acl`). */
export function compileAcl(config: TopicAclConfig): CompiledAcl {
  const warnings: string[] = [];
  let subscribe = config.subscribe_acl;
  let subscribeName = 'subscribe_acl';
  if (config.acl != null) {
    warnings.push('`acl` is deprecated: rename it to `subscribe_acl`');
    subscribe = config.acl;
    subscribeName = 'acl';
  }
  const clientIds = normalizeAcl(config.client_ids);
  return {
    subscribe: compileTable(subscribeName, normalizeAcl(subscribe), warnings),
    publish: compileTable('publish_acl', normalizeAcl(config.publish_acl), warnings),
    receive: compileTable('receive_acl', normalizeAcl(config.receive_acl), warnings),
    clientIds: clientIds === undefined ? undefined : compileClientIdRules(clientIds),
    warnings,
  };
}

const DENY_SYS_PUBLISH = deny('publishing to $ topics is not allowed');
const DENY: Readonly<Record<TopicAction, Decision>> = {
  subscribe: deny('not allowed by subscribe_acl'),
  publish: deny('not allowed by publish_acl'),
  receive: deny('not allowed by receive_acl'),
};

/** Substituted entries of one client, per action, filled on first use. */
type ClientPatterns = { -readonly [A in TopicAction]?: readonly string[] };

/** The plugin's `authorizeTopic` hook for a compiled ACL. */
export function createAclAuthorizer(acl: CompiledAcl): (request: AuthorizeTopicRequest) => Decision {
  const cache = new WeakMap<ClientInfo, ClientPatterns>();

  function resolved(client: ClientInfo, action: TopicAction, rules: UserRules): readonly string[] {
    let perClient = cache.get(client);
    if (perClient === undefined) {
      perClient = {};
      cache.set(client, perClient);
    }
    let list = perClient[action];
    if (list === undefined) {
      const out: string[] = [];
      for (const p of rules.patterns) {
        const s = substitute(p, client.username, client.clientId);
        if (s !== undefined) out.push(s);
      }
      list = perClient[action] = out;
    }
    return list;
  }

  return (request) => {
    const { client, action, topic } = request;
    // The spec reserves `$` topics for the server; no entry, not even admin's, grants publishing there.
    if (action === 'publish' && topic.charCodeAt(0) === DOLLAR) return DENY_SYS_PUBLISH;
    const user = client.username ?? ANONYMOUS_USERNAME;
    if (user === ADMIN_USERNAME) return allow;
    const table = action === 'receive' ? acl.receive : action === 'publish' ? acl.publish : acl.subscribe;
    if (table === undefined) return allow;
    const rules = table.get(user);
    if (rules === undefined) return DENY[action];

    if (action === 'subscribe') {
      // A shared subscription receives from its inner filter; an explicit `$share/...` entry also counts.
      const filter = effectiveFilter(topic);
      if (covers(rules.plain, filter) || (filter !== topic && covers(rules.plain, topic))) return allow;
      if (rules.patterns.length > 0) {
        const list = resolved(client, action, rules);
        if (covers(list, filter) || (filter !== topic && covers(list, topic))) return allow;
      }
      return DENY.subscribe;
    }

    const plain = rules.plain;
    for (let i = 0; i < plain.length; i++) if (topicMatchesFilter(plain[i] as string, topic)) return allow;
    if (rules.patterns.length > 0) {
      const list = resolved(client, action, rules);
      for (let i = 0; i < list.length; i++) if (topicMatchesFilter(list[i] as string, topic)) return allow;
    }
    return DENY[action];
  };
}

function covers(entries: readonly string[], filter: string): boolean {
  for (let i = 0; i < entries.length; i++) if (filterCovers(entries[i] as string, filter)) return true;
  return false;
}
