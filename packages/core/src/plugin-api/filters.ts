/**
 * Topic filter helpers for plugins that take topic filters as options and judge `subscribe` requests
 * (the packaged ACL and taboo plugins), on top of the broker's own topic rules.
 */
import { parseSharedFilter, validateTopicFilter } from '../broker/topic.js';

/** Option values are checked for syntax only: length/level limits are the broker's business. */
const NO_LIMITS = { maxLength: 0, maxLevels: 0 };

/** Why `filter` is not a valid MQTT topic filter, or undefined when it is (the broker's rules, no limits). */
export function topicFilterProblem(filter: string): string | undefined {
  return validateTopicFilter(filter, NO_LIMITS);
}

/**
 * The filter a subscription actually receives from: `$share/{group}/{filter}` → `{filter}` (MQTT 5
 * shared subscriptions), anything else unchanged. A malformed shared filter is returned as is: as a
 * `$` filter, only an explicit `$share/...` entry can grant or overlap it.
 */
export function effectiveFilter(filter: string): string {
  return parseSharedFilter(filter)?.filter ?? filter;
}
