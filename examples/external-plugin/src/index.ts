/**
 * @acme/midge-plugin-topic-prefix: each user may publish only under their own topic prefix
 * (`users/<username>/` by default). An example of a third-party Midge plugin: it depends on
 * `@midge/mqtt-core` as a peer, validates its options with valibot (any Standard Schema library works),
 * and is the package's default export.
 *
 * Decisions (authorizeTopic):
 * - publish inside the client's prefix → allow; outside → deny (v5 clients get PUBACK 0x87);
 * - publish by a client without a username → deny (there is no prefix to publish under);
 * - subscribe and receive → allow: this plugin restricts publishing only. It answers allow rather than
 *   abstain because when every topic plugin abstains the broker denies.
 * - exempt users → allow for everything.
 */
import * as v from 'valibot';
import { allow, definePlugin, deny } from '@midge/mqtt-core';
import type { AuthorizeTopicRequest, Decision } from '@midge/mqtt-core';

/** `%u` stands for the client's username. */
export const DEFAULT_PREFIX = 'users/%u/';

export const configSchema = v.strictObject({
  /** The topic prefix a user may publish under; `%u` is replaced by the username. */
  prefix: v.optional(
    v.pipe(
      v.string(),
      v.includes('%u', 'prefix must contain %u (the username)'),
      v.check((s) => !s.includes('+') && !s.includes('#'), 'prefix cannot contain the wildcards + or #'),
    ),
    DEFAULT_PREFIX,
  ),
  /** Usernames that may publish anywhere. */
  exempt_users: v.optional(v.array(v.string()), () => []),
  /** Also disconnect a client that publishes outside its prefix (default: just drop the message). */
  disconnect: v.optional(v.boolean(), false),
});

export type TopicPrefixConfig = v.InferOutput<typeof configSchema>;

const NO_USERNAME = deny('a username is needed to publish');

/** The authorizeTopic hook for a validated config, usable on its own (unit tests, composition). */
export function createPrefixAuthorizer(config: TopicPrefixConfig): (request: AuthorizeTopicRequest) => Decision {
  const exempt = new Set(config.exempt_users);
  const outside = deny('topic outside your prefix', config.disconnect ? { disconnect: true } : undefined);
  return ({ client, action, topic }) => {
    if (action !== 'publish') return allow;
    const user = client.username;
    if (user !== undefined && exempt.has(user)) return allow;
    if (user === undefined || user === '') return NO_USERNAME;
    // A username may itself contain / or wildcard characters: the prefix is compared as a plain string.
    return topic.startsWith(config.prefix.replaceAll('%u', user)) ? allow : outside;
  };
}

export default definePlugin({
  name: 'acme-topic-prefix',
  apiVersion: 1,
  configSchema,
  setup(ctx, config) {
    ctx.logger.debug({ prefix: config.prefix }, 'publishing restricted to each user prefix');
    return { authorizeTopic: createPrefixAuthorizer(config) };
  },
});
