/**
 * Turning problems into `path: message` lines a user can act on: paths name the YAML key as written,
 * messages show the bad value and what was expected.
 */
import type * as v from 'valibot';
import type { ConfigIssue } from './types.js';

export type PathSegment = string | number;

// Plain segments read like the YAML (`listeners.default.bind`). A key that YAML itself makes you quote
// (`'@midge/plugin-sys'`: `@` cannot start a plain scalar) or that holds a dot or a space (aMQTT class names) is
// quoted as in YAML, so the path is unambiguous and shows the key as written: `plugins.'@midge/plugin-sys'`.
const PLAIN_SEGMENT = /^[\w$][\w$/-]*$/;

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const seg of segments) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const written = PLAIN_SEGMENT.test(seg) ? seg : `'${seg.replace(/'/g, "''")}'`;
      out += out === '' ? written : `.${written}`;
    }
  }
  return out;
}

/** The segments of a path made by formatPath (its inverse); undefined for a string it cannot have made. */
export function parsePath(path: string): PathSegment[] | undefined {
  const segments: PathSegment[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === '[') {
      const close = path.indexOf(']', i);
      const index = close < 0 ? NaN : Number(path.slice(i + 1, close));
      if (!Number.isInteger(index)) return undefined;
      segments.push(index);
      i = close + 1;
      continue;
    }
    if (segments.length > 0) {
      if (path[i] !== '.') return undefined;
      i++;
    }
    if (path[i] === "'") {
      let key = '';
      i++;
      for (;;) {
        const quote = path.indexOf("'", i);
        if (quote < 0) return undefined;
        key += path.slice(i, quote);
        if (path[quote + 1] === "'") {
          key += "'";
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      segments.push(key);
    } else {
      const match = /^[\w$][\w$/-]*/.exec(path.slice(i));
      if (match === null) return undefined;
      segments.push(match[0]);
      i += match[0].length;
    }
  }
  return segments;
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

/**
 * Damerau-Levenshtein distance (optimal string alignment): insertions, deletions, substitutions and swaps of
 * two neighbours each cost 1, so 'tabo' → 'taboo' and 'tpoic' → 'topic' are one typo away.
 */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: the distance from a's first i code units to b's first j; three rows are enough for a swap.
  let before: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let d = Math.min((previous[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (before[j - 2] ?? 0) + 1);
      row.push(d);
    }
    before = previous;
    previous = row;
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidate `name` most likely meant, if one is close enough to suggest: roughly one typo per four
 * characters ('max_conections' → 'max_connections', 'foo' → nothing). `normalize` is applied to both sides.
 */
export function closestName(
  name: string,
  candidates: Iterable<string>,
  normalize: (s: string) => string = (s) => s.toLowerCase(),
): string | undefined {
  const wanted = normalize(name);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(wanted, normalize(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(name.length / 4)) ? best : undefined;
}

/** The known key a typo most likely meant; kebab-case is compared as snake_case ('max-connection'). */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  return closestName(key, known, (s) => s.toLowerCase().replace(/-/g, '_'));
}

/** `unknown <what> 'x' (did you mean 'y'?)`, or the list of known keys when none is close. */
export function unknownKeyMessage(key: string, known: readonly string[], what = 'key'): string {
  const suggestion = closestKey(key, known);
  if (suggestion !== undefined) return `unknown ${what} '${key}' (did you mean '${suggestion}'?)`;
  return known.length === 0
    ? `unknown ${what} '${key}'`
    : `unknown ${what} '${key}' (expected one of: ${known.join(', ')})`;
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
