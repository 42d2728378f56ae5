/**
 * `midge --check` for `persistence:`: the data directory is writable (or creatable), the store module
 * loads, and an existing store opens, read-only (no lock is taken, so a running broker on the same
 * directory is not disturbed). Nothing is created or written.
 */
import type { BrokerConfig, ConfigIssue } from '../config/types.js';
import { messageOf } from '../error-message.js';
import { ConfigError } from '../errors.js';
import { inspectDataDir } from './data-dir.js';
import { createStore, importStore, type LoadPersistenceOptions } from './load.js';
import type { CreatePersistence } from './types.js';

/** The problems of `config.persistence` (none when it is absent). Never throws for a bad store. */
export async function checkPersistence(
  config: BrokerConfig,
  options: Omit<LoadPersistenceOptions, 'log'> = {},
): Promise<ConfigIssue[]> {
  const persistence = config.persistence;
  if (persistence === undefined) return [];
  const issues: ConfigIssue[] = [];
  const dir = await inspectDataDir(persistence.path);
  if (!dir.usable) issues.push({ path: 'persistence.path', message: dir.problem });

  let create: CreatePersistence;
  try {
    create = await importStore(config, options);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return [...issues, ...err.issues];
  }
  // A missing or empty directory holds no store to open yet: the broker creates one at start.
  if (!dir.usable || dir.empty) return issues;
  try {
    const store = await createStore(create, config, undefined, true);
    try {
      await store.open?.();
    } catch (err) {
      // The open error is the one to report; a close after it may fail too.
      await store.close().catch(() => undefined);
      throw err;
    }
    await store.close();
  } catch (err) {
    if (err instanceof ConfigError) return [...issues, ...err.issues];
    issues.push({
      path: 'persistence.path',
      message: `the store in ${persistence.path} does not open (read-only): ${messageOf(err)}`,
    });
  }
  return issues;
}
