/**
 * The v5 properties a message keeps when it crosses: user properties, content type, expiry and the rest
 * pass; a topic alias names a topic on one connection only, and subscription identifiers are the
 * subscriber's own, so they stay behind (the broker on the other side sets its own).
 */
import type { PublishProperties } from '@midge/mqtt-core';

export function crossingProperties(properties: PublishProperties | undefined): PublishProperties | undefined {
  if (properties === undefined) return undefined;
  const { topicAlias: _alias, subscriptionIdentifier: _ids, ...kept } = properties;
  return Object.keys(kept).length === 0 ? undefined : kept;
}
