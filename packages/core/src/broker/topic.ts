/**
 * Topic names and topic filters (MQTT 3.1.1 section 4.7, MQTT 5.0 section 4.7 and 4.8.2).
 *
 * Everything here walks strings by index instead of splitting them, because validation and
 * matching run for every PUBLISH and SUBSCRIBE. Only `filterCovers` (ACL decisions) allocates.
 */

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
const DOLLAR = 0x24;
const NUL = 0x00;
/** Control characters: C0 (U+0001-U+001F) and DEL plus C1 (U+007F-U+009F); U+0000 is never allowed. */
const C0_END = 0x1f;
const DEL = 0x7f;
const C1_END = 0x9f;

export interface TopicLimits {
  /** Maximum length in UTF-8 bytes; 0 = no limit beyond the protocol's 65535. */
  readonly maxLength: number;
  /** Maximum number of levels (`a/b` has 2); 0 = no limit. */
  readonly maxLevels: number;
  /**
   * Refuse U+0001-U+001F and U+007F-U+009F (`control_characters: reject`). MQTT allows them
   * [MQTT-1.5.4], but they let a client forge lines in logs and terminals that show topics.
   */
  readonly rejectControl?: boolean;
}

/**
 * Index of the first control character (U+0001-U+001F, U+007F-U+009F) in `s`, or -1. For client ids and
 * usernames; topic names and filters are checked inside their validation loop.
 */
export function findControlCharacter(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c <= C0_END && c !== NUL) || (c >= DEL && c <= C1_END)) return i;
  }
  return -1;
}

const CONTROL_IN_TOPIC = 'contains a control character (U+0001-U+001F, U+007F-U+009F) and control_characters is reject';

/**
 * Checks a PUBLISH (or will) topic name. Returns undefined when the name is valid, otherwise a
 * message naming the rule it breaks.
 */
export function validateTopicName(topic: string, limits: TopicLimits): string | undefined {
  if (topic.length === 0) return 'a topic name must not be empty [MQTT-4.7.3-1]';
  let levels = 1;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === SLASH) levels++;
    else if (c === PLUS || c === HASH) return 'a topic name must not contain the wildcards + or # [MQTT-3.3.2-2]';
    else if (c <= C0_END || (c >= DEL && c <= C1_END)) {
      // One comparison for the printable ASCII that makes up nearly every topic.
      if (c === NUL) return 'a topic name must not contain the null character U+0000 [MQTT-4.7.3-2]';
      if (limits.rejectControl === true) return `the topic name ${CONTROL_IN_TOPIC}`;
    }
  }
  return checkLimits(topic, levels, limits, 'topic name');
}

/**
 * Checks a SUBSCRIBE / UNSUBSCRIBE topic filter. Returns undefined when valid, otherwise a message.
 * A shared subscription (`$share/group/filter`) is not special here: parse it with
 * `parseSharedFilter` first and validate the inner filter.
 */
export function validateTopicFilter(filter: string, limits: TopicLimits): string | undefined {
  if (filter.length === 0) return 'a topic filter must not be empty [MQTT-4.7.3-1]';
  let levels = 1;
  let levelStart = 0;
  const n = filter.length;
  for (let i = 0; i < n; i++) {
    const c = filter.charCodeAt(i);
    if (c === SLASH) {
      levels++;
      levelStart = i + 1;
    } else if (c === HASH) {
      // '#' must be the whole level and the last character of the filter.
      if (i !== levelStart || i !== n - 1) {
        return 'the wildcard # must be alone in the last level of a topic filter [MQTT-4.7.1-2]';
      }
    } else if (c === PLUS) {
      if (i !== levelStart || (i + 1 < n && filter.charCodeAt(i + 1) !== SLASH)) {
        return 'the wildcard + must occupy a whole level of a topic filter [MQTT-4.7.1-3]';
      }
    } else if (c <= C0_END || (c >= DEL && c <= C1_END)) {
      if (c === NUL) return 'a topic filter must not contain the null character U+0000 [MQTT-4.7.3-2]';
      if (limits.rejectControl === true) return `the topic filter ${CONTROL_IN_TOPIC}`;
    }
  }
  return checkLimits(filter, levels, limits, 'topic filter');
}

function checkLimits(s: string, levels: number, limits: TopicLimits, what: string): string | undefined {
  // s.length is a lower bound of the UTF-8 length: only measure bytes when it could matter.
  if (limits.maxLength > 0 && s.length * 3 > limits.maxLength) {
    const bytes = Buffer.byteLength(s, 'utf8');
    if (bytes > limits.maxLength) {
      return `the ${what} is ${bytes} bytes long, more than max_topic_length (${limits.maxLength})`;
    }
  }
  if (limits.maxLevels > 0 && levels > limits.maxLevels) {
    return `the ${what} has ${levels} levels, more than max_topic_levels (${limits.maxLevels})`;
  }
  return undefined;
}

const SHARE_PREFIX = '$share/';

/** True when the filter uses the MQTT 5 shared subscription prefix (it may still be malformed). */
export function isSharedFilter(filter: string): boolean {
  return filter.startsWith(SHARE_PREFIX);
}

