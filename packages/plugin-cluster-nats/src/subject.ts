/**
 * MQTT topics and filters as NATS subjects, the way NATS's own MQTT gateway maps them, with lossless
 * escapes where the gateway refuses a character or maps it lossily:
 *
 *   MQTT                          NATS token
 *   level separator `/`           `.`
 *   `+` (a whole filter level)    `*`
 *   `#` (the last filter level)   `>`, plus the parent level itself: `a/#` is `a` and `a.>`
 *   an empty level                `/`               (`/a` → `/.a`, `a//b` → `a./.b`, `a/` → `a./`)
 *   `.` inside a level            `//`              (`v1.2` → `v1//2`)
 *   a space, tab, CR, LF, other   `/` + two upper-case hex digits (` ` → `/20`, DEL → `/7F`)
 *   ASCII control character, DEL
 *   a level that is exactly `*`   `/2A`             (a literal star, not NATS's wildcard)
 *   a level that is exactly `>`   `/3E`
 *
 * `/` can carry the escapes because it never occurs inside an MQTT level. Every escape is at least two
 * characters long, so the token `/` alone is the empty level and reading left to right is unambiguous:
 * two different topics never map to the same subject.
 *
 * Subjects are `<prefix>.msg.<topic tokens>`: the prefix (default `midge`) keeps a cluster's subjects apart
 * from other users of the same NATS, and `msg` leaves room for other kinds of cluster traffic.
 */

/**
 * The longest subject this plugin sends or subscribes to, in UTF-8 bytes. A NATS server closes a
 * connection whose protocol line is longer than its `max_control_line` (4096 bytes by default), and the
 * line between servers also lists queue groups: a topic whose subject would be longer stays on its node.
 */
export const MAX_SUBJECT_BYTES = 2048;

/** The token after the prefix under which messages travel. */
export const MESSAGE_TOKEN = 'msg';

const DOT = 0x2e;
const SPACE = 0x20;
const DEL = 0x7f;

function needsEscape(code: number): boolean {
  return code <= SPACE || code === DEL;
}

function hexEscape(code: number): string {
  return `/${code.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** One MQTT topic level (no wildcard meaning) as a NATS token. */
export function levelToken(level: string): string {
  if (level === '') return '/';
  if (level === '*' || level === '>') return hexEscape(level.charCodeAt(0));
  let plain = true;
  for (let i = 0; i < level.length; i++) {
    const c = level.charCodeAt(i);
    if (c === DOT || needsEscape(c)) {
      plain = false;
      break;
    }
  }
  if (plain) return level;
  let out = '';
  for (let i = 0; i < level.length; i++) {
    const c = level.charCodeAt(i);
    if (c === DOT) out += '//';
    else if (needsEscape(c)) out += hexEscape(c);
    else out += level[i];
  }
  return out;
}

/** The subjects' common start: `<prefix>.msg`. */
export function messageSubjectRoot(prefix: string): string {
  return `${prefix}.${MESSAGE_TOKEN}`;
}

/** The subject a message on `topic` (a topic name, no wildcards) travels on. */
export function topicSubject(root: string, topic: string): string {
  let out = root;
  let start = 0;
  for (;;) {
    const end = topic.indexOf('/', start);
    out += '.' + levelToken(end === -1 ? topic.slice(start) : topic.slice(start, end));
    if (end === -1) return out;
    start = end + 1;
  }
}

/**
 * The subjects a node subscribes to for messages matching `filter` (no `$share/` prefix): one, or two
 * for a filter ending in `#`, which also matches its parent level [MQTT-4.7.1-2] while NATS's `>` needs
 * at least one more token. `#` alone is `<root>.>`.
 */
export function filterSubjects(root: string, filter: string): string[] {
  const levels = filter.split('/');
  const last = levels.length - 1;
  let out = root;
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string;
    if (level === '#' && i === last) {
      // `#` alone: every topic (`$` topics never travel). `a/#`: `a` and everything below it.
      return i === 0 ? [`${out}.>`] : [out, `${out}.>`];
    }
    out += '.' + (level === '+' ? '*' : levelToken(level));
  }
  return [out];
}

/** UTF-8 length of a subject: what `MAX_SUBJECT_BYTES` bounds. */
export function subjectBytes(subject: string): number {
  return Buffer.byteLength(subject, 'utf8');
}
