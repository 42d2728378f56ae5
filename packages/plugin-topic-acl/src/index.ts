/**
 * @midge/plugin-topic-acl: per-user topic access control lists (aMQTT's TopicAccessControlListPlugin)
 * for subscribe, publish and receive. An absent ACL leaves its action unrestricted (allow); a present
 * one allows only what a user's entries grant and denies everything else.
 */
import { definePlugin } from '@midge/mqtt-core';
import type { PluginCheckProblem, PluginHooks } from '@midge/mqtt-core';
import { compileAcl, createAclAuthorizer } from './acl.js';
import { createClientIdAuthorizer } from './client-ids.js';
import { configSchema } from './config.js';
import type { TopicAclConfig } from './config.js';

export { configSchema, normalizeAcl } from './config.js';
export type { AclInput, TopicAclConfig } from './config.js';
export { ADMIN_USERNAME, compileAcl, createAclAuthorizer, parsePattern, substitute } from './acl.js';
export type { CompiledAcl, Pattern, UserRules } from './acl.js';
/** Kept for code that imported them from here: the one definitions are `@midge/mqtt-core`'s. */
export { ANONYMOUS_USERNAME, effectiveFilter, topicFilterProblem } from '@midge/mqtt-core';
export {
  ANY_USER,
  clientIdMatches,
  compileClientIdRules,
  createClientIdAuthorizer,
  parseClientIdPattern,
} from './client-ids.js';
export type { ClientIdRules } from './client-ids.js';

export default definePlugin({
  name: '@midge/plugin-topic-acl',
  apiVersion: 1,
  configSchema,
  // `midge --check` shows the warnings setup logs (entries that never apply...); the ACLs are all in the config.
  check: (_ctx, config: TopicAclConfig): PluginCheckProblem[] =>
    compileAcl(config).warnings.map((message) => ({ message, severity: 'warning' })),
  setup(ctx, config: TopicAclConfig): PluginHooks {
    const acl = compileAcl(config);
    for (const w of acl.warnings) ctx.logger.warn(w);
    const authorizeTopic = createAclAuthorizer(acl);
    if (acl.clientIds === undefined) return { authorizeTopic };
    return { authorizeTopic, authorizeClient: createClientIdAuthorizer(acl.clientIds) };
  },
});
