/**
 * Turning problems into `path: message` lines a user can act on: paths name the YAML key as written,
 * messages show the bad value and what was expected.
 */
import type * as v from 'valibot';
import type { ConfigIssue } from './types.js';

export type PathSegment = string | number;

// Plain segments read like the YAML (`listeners.default.bind`, `plugins.@midge/plugin-sys`); a key with
// a dot or a space in it (aMQTT class names) is quoted so the path stays unambiguous.
const PLAIN_SEGMENT = /^[\w@/$-]+$/;

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_SEGMENT.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** A short rendering of a YAML value for messages: strings quoted, collections named, long values cut. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return typeof value;
}

/** The valibot message for a value check: `expected <what>, got <value>`. */
export function expected(what: string): (issue: v.BaseIssue<unknown>) => string {
  return (issue) => `expected ${what}, got ${describeValue(issue.input)}`;
}

function editDistance(a: string, b: string): number {
  // Row by row (Wagner-Fischer): previous[j] is the distance from a's first i - 1 code units to b's first j.
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let distance = b.length;
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let diagonal = i - 1;
    let left = i;
    for (const [j, above] of previous.entries()) {
      if (j === 0) continue;
      left = Math.min(above + 1, left + 1, diagonal + (a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1));
      row.push(left);
      diagonal = above;
    }
    previous = row;
    distance = left;
  }
  return distance;
}

/** The known key a typo most likely meant, if one is close enough to suggest. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const normalized = key.toLowerCase().replace(/-/g, '_');
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(normalized, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // Allow roughly one typo per four characters: 'max_conections' → 'max_connections', but 'foo' → nothing.
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(key.length / 4)) ? best : undefined;
}

export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = closestKey(key, known);
  return suggestion === undefined
    ? `unknown key '${key}' (expected one of: ${known.join(', ')})`
    : `unknown key '${key}': did you mean '${suggestion}'?`;
}

/**
 * valibot issues → ConfigIssues. `knownKeysAt` names the keys allowed where an unknown key was found
 * (valibot's rest-never issue does not carry them).
 */
export function fromValibotIssues(
  issues: readonly v.BaseIssue<unknown>[],
  knownKeysAt: (parent: readonly PathSegment[]) => readonly string[] | undefined,
  prefix: readonly PathSegment[] = [],
): ConfigIssue[] {
  return issues.flatMap((issue) => {
    const segments: PathSegment[] = [...prefix];
    for (const item of issue.path ?? []) segments.push(item.key as PathSegment);
    // A union (`persistence: false | { ... }`) fails as a whole with every option's issues inside. Issues
    // deeper than the union come from the option the value has the shape of (a mapping): report those.
    const deeper = issue.type === 'union' ? (issue.issues ?? []).filter((i) => (i.path?.length ?? 0) > 0) : [];
    if (deeper.length > 0) return fromValibotIssues(deeper, knownKeysAt, segments);
    if (issue.type === 'never' && segments.length > 0) {
      const key = String(segments[segments.length - 1]);
      const known = knownKeysAt(segments.slice(0, -1)) ?? [];
      return { path: formatPath(segments), message: unknownKeyMessage(key, known) };
    }
    return { path: formatPath(segments), message: issue.message };
  });
}
