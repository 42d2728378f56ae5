/**
 * The start-up failure of a config lists every problem, as `--check` does: when the config's own keys are
 * wrong the loader stops before the plugins, so the plugins are checked too (names, options) and reported
 * together, each as `file:line:col: path: message`.
 */
import { checkConfig, ConfigError, type ConfigOverrides } from '@midge/mqtt-core';
import type { ConfigSource } from './config-source.js';

/** `err` with the problems `--check` finds in the same config, when it is a config error of a file. */
export async function withEveryProblem(err: unknown, src: ConfigSource, overrides: ConfigOverrides): Promise<unknown> {
  if (!(err instanceof ConfigError) || typeof src.source !== 'string') return err;
  const result = await checkConfig(src.source, { configDir: src.configDir, searchDirs: src.searchDirs, overrides });
  // checkConfig loads the config the same way, so its issues include the loader's: use them when it found more.
  return result.issues.length > err.issues.length ? new ConfigError(result.issues, err.file, { cause: err }) : err;
}
