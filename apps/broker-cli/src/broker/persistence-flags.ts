/** Where `midge` keeps the broker's state: `--data-dir`, `--in-memory`, and ./midge-data by default. */
import { resolve } from 'node:path';
import type { ConfigOverrides } from '@midge/mqtt-core';

/** The data directory of `midge` without -c, relative to the working directory. */
export const DEFAULT_DATA_DIR = 'midge-data';

export interface PersistenceFlags {
  /** `--data-dir DIR`, as typed (relative to the working directory). */
  readonly dataDir?: string;
  /** `--in-memory`. */
  readonly inMemory?: boolean;
}

/**
 * The `persistence:` the command line sets, or undefined when the config decides alone:
 * - `--in-memory`: none (state in memory, lost at exit), whatever the config says;
 * - `--data-dir DIR`: the store's directory, DIR from the working directory as command-line paths are;
 *   a config without `persistence:` gets the default store there, one with it keeps its `sync` and `store`;
 * - neither, with the default config (no -c): ./midge-data.
 */
export function persistenceOverride(
  flags: PersistenceFlags,
  defaultConfig: boolean,
  cwd = process.cwd(),
): NonNullable<ConfigOverrides['persistence']> | undefined {
  if (flags.inMemory === true) return false;
  if (flags.dataDir !== undefined) return { path: resolve(cwd, flags.dataDir) };
  return defaultConfig ? { path: resolve(cwd, DEFAULT_DATA_DIR) } : undefined;
}
