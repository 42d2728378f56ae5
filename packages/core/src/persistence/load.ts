/**
 * Loading the store `persistence:` names: its module is found the way plugins are (a package from the
 * config's folder, then the other search dirs, or a path relative to the config file), imported, and its
 * `createPersistence` export called. Problems are ConfigErrors at `persistence.store` / `persistence.path`,
 * so they read like every other config problem, and `midge --check` lists them with the rest.
 */
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { osReason } from '../config/listeners.js';
import type { BrokerConfig, ConfigIssue, PersistenceConfig } from '../config/types.js';
import { messageOf } from '../error-message.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../plugin-api/types.js';
import { isPathSpecifier, locateModule, type LocateFailure } from '../plugin-host/resolve.js';
import type { CreatePersistence, Persistence } from './types.js';

export interface LoadPersistenceOptions {
  /** Folders the store package is resolved from, in order (default: the config's folder). */
  readonly searchDirs?: readonly string[] | undefined;
  /** Export conditions for the package's entry point (default: Node's plus this process's `--conditions`). */
  readonly conditions?: readonly string[] | undefined;
  readonly log?: Logger | undefined;
}

/** Every method a store must have (`open` is optional), so a store built for another interface fails at load. */
const STORE_METHODS = [
  'close',
  'saveSession',
  'updateSession',
  'getSession',
  'deleteSession',
  'listSessions',
  'setSubscription',
  'deleteSubscription',
  'pushQueued',
  'deleteQueued',
  'listQueued',
  'countQueued',
  'setInflight',
  'deleteInflight',
  'addInboundQos2',
  'deleteInboundQos2',
  'setWill',
  'deleteWill',
  'listWills',
  'setRetained',
  'deleteRetained',
  'getRetained',
  'listRetained',
] as const satisfies readonly (keyof Persistence)[];
// Fails to compile when Persistence gains a method the list above does not name.
const LISTS_EVERY_METHOD: [Exclude<keyof Persistence, 'open' | (typeof STORE_METHODS)[number]>] extends [never]
  ? true
  : never = true;
void LISTS_EVERY_METHOD;

/** A problem of `persistence:` as a ConfigError at `persistence.<key>`. */
function problem(key: 'store' | 'path', message: string, config: BrokerConfig, cause?: unknown): ConfigError {
  const issue: ConfigIssue = { path: `persistence.${key}`, message };
  return new ConfigError([issue], config.config_file, cause === undefined ? undefined : { cause });
}

function notFound(store: string, failure: LocateFailure, searchDirs: readonly string[]): string {
  switch (failure.kind) {
    case 'not-installed':
      return `persistence store '${failure.pkg}' is not installed: npm i ${failure.pkg} (looked from ${searchDirs.join(', ')})`;
    case 'no-file':
      return `no store module at ${failure.file} (paths are relative to the config file's folder)`;
    case 'not-a-file':
      return `${failure.file} is not a file: name the store's module file`;
    case 'not-exported':
      return `package ${failure.pkg} (found from ${failure.dir}) does not export ${store}: ${messageOf(failure.cause)}`;
    case 'entry-missing':
      return `package ${failure.pkg} is installed but its entry file is missing (is it built?): ${messageOf(failure.cause)}`;
    case 'unresolvable':
      return `cannot resolve ${store}: ${messageOf(failure.cause)}`;
  }
}

/**
 * The `createPersistence` export of the store module `persistence.store` names.
 *
 * @throws ConfigError at `persistence.store`: not installed, no such file, import failed, no export.
 */
export async function importStore(
  config: BrokerConfig,
  options: LoadPersistenceOptions = {},
): Promise<CreatePersistence> {
  const store = storeConfig(config).store;
  const searchDirs = options.searchDirs ?? [config.config_dir];
  const located = locateModule(store, searchDirs, options.conditions);
  if ('failure' in located) throw problem('store', notFound(store, located.failure, searchDirs), config);
  const file = located.url.startsWith('file:') ? fileURLToPath(located.url) : located.url;
  const where = isPathSpecifier(store) ? file : `${store} (${file})`;
  let mod: unknown;
  try {
    mod = await import(/* @vite-ignore */ located.url);
  } catch (err) {
    throw problem('store', `importing ${where} failed: ${messageOf(err)}`, config, err);
  }
  const create =
    typeof mod === 'object' && mod !== null ? (mod as Record<string, unknown>).createPersistence : undefined;
  if (typeof create !== 'function') {
    throw problem(
      'store',
      `${where} is not a persistence store: it must export createPersistence(options), returning a Persistence (see the persistence section of the @midge/mqtt-core README)`,
      config,
    );
  }
  return create as CreatePersistence;
}

/**
 * Creates the store `config.persistence` names, its data directory created first. The caller opens it.
 * Logs which store and directory are used.
 *
 * @throws ConfigError at `persistence.store` (see importStore; also when createPersistence fails or returns
 *   something that is not a store) or `persistence.path` (the directory cannot be created).
 */
export async function loadPersistence(
  config: BrokerConfig,
  options: LoadPersistenceOptions = {},
): Promise<Persistence> {
  const { path, sync, store } = storeConfig(config);
  const create = await importStore(config, options);
  try {
    await mkdir(path, { recursive: true });
  } catch (err) {
    throw problem(
      'path',
      `cannot create the data directory ${path}: ${osReason(err as NodeJS.ErrnoException)}: choose a folder the broker may write`,
      config,
      err,
    );
  }
  const persistence = await createStore(create, config, options.log);
  options.log?.info({ store, path, sync }, `persistence: ${store}, data in ${path} (sync: ${sync})`);
  return persistence;
}

/**
 * Calls `create` with the config's options (read-only for `midge --check`) and checks that what it
 * returned has every method of a store.
 */
export async function createStore(
  create: CreatePersistence,
  config: BrokerConfig,
  log: Logger | undefined,
  readOnly = false,
): Promise<Persistence> {
  const { path, sync, store } = storeConfig(config);
  let persistence: unknown;
  try {
    persistence = await create({
      path,
      sync,
      ...(readOnly ? { readOnly } : {}),
      ...(log !== undefined ? { log } : {}),
    });
  } catch (err) {
    throw problem('store', `createPersistence of ${store} failed: ${messageOf(err)}`, config, err);
  }
  const missing =
    typeof persistence === 'object' && persistence !== null
      ? STORE_METHODS.filter((m) => typeof (persistence as Record<string, unknown>)[m] !== 'function')
      : STORE_METHODS;
  if (missing.length > 0) {
    throw problem(
      'store',
      `createPersistence of ${store} returned no usable store (missing ${missing.join(', ')}): it may be made for another version of @midge/mqtt-core`,
      config,
    );
  }
  return persistence as Persistence;
}

function storeConfig(config: BrokerConfig): PersistenceConfig {
  if (config.persistence === undefined) throw new Error('the config has no persistence: nothing to load');
  return config.persistence;
}
