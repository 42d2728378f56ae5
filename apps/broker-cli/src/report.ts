/** How failures reach the terminal: one readable line per problem on stderr, never a stack trace. */
import { ConfigError, formatConfigIssues, type ConfigDeprecation } from '@midge/mqtt-core';
import { UsageError } from './args.js';

/** Exit codes: 0 ok, 1 failure (config, plugin, runtime), 2 command-line mistake. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export function writeLine(stream: NodeJS.WritableStream, line: string): void {
  stream.write(`${line}\n`);
}

/** `label` names the config in messages when there is no file (the embedded default config). */
export function reportError(stderr: NodeJS.WritableStream, command: string, err: unknown, label?: string): number {
  if (err instanceof UsageError) {
    // Every usage error points at the help that explains the right usage.
    const hint = err.message.includes('--help') ? '' : `; see 'midge ${command} --help'`;
    writeLine(stderr, `midge ${command}: ${err.message}${hint}`);
    return EXIT_USAGE;
  }
  if (err instanceof ConfigError) {
    // Already one `file:line:col: path: message` line per problem; the count as `--check` gives it.
    writeLine(
      stderr,
      err.file === undefined && label !== undefined ? formatConfigIssues(err.issues, label) : err.message,
    );
    writeLine(stderr, problemCount(err.issues.length));
    return EXIT_FAILURE;
  }
  writeLine(stderr, `midge ${command}: ${err instanceof Error ? err.message : String(err)}`);
  return EXIT_FAILURE;
}

/** The last line of a config failure: `midge: 3 problems found`. */
export function problemCount(n: number): string {
  return `midge: ${n} problem${n === 1 ? '' : 's'} found`;
}

export function formatWarnings(deprecations: readonly ConfigDeprecation[], label: string): string[] {
  if (deprecations.length === 0) return [];
  return formatConfigIssues(deprecations, label)
    .split('\n')
    .map((line) => `warning: ${line}`);
}
