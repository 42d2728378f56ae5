/**
 * @midge/plugin-auth-anonymous: admits clients without credentials (aMQTT's AnonymousAuthPlugin).
 *
 * Unlike aMQTT, `allow_anonymous: false` does not admit a client merely because it sent a username:
 * such a client gets `abstain` here, so another auth plugin has to vouch for it.
 */
import * as v from 'valibot';
import { abstain, allow, definePlugin, deny } from '@midge/mqtt-core';
import type { ClientInfo, DenyDecision, PluginHooks } from '@midge/mqtt-core';

/** Kept for plugins that imported it from here: the one definition is `@midge/mqtt-core`'s. */
export { ANONYMOUS_USERNAME } from '@midge/mqtt-core';

export const configSchema = v.strictObject({
  /** true: admit every client. false: refuse clients without a username, abstain for the others. */
  allow_anonymous: v.optional(v.boolean(), true),
});

export type AnonymousAuthConfig = v.InferOutput<typeof configSchema>;

const REASON = 'anonymous clients are not allowed';
// CONNACK return code 0x05 exists only in MQTT 3.1/3.1.1; 5.0 spells "not authorized" 0x87. Both are
// built once so the refusal never allocates.
const DENY_V3 = deny(REASON, { reasonCode: 0x05 });
const DENY_V5 = deny(REASON, { reasonCode: 0x87 });

/** The refusal for an anonymous client, with the CONNACK code of its protocol version. */
export function anonymousDenied(client: ClientInfo): DenyDecision {
  return client.protocolVersion === 5 ? DENY_V5 : DENY_V3;
}

export default definePlugin({
  name: '@midge/plugin-auth-anonymous',
  apiVersion: 1,
  configSchema,
  setup(ctx, config: AnonymousAuthConfig): PluginHooks {
    if (config.allow_anonymous) {
      ctx.logger.debug('allow_anonymous is true: every client is admitted');
      return { authenticate: () => allow };
    }
    return {
      authenticate: ({ client }) => (client.username === undefined ? anonymousDenied(client) : abstain),
    };
  },
});
