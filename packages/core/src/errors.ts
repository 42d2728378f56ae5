import { MidgeError } from './codec/errors.js';
import type { ErrorCodeOf } from './codec/error-codes.js';
import type { ConfigDeprecation, ConfigIssue } from './config/types.js';

export { MidgeError, CodecError } from './codec/errors.js';
export { ErrorCodes, isErrorCode } from './codec/error-codes.js';
export type { ErrorClassName, ErrorCode, ErrorCodeInfo, ErrorCodeOf } from './codec/error-codes.js';

/**
 * A config that cannot run. Carries every problem found, not just the first, so a user fixes
 * them in one go. `message` lists them one per line as `file: path: message`.
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

export function formatConfigIssues(issues: readonly (ConfigIssue | ConfigDeprecation)[], file?: string): string {
  const prefix = file ?? '<config>';
  return issues.map((i) => `${prefix}: ${i.path === '' ? '(root)' : i.path}: ${i.message}`).join('\n');
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
