/**
 * Topic filter helpers beyond core's `topicMatchesFilter` / `filterCovers`.
 */

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;

/**
 * Why `filter` is not a valid MQTT topic filter, or undefined when it is (non-empty, `#` alone in the
 * last level, `+` alone in its level, no U+0000).
 */
export function topicFilterProblem(filter: string): string | undefined {
  if (filter.length === 0) return 'a topic filter must not be empty';
  let levelStart = 0;
  for (let i = 0; i < filter.length; i++) {
    const c = filter.charCodeAt(i);
    if (c === SLASH) levelStart = i + 1;
    else if (c === HASH) {
      if (i !== levelStart || i !== filter.length - 1) return 'the wildcard # must be alone in the last level';
    } else if (c === PLUS) {
      if (i !== levelStart || (i + 1 < filter.length && filter.charCodeAt(i + 1) !== SLASH)) {
        return 'the wildcard + must occupy a whole level';
      }
    } else if (c === 0) return 'a topic filter must not contain U+0000';
  }
  return undefined;
}

const SHARE_PREFIX = '$share/';

/**
 * The filter a subscription actually receives from: `$share/{group}/{filter}` → `{filter}` (MQTT 5
 * shared subscriptions), anything else unchanged. A malformed shared filter is returned as is (the
 * broker rejects it anyway, and as a `$` filter only an explicit `$share/...` entry covers it).
 */
export function effectiveFilter(filter: string): string {
  if (!filter.startsWith(SHARE_PREFIX)) return filter;
  const slash = filter.indexOf('/', SHARE_PREFIX.length);
  if (slash < 0 || slash === filter.length - 1) return filter;
  return filter.slice(slash + 1);
}
