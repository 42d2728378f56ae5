/**
 * A plugin's config schema speaks its validator's language (valibot: `Invalid key: Expected never but
 * received "allow_anonymus"`). These turn its issues into the words core keys use: `unknown option
 * 'allow_anonymus' (did you mean 'allow_anonymous'?)`, `missing required option 'password_file'`, `option
 * 'timeout' must be a number (got "abc")`. valibot issues are recognised by their fields (`kind`, `type`,
 * `expected`); any other Standard Schema issue, and any message the plugin wrote itself, is kept as is.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { describeValue, formatPath, unknownKeyMessage, type PathSegment } from '../config/issues.js';

/** The fields of a valibot issue read here (valibot's own type is not needed at run time). */
interface ValibotIssueFields {
  readonly kind: 'schema' | 'validation' | 'transformation';
  readonly type: string;
  readonly expected: string | null;
  readonly received: string;
  readonly input?: unknown;
  readonly requirement?: unknown;
  readonly message: string;
}

function isValibotIssue(issue: StandardSchemaV1.Issue): issue is StandardSchemaV1.Issue & ValibotIssueFields {
  const i = issue as Partial<ValibotIssueFields>;
  return (
    (i.kind === 'schema' || i.kind === 'validation' || i.kind === 'transformation') &&
    typeof i.type === 'string' &&
    typeof i.received === 'string'
  );
}

/** The path of a Standard Schema issue as segments (keys or `{ key }` items). */
export function issueSegments(issue: StandardSchemaV1.Issue): PathSegment[] {
  return (issue.path ?? []).map((seg) => {
    const key = typeof seg === 'object' ? seg.key : seg;
    return typeof key === 'number' ? key : String(key);
  });
}

// valibot's default messages all start this way; a message a plugin wrote itself is its author's words.
const VALIBOT_DEFAULT_MESSAGE = /^Invalid \w+: /;

/** What a valibot `expected` names, in words: `number` → `a number`, `("a" | "b")` → `"a" or "b"`. */
function describeExpected(expected: string): string {
  const words: Record<string, string> = {
    string: 'a string',
    number: 'a number',
    bigint: 'an integer',
    boolean: 'true or false',
    Array: 'a list',
    Object: 'a mapping',
    null: 'nothing',
    undefined: 'nothing',
  };
  const known = words[expected];
  if (known !== undefined) return known;
  const options = expected.replace(/^\((.*)\)$/, '$1').split(' | ');
  if (options.length > 1) {
    const described = options.map((o) => words[o] ?? o);
    return `${described.slice(0, -1).join(', ')} or ${described[described.length - 1] ?? ''}`;
  }
  return expected;
}

/** A valibot validation (a pipe action) in words, e.g. `must be <= 86400`, `must have at least 1 item`. */
function describeValidation(issue: ValibotIssueFields): string | undefined {
  const req = issue.requirement;
  const n = typeof req === 'number' || typeof req === 'bigint' ? String(req) : undefined;
  const length = typeof issue.input === 'string' ? 'character' : 'item';
  const plural = (count: string): string => `${count} ${length}${count === '1' ? '' : 's'}`;
  switch (issue.type) {
    case 'min_value':
      return n === undefined ? undefined : `must be >= ${n}`;
    case 'max_value':
      return n === undefined ? undefined : `must be <= ${n}`;
    case 'gt_value':
      return n === undefined ? undefined : `must be > ${n}`;
    case 'lt_value':
      return n === undefined ? undefined : `must be < ${n}`;
    case 'integer':
      return 'must be a whole number';
    case 'min_length':
    case 'non_empty':
      return n === undefined || n === '1' ? 'must not be empty' : `must have at least ${plural(n)}`;
    case 'max_length':
      return n === undefined ? undefined : `must have at most ${plural(n)}`;
    case 'length':
      return n === undefined ? undefined : `must have exactly ${plural(n)}`;
    default:
      return issue.expected === null ? undefined : `must be ${issue.expected}`;
  }
}

/**
 * One issue in core's words. `knownKeysAt(parent)` lists the options allowed in the mapping at `parent`
 * (relative to the plugin's section), for "did you mean".
 */
export function optionIssueMessage(
  issue: StandardSchemaV1.Issue,
  knownKeysAt: (parent: readonly PathSegment[]) => readonly string[],
): string {
  if (!isValibotIssue(issue)) return issue.message;
  const segments = issueSegments(issue);
  const option = formatPath(segments);
  const got = `(got ${'input' in issue ? describeValue(issue.input) : issue.received})`;
  const objectType = issue.type === 'object' || issue.type === 'strict_object' || issue.type === 'loose_object';
  if (issue.kind === 'schema' && (objectType || issue.type === 'object_with_rest') && segments.length > 0) {
    const key = String(segments[segments.length - 1]);
    // An unknown key: strict objects expect `never` there. A missing key: the key's name, nothing received.
    if (issue.expected === 'never') return unknownKeyMessage(key, knownKeysAt(segments.slice(0, -1)), 'option');
    if (issue.received === 'undefined') return `missing required option '${option}'`;
  }
  if (!VALIBOT_DEFAULT_MESSAGE.test(issue.message)) return issue.message;
  if (issue.kind === 'schema' && issue.expected !== null) {
    const what = describeExpected(issue.expected);
    return segments.length === 0 ? `expected ${what} of options ${got}` : `option '${option}' must be ${what} ${got}`;
  }
  const rule = describeValidation(issue);
  if (rule === undefined) return issue.message;
  return segments.length === 0 ? `${rule} ${got}` : `option '${option}' ${rule} ${got}`;
}

/** The option keys a valibot object schema allows at `parent` (through optional, pipe, array and record). */
export function valibotKeysAt(schema: unknown, parent: readonly PathSegment[]): readonly string[] {
  let node = unwrap(schema);
  for (const seg of parent) {
    if (node === undefined) return [];
    const entries = (node as { entries?: Record<string, unknown> }).entries;
    if (typeof seg === 'string' && entries !== undefined && typeof entries === 'object') node = unwrap(entries[seg]);
    else if (typeof seg === 'number' && 'item' in node) node = unwrap(node.item);
    else if ('value' in node && typeof node.value === 'object') node = unwrap(node.value);
    else return [];
  }
  const entries = (node as { entries?: unknown } | undefined)?.entries;
  return typeof entries === 'object' && entries !== null ? Object.keys(entries) : [];
}

/**
 * The schema inside optional()/nullable()/nullish() wrappers, if `schema` is an object at all. A pipe()
 * needs no unwrapping: valibot spreads its first schema's fields (entries, item...) onto it.
 */
function unwrap(schema: unknown): object | undefined {
  let node = schema;
  for (let depth = 0; depth < 10 && typeof node === 'object' && node !== null && 'wrapped' in node; depth++) {
    node = node.wrapped;
  }
  return typeof node === 'object' && node !== null ? node : undefined;
}