/**
 * Splits `$share/{group}/{filter}` (MQTT 5.0 section 4.8.2). Returns undefined when `filter` is not
 * a well-formed shared subscription: no `$share/` prefix, an empty group, a group containing `+`,
 * `#` [MQTT-4.8.2-2] or '/', or nothing after the group [MQTT-4.8.2-1].
 * The returned inner filter still has to pass `validateTopicFilter`.
 * Use `isSharedFilter` to tell "not shared" from "malformed shared".
 */
export function parseSharedFilter(filter: string): { group: string; filter: string } | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return undefined;
  const groupStart = SHARE_PREFIX.length;
  const slash = filter.indexOf('/', groupStart);
  if (slash <= groupStart) return undefined; // no '/' after the group, or an empty group
  if (slash === filter.length - 1) return undefined; // no filter after the group
  for (let i = groupStart; i < slash; i++) {
    const c = filter.charCodeAt(i);
    if (c === PLUS || c === HASH) return undefined;
  }
  return { group: filter.slice(groupStart, slash), filter: filter.slice(slash + 1) };
}

/** Topics starting with `$` are reserved for the server ($SYS) and hidden from root wildcards. */
export function isSysTopic(topic: string): boolean {
  return topic.charCodeAt(0) === DOLLAR;
}

/**
 * Topic names no client may publish to: `$SYS` and below (the broker's own) and `$share` and below
 * (a filter prefix: no subscription can match such a name). Other `$` topics are open to clients, as
 * in Mosquitto; root wildcards still do not match them [MQTT-4.7.2-1].
 */
export function isBrokerOnlyTopic(topic: string): boolean {
  if (topic.charCodeAt(0) !== DOLLAR) return false;
  return hasFirstLevel(topic, '$SYS') || hasFirstLevel(topic, '$share');
}

function hasFirstLevel(topic: string, level: string): boolean {
  return topic.startsWith(level) && (topic.length === level.length || topic.charCodeAt(level.length) === SLASH);
}

/**
 * True when the (valid) topic filter matches the (valid) topic name.
 * `#` also matches the parent level (`a/#` matches `a`) [MQTT-4.7.1-2]; `+` matches exactly one
 * level, possibly empty [MQTT-4.7.1-3]; a filter whose first character is a wildcard never matches
 * a topic starting with `$` [MQTT-4.7.2-1].
 */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  const f0 = filter.charCodeAt(0);
  if ((f0 === HASH || f0 === PLUS) && topic.charCodeAt(0) === DOLLAR) return false;
  const fl = filter.length;
  const tl = topic.length;
  let fi = 0;
  let ti = 0;
  for (;;) {
    let fe = filter.indexOf('/', fi);
    if (fe < 0) fe = fl;
    const flen = fe - fi;
    // '#' matches whatever remains, including nothing (the parent level).
    if (flen === 1 && filter.charCodeAt(fi) === HASH) return true;
    if (ti > tl) return false; // the topic ran out of levels before the filter did
    let te = topic.indexOf('/', ti);
    if (te < 0) te = tl;
    if (!(flen === 1 && filter.charCodeAt(fi) === PLUS)) {
      if (flen !== te - ti) return false;
      for (let k = 0; k < flen; k++) {
        if (filter.charCodeAt(fi + k) !== topic.charCodeAt(ti + k)) return false;
      }
    }
    fi = fe + 1;
    ti = te + 1;
    if (fi > fl) return ti > tl; // both must end together
  }
}

/**
 * True iff every topic name that `requested` matches is also matched by `granting` (both valid
 * filters). Used for ACLs: a grant of `a/#` covers a subscription to `a/+/b`; `a/+` does not cover
 * `a/#`.
 *
 * Two facts make a level-by-level comparison exact:
 * - A topic is never empty, so `#` never matches the zero-level "parent" at the root and `/#` never
 *   matches the empty topic: `#` is equivalent to `+/#` and `/#` to `/+/#`. Rewriting them that way
 *   lets `+/#` cover `#` (and vice versa) without further special cases.
 * - Root wildcards never match `$` topics, so a requested filter that starts with a `$` literal is
 *   only covered by a grant starting with the same literal. A requested root wildcard matches no
 *   `$` topic, so it needs nothing extra.
 */
export function filterCovers(granting: string, requested: string): boolean {
  const g = granting.split('/');
  const r = requested.split('/');
  normalizeRootHash(g);
  normalizeRootHash(r);
  if (g[0] === '+' && r[0] !== '+' && isSysTopic(r[0] as string)) return false;
  for (let i = 0; ; i++) {
    const gi = g[i];
    const ri = r[i];
    // The grant's '#' matches everything below its prefix, the prefix itself included; every topic
    // of `requested` that got this far has at least i levels.
    if (gi === '#') return true;
    if (ri === undefined) return gi === undefined;
    // `requested` matches the prefix itself and arbitrarily deep topics; a grant without '#' here
    // cannot match both.
    if (ri === '#' || gi === undefined) return false;
    if (gi === '+') continue;
    // A literal grant covers only the same literal (not '+', which matches other values too).
    if (ri !== gi) return false;
  }
}

/** Rewrites `#` as `+/#` and `/#` as `/+/#` (see filterCovers). */
function normalizeRootHash(levels: string[]): void {
  if (levels[0] === '#') levels.splice(0, 1, '+', '#');
  else if (levels.length === 2 && levels[0] === '' && levels[1] === '#') levels.splice(1, 0, '+');
}
