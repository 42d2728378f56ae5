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
 * closest known one ("did you mean --topic?") and points at --help.
 */
export function parseCommandArgs<O extends Options>(
  command: string,
  argv: string[],
  options: O,
  allowPositionals = false,
): ParsedCommandArgs<O> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals,
      allowNegative: false,
    });
    return { values, positionals };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message);
    if (unknown?.[1]) {
      const hint = closestFlag(unknown[1], options);
      throw new UsageError(
        `unknown option ${unknown[1]}${hint ? ` (did you mean ${hint}?)` : ''}; see 'midge ${command} --help'`,
      );
    }
    throw new UsageError(`${message.replace(/\. To specify a positional.*$/s, '')}; see 'midge ${command} --help'`);
  }
}

function closestFlag(flag: string, options: Options): string | undefined {
  const bare = flag.replace(/^-+/, '');
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

export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
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
