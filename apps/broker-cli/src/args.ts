import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command-line mistake: printed as `midge <command>: <message>` with a hint, exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

type OptionValue<S> = S extends { type: 'boolean' }
  ? S extends { multiple: true }
    ? boolean[]
    : boolean
  : S extends { multiple: true }
    ? string[]
    : string;

/** What parseArgs returns for these options (node's own result type is not exported). */
export interface ParsedCommandArgs<O extends Options> {
  values: { [K in keyof O]?: OptionValue<O[K]> };
  positionals: string[];
}

/**
 * node:util parseArgs in strict mode, with errors rewritten for humans: an unknown flag names the
 * closest known one ("did you mean --topic?") and points at --help; a flag of another tool that this
 * command knows it lacks (`unsupported`: flag → why) says so instead.
 */
export function parseCommandArgs<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  allowPositionals = false,
  unsupported: Readonly<Record<string, string>> = {},
): ParsedCommandArgs<O> {
  try {
    const { values, positionals } = parseArgs({
      args: withNegativeValues(argv, options),
      options,
      strict: true,
      allowPositionals,
      allowNegative: false,
    });
    return { values, positionals };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message);
    const why =
      unknown?.[1] !== undefined && Object.hasOwn(unsupported, unknown[1]) ? unsupported[unknown[1]] : undefined;
    if (unknown?.[1] && why !== undefined)
      throw new UsageError(`${unknown[1]} is not supported: ${why}; see 'midge ${command} --help'`);
    if (unknown?.[1]) {
      const hint = closestFlag(unknown[1], options);
      throw new UsageError(
        `unknown option ${unknown[1]}${hint ? ` (did you mean ${hint}?)` : ''}; see 'midge ${command} --help'`,
      );
    }
    throw new UsageError(`${message.replace(/\. To specify a positional.*$/s, '')}; see 'midge ${command} --help'`);
  }
}

/**
 * `-x -1` as `--session-expiry=-1`: node's parser refuses a value that starts with a dash (it could be a
 * forgotten value), but a negative number after a flag that takes a value is that flag's value.
 */
function withNegativeValues(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    const name = Object.entries(options).find(
      ([long, spec]) =>
        spec.type === 'string' && (arg === `--${long}` || (spec.short !== undefined && arg === `-${spec.short}`)),
    )?.[0];
    if (name !== undefined && next !== undefined && /^-\d/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

export function closestFlag(flag: string, options: Options): string | undefined {
  const bare = flag.replace(/^-+/, '');
  // Any one letter is one edit from any other: only a wrong case (-a for -A) is worth a hint.
  if (bare.length === 1) {
    const other = Object.values(options).find((o) => o.short !== bare && o.short?.toLowerCase() === bare.toLowerCase());
    return other?.short !== undefined ? `-${other.short}` : undefined;
  }
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const [name, spec] of Object.entries(options)) {
    for (const candidate of [name, spec.short].filter((c): c is string => c !== undefined)) {
      const d = editDistance(bare, candidate);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate.length === 1 ? `-${candidate}` : `--${candidate}`;
      }
    }
  }
  // More than a third of the word wrong is not a typo of it.
  return bestDistance <= Math.max(1, Math.floor(bare.length / 3)) ? best : undefined;
}

/**
 * Edits (insert, delete, change, or swap two neighbours) from `a` to `b`: a swap counts as one, since
 * `--qso` for `--qos` is the commonest typo.
 */
export function editDistance(a: string, b: string): number {
  // d[i][j]: distance between a's first i and b's first j characters (optimal string alignment).
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    for (let j = 1; j <= b.length; j++) {
      const same = a[i - 1] === b[j - 1];
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + (same ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** Parses an integer flag within bounds, or throws a UsageError naming the flag. */
export function intFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return n;
}
