/**
 * @midge/plugin-topic-taboo: forbids a fixed set of topics (aMQTT's TopicTabooPlugin).
 *
 * A veto (`vetoTopic`): publish to / receive from a taboo topic → deny; subscribe with a filter that could
 * match a taboo topic (`#`, `data/+`...) → deny; anything else, and anything an exempt user does → abstain.
 * It grants nothing, so it works alone (what it does not forbid is allowed) and next to an ACL (which then
 * decides the rest).
 */
import * as v from 'valibot';
import {
  abstain,
  ANONYMOUS_USERNAME,
  definePlugin,
  deny,
  effectiveFilter,
  topicFilterProblem,
  topicMatchesFilter,
} from '@midge/mqtt-core';
import type { AbstainDecision, AuthorizeTopicRequest, DenyDecision, PluginHooks } from '@midge/mqtt-core';
import { filtersOverlap } from './filters.js';

export { filtersOverlap } from './filters.js';
/** Kept for code that imported them from here: the one definitions are `@midge/mqtt-core`'s. */
export { ANONYMOUS_USERNAME, effectiveFilter, topicFilterProblem } from '@midge/mqtt-core';

/** aMQTT's hard-coded list. */
export const DEFAULT_PROHIBITED: readonly string[] = Object.freeze(['prohibited', 'top-secret', 'data/classified']);
export const DEFAULT_EXEMPT_USERS: readonly string[] = Object.freeze(['admin']);

const topicFilter = v.pipe(
  v.string(),
  v.check(
    (s) => topicFilterProblem(s) === undefined,
    (issue) => topicFilterProblem(issue.input) ?? 'invalid topic filter',
  ),
);

export const configSchema = v.strictObject({
  /** Topic filters nobody but exempt users may publish to, subscribe to or receive from. */
  prohibited: v.optional(v.array(topicFilter), () => [...DEFAULT_PROHIBITED]),
  /** Usernames the taboo does not apply to (`anonymous` = clients without a username). */
  exempt_users: v.optional(v.array(v.string()), () => [...DEFAULT_EXEMPT_USERS]),
});

export type TopicTabooConfig = v.InferOutput<typeof configSchema>;

const TABOO = deny('topic is taboo');

/** The plugin's `vetoTopic` hook for a (validated) config: usable on its own, e.g. in tests. */
export function createTabooAuthorizer(
  config: TopicTabooConfig,
): (request: AuthorizeTopicRequest) => DenyDecision | AbstainDecision {
  const taboo = [...config.prohibited];
  const n = taboo.length;
  const exempt = new Set(config.exempt_users);
  return (request) => {
    if (exempt.has(request.client.username ?? ANONYMOUS_USERNAME)) return abstain;
    const { action, topic } = request;
    if (action === 'subscribe') {
      const filter = effectiveFilter(topic);
      for (let i = 0; i < n; i++) if (filtersOverlap(taboo[i] as string, filter)) return TABOO;
      return abstain;
    }
    // publish, and receive: a subscription granted before the list changed (a persistent session
    // restored after a restart) must not leak taboo messages. Runs per delivery: no allocation.
    for (let i = 0; i < n; i++) if (topicMatchesFilter(taboo[i] as string, topic)) return TABOO;
    return abstain;
  };
}

export default definePlugin({
  name: '@midge/plugin-topic-taboo',
  apiVersion: 1,
  configSchema,
  setup(ctx, config: TopicTabooConfig): PluginHooks {
    if (config.prohibited.length === 0) ctx.logger.warn('prohibited is empty: this plugin forbids nothing');
    ctx.logger.debug({ prohibited: config.prohibited, exempt_users: config.exempt_users }, 'taboo topics');
    return { vetoTopic: createTabooAuthorizer(config) };
  },
});
