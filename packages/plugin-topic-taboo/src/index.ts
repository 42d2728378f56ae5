/**
 * @midge/plugin-topic-taboo: forbids a fixed set of topics (aMQTT's TopicTabooPlugin).
 *
 * Decisions: publish to / receive from a taboo topic → deny; subscribe with a filter that could match a
 * taboo topic (`#`, `data/+`...) → deny; anything else → allow. It answers allow rather than abstain
 * because a topic plugin that only abstains would make the broker deny everything when it is the only
 * one (all abstain → deny). Exempt users get allow for everything.
 */
import * as v from 'valibot';
import { allow, definePlugin, deny, topicMatchesFilter } from '@midge/mqtt-core';
import type { AuthorizeTopicRequest, Decision, PluginHooks } from '@midge/mqtt-core';
import { effectiveFilter, filtersOverlap, topicFilterProblem } from './filters.js';

export { effectiveFilter, filtersOverlap, topicFilterProblem } from './filters.js';

/** aMQTT's hard-coded list. */
export const DEFAULT_PROHIBITED: readonly string[] = Object.freeze(['prohibited', 'top-secret', 'data/classified']);
export const DEFAULT_EXEMPT_USERS: readonly string[] = Object.freeze(['admin']);
/** The username clients without one are known by (as with aMQTT's anonymous plugin). */
export const ANONYMOUS_USERNAME = 'anonymous';

const topicFilter = v.pipe(
  v.string(),
  v.check((s) => topicFilterProblem(s) === undefined, (issue) => topicFilterProblem(issue.input) ?? 'invalid topic filter'),
);

export const configSchema = v.strictObject({
  /** Topic filters nobody but exempt users may publish to, subscribe to or receive from. */
  prohibited: v.optional(v.array(topicFilter), () => [...DEFAULT_PROHIBITED]),
  /** Usernames the taboo does not apply to (`anonymous` = clients without a username). */
  exempt_users: v.optional(v.array(v.string()), () => [...DEFAULT_EXEMPT_USERS]),
});

export type TopicTabooConfig = v.InferOutput<typeof configSchema>;

const TABOO = deny('topic is taboo');

/** The plugin's `authorizeTopic` hook for a (validated) config: usable on its own, e.g. in tests. */
export function createTabooAuthorizer(config: TopicTabooConfig): (request: AuthorizeTopicRequest) => Decision {
  const taboo = [...config.prohibited];
  const n = taboo.length;
  const exempt = new Set(config.exempt_users);
  return (request) => {
    if (exempt.has(request.client.username ?? ANONYMOUS_USERNAME)) return allow;
    const { action, topic } = request;
    if (action === 'subscribe') {
      const filter = effectiveFilter(topic);
      for (let i = 0; i < n; i++) if (filtersOverlap(taboo[i] as string, filter)) return TABOO;
      return allow;
    }
    // publish, and receive: a subscription granted before the list changed (a persistent session
    // restored after a restart) must not leak taboo messages. Runs per delivery: no allocation.
    for (let i = 0; i < n; i++) if (topicMatchesFilter(taboo[i] as string, topic)) return TABOO;
    return allow;
  };
}

export default definePlugin({
  name: '@midge/plugin-topic-taboo',
  apiVersion: 1,
  configSchema,
  setup(ctx, config: TopicTabooConfig): PluginHooks {
    if (config.prohibited.length === 0) ctx.logger.warn('prohibited is empty: every topic is allowed');
    ctx.logger.debug({ prohibited: config.prohibited, exempt_users: config.exempt_users }, 'taboo topics');
    return { authorizeTopic: createTabooAuthorizer(config) };
  },
});
