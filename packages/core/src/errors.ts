import { MidgeError } from './codec/errors.js';
import type { ErrorCodeOf } from './codec/error-codes.js';
import type { ConfigDeprecation, ConfigIssue } from './config/types.js';

export { MidgeError, CodecError } from './codec/errors.js';
export { ErrorCodes, isErrorCode } from './codec/error-codes.js';
export type { ErrorClassName, ErrorCode, ErrorCodeInfo, ErrorCodeOf } from './codec/error-codes.js';

/**
 * A config that cannot run. Carries every problem found, not just the first, so a user fixes
 * them in one go. `message` lists them one per line as `file:line:col: path: message` (the line and column
 * where the path was written, when known: see ConfigIssue).
 */
export class ConfigError extends MidgeError {
  readonly issues: readonly ConfigIssue[];
  readonly file: string | undefined;

  constructor(issues: readonly ConfigIssue[], file?: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', formatConfigIssues(issues, file), options);
    this.name = 'ConfigError';
    this.issues = issues;
    this.file = file;
  }
}

/** One `file:line:col: path: message` line per issue (`file: path: message` where the position is unknown). */
export function formatConfigIssues(issues: readonly (ConfigIssue | ConfigDeprecation)[], file?: string): string {
  const prefix = file ?? '<config>';
  return issues
    .map((i) => {
      if (i.line === undefined) return `${prefix}: ${i.path === '' ? '(root)' : i.path}: ${i.message}`;
      // A problem of the whole file at a place (a YAML syntax error) reads like a compiler's.
      const where = `${prefix}:${i.line}:${i.column ?? 1}`;
      return i.path === '' ? `${where}: ${i.message}` : `${where}: ${i.path}: ${i.message}`;
    })
    .join('\n');
}

/** A plugin failed to resolve, load, validate its config or set up. Carries the plugin's name or config key. */
export class PluginError extends MidgeError {
  readonly plugin: string;

  constructor(code: ErrorCodeOf<'PluginError'>, plugin: string, message: string, options?: { cause?: unknown }) {
    super(code, `plugin ${plugin}: ${message}`, options);
    this.name = 'PluginError';
    this.plugin = plugin;
  }
}
