/**
 * The store a `midge store` command works on, found as `midge` finds the broker's: the config's
 * `persistence:` with -c (its `store` package, resolved from the config's folder, then the CLI's), `--data-dir`
 * in place of its path, and without -c the default store in ./midge-data or `--data-dir`.
 */
import { createStore, importStore, loadConfig, type ConfigOverrides, type Persistence } from '@midge/mqtt-core';
import { configSource } from '../broker/config-source.js';
import { persistenceOverride } from '../broker/persistence-flags.js';
import type { StoreLocation } from './report.js';

export interface StoreFlags {
  /** `-c FILE`. */
  readonly config?: string;
  /** `--data-dir DIR`, as typed. */
  readonly dataDir?: string;
}

export interface SelectedStore {
  readonly where: StoreLocation;
  /**
   * Creates and opens the store: read-only (no lock, nothing written: safe next to a running broker), or for
   * writing (takes the store's lock: fails while a broker uses the directory; creates a store where there is
   * none, so open it read-only first to learn whether one exists).
   */
  readonly open: (readOnly: boolean) => Promise<Persistence>;
}

/** The `persistence:` the flags select. */
export async function selectStore(flags: StoreFlags): Promise<SelectedStore> {
  const src = configSource(flags.config);
  const override = persistenceOverride(
    flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {},
    typeof src.source !== 'string',
  );
  const overrides: ConfigOverrides = override !== undefined ? { persistence: override } : {};
  const { config } = await loadConfig(src.source, { configDir: src.configDir, overrides });
  const persistence = config.persistence;
  if (persistence === undefined) {
    throw new Error(
      `${src.label} has no persistence: section (its broker keeps its state in memory), so it names no store; give the data directory with --data-dir`,
    );
  }
  const create = await importStore(config, { searchDirs: src.searchDirs });
  return {
    where: { store: persistence.store, path: persistence.path },
    open: async (readOnly) => opened(await createStore(create, config, undefined, readOnly)),
  };
}

async function opened(store: Persistence): Promise<Persistence> {
  try {
    await store.open?.();
  } catch (err) {
    // The open error is the one to report; a close after it may fail too.
    await store.close().catch(() => undefined);
    throw err;
  }
  return store;
}
