/**
 * `persistence:` in a real config file: the store module is found by package name (in the config folder's
 * node_modules) or by relative path, created with the config's options, opened by the broker at start and
 * closed at shutdown; `checkConfig` (midge --check) checks the data directory and opens the store read-only.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBroker } from '../../src/broker/broker.js';
import { checkConfig } from '../../src/config/check.js';
import { loadConfig } from '../../src/config/load.js';
import type { BrokerConfig } from '../../src/config/types.js';
import { ConfigError } from '../../src/errors.js';
import { nullLogger } from '../../src/log.js';
import { MemoryPersistence } from '../../src/persistence/memory.js';
import { loadPersistence } from '../../src/persistence/load.js';
import { memoryLogger } from '../plugin-host/helpers.js';
import { installPackage, provideStoreClass, recordingStoreSource, storeRecords, writeFile } from './recording-store.js';

let dir = '';

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'midge-store-loading-'));
  storeRecords(true);
  provideStoreClass(MemoryPersistence);
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `broker.yaml` with `yaml` in it (and no listener, no plugin); returns its path. */
function writeConfig(yaml: string): string {
  const file = join(dir, 'broker.yaml');
  writeFile(file, `listeners: {}\nplugins: {}\n${yaml}`);
  return file;
}

/** Writes and loads `broker.yaml` (see writeConfig). */
async function config(yaml: string): Promise<BrokerConfig> {
  return (await loadConfig(writeConfig(yaml))).config;
}

async function configError(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  return err as ConfigError;
}

describe('loadPersistence', () => {
  it('loads a store package by name from the config folder, creates the data directory and logs the choice', async () => {
    installPackage(dir, '@acme/midge-store', recordingStoreSource());
    const cfg = await config('persistence:\n  path: state/data\n  sync: none\n  store: "@acme/midge-store"\n');
    const log = memoryLogger();
    const store = await loadPersistence(cfg, { log });
    expect(store).toBeInstanceOf(MemoryPersistence);
    expect(storeRecords()).toEqual([
      { options: { path: join(dir, 'state', 'data'), sync: 'none', log: true }, opened: 0, closed: 0 },
    ]);
    expect(statSync(join(dir, 'state', 'data')).isDirectory()).toBe(true);
    expect(log.records).toContainEqual(
      expect.objectContaining({
        level: 'info',
        obj: { store: '@acme/midge-store', path: join(dir, 'state', 'data'), sync: 'none' },
        msg: `persistence: @acme/midge-store, data in ${join(dir, 'state', 'data')} (sync: none)`,
      }),
    );
  });

  it('loads a store by path relative to the config file', async () => {
    writeFile(join(dir, 'stores', 'recording.js'), recordingStoreSource());
    const cfg = await config('persistence:\n  path: data\n  store: ./stores/recording.js\n');
    await loadPersistence(cfg);
    expect(storeRecords().map((r) => r.options)).toEqual([{ path: join(dir, 'data'), sync: 'batch', log: false }]);
  });

  it('names the missing default store package and the command that installs it', async () => {
    const cfg = await config('persistence:\n  path: data\n');
    const err = await configError(loadPersistence(cfg));
    expect(err.file).toBe(join(dir, 'broker.yaml'));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]?.path).toBe('persistence.store');
    expect(err.issues[0]?.message).toMatch(
      /^persistence store '@midge\/persistence-lmdb' is not installed: npm i @midge\/persistence-lmdb \(looked from /,
    );
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('names a missing store file with its absolute path', async () => {
    const cfg = await config('persistence:\n  path: data\n  store: ./nope.js\n');
    const err = await configError(loadPersistence(cfg));
    expect(err.issues).toEqual([
      {
        path: 'persistence.store',
        message: `no store module at ${join(dir, 'nope.js')} (paths are relative to the config file's folder)`,
      },
    ]);
  });

  it('refuses a package without a createPersistence export', async () => {
    installPackage(dir, 'not-a-store', 'export default function createPersistence() {}\n');
    const cfg = await config('persistence:\n  path: data\n  store: not-a-store\n');
    const err = await configError(loadPersistence(cfg));
    expect(err.issues[0]?.path).toBe('persistence.store');
    expect(err.issues[0]?.message).toContain(
      `not-a-store (${join(dir, 'node_modules', 'not-a-store', 'index.js')}) is not a persistence store: it must export createPersistence(options)`,
    );
  });

  it('refuses what createPersistence returns when it lacks store methods, naming them', async () => {
    installPackage(
      dir,
      'old-store',
      'export function createPersistence() { return { close: async () => {}, saveSession: async () => {} }; }\n',
    );
    const cfg = await config('persistence:\n  path: data\n  store: old-store\n');
    const err = await configError(loadPersistence(cfg));
    expect(err.issues[0]?.message).toMatch(
      /^createPersistence of old-store returned no usable store \(missing updateSession, getSession, .*listRetained\)/,
    );
  });

  it('reports a createPersistence that throws', async () => {
    installPackage(dir, 'throwing-store', 'export function createPersistence() { throw new Error("bad options"); }\n');
    const cfg = await config('persistence:\n  path: data\n  store: throwing-store\n');
    const err = await configError(loadPersistence(cfg));
    expect(err.issues).toEqual([
      { path: 'persistence.store', message: 'createPersistence of throwing-store failed: bad options' },
    ]);
  });

  it('reports a data directory that cannot be created, with its path', async () => {
    installPackage(dir, '@acme/midge-store', recordingStoreSource());
    writeFile(join(dir, 'occupied'), 'a regular file');
    const cfg = await config('persistence:\n  path: occupied/data\n  store: "@acme/midge-store"\n');
    const err = await configError(loadPersistence(cfg));
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0]?.path).toBe('persistence.path');
    expect(err.issues[0]?.message).toContain(`cannot create the data directory ${join(dir, 'occupied', 'data')}: `);
    expect(storeRecords()).toEqual([]);
  });
});

describe('the broker and persistence:', () => {
  it('opens the configured store at start and closes it at shutdown', async () => {
    installPackage(dir, '@acme/midge-store', recordingStoreSource());
    writeFile(
      join(dir, 'broker.yaml'),
      'listeners: {}\nplugins: {}\npersistence:\n  path: data\n  store: "@acme/midge-store"\n',
    );
    const broker = await createBroker(join(dir, 'broker.yaml'), { logger: nullLogger });
    expect(storeRecords()).toEqual([]);
    await broker.start();
    expect(storeRecords()).toMatchObject([{ options: { path: join(dir, 'data'), sync: 'batch' }, opened: 1 }]);
    await broker.close();
    expect(storeRecords()).toMatchObject([{ opened: 1, closed: 1 }]);
  });

  it('uses the persistence given in code instead of the configured store', async () => {
    writeFile(
      join(dir, 'broker.yaml'),
      'listeners: {}\nplugins: {}\npersistence:\n  path: data\n  store: ./missing.js\n',
    );
    const broker = await createBroker(join(dir, 'broker.yaml'), {
      logger: nullLogger,
      persistence: new MemoryPersistence(),
    });
    await broker.start();
    await broker.close();
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('fails to start, as a config error, when the store is not installed', async () => {
    writeFile(join(dir, 'broker.yaml'), 'listeners: {}\nplugins: {}\npersistence:\n  path: data\n');
    const broker = await createBroker(join(dir, 'broker.yaml'), { logger: nullLogger });
    const err = await configError(broker.start());
    expect(err.message).toContain(
      `${join(dir, 'broker.yaml')}: persistence.store: persistence store '@midge/persistence-lmdb'`,
    );
  });
});

describe('checkConfig and persistence:', () => {
  it('opens an existing store read-only, then closes it', async () => {
    installPackage(dir, '@acme/midge-store', recordingStoreSource());
    writeFile(join(dir, 'data', 'store.bin'), 'existing');
    const result = await checkConfig(writeConfig('persistence:\n  path: data\n  store: "@acme/midge-store"\n'));
    expect(result.issues).toEqual([]);
    expect(storeRecords()).toEqual([
      { options: { path: join(dir, 'data'), sync: 'batch', readOnly: true, log: false }, opened: 1, closed: 1 },
    ]);
  });

  it('opens nothing in an empty data directory (made ready before the first start)', async () => {
    installPackage(dir, '@acme/midge-store', recordingStoreSource({ openError: 'no store here' }));
    mkdirSync(join(dir, 'data'));
    const result = await checkConfig(writeConfig('persistence:\n  path: data\n  store: "@acme/midge-store"\n'));
    expect(result.issues).toEqual([]);
    expect(storeRecords()).toEqual([]);
  });

  it('creates nothing for a data directory that does not exist yet, and opens nothing', async () => {
    installPackage(dir, '@acme/midge-store', recordingStoreSource());
    const result = await checkConfig(writeConfig('persistence:\n  path: new/data\n  store: "@acme/midge-store"\n'));
    expect(result.ok).toBe(true);
    expect(existsSync(join(dir, 'new'))).toBe(false);
    expect(storeRecords()).toEqual([]);
  });

  it('reports a data directory under a regular file, naming both', async () => {
    installPackage(dir, '@acme/midge-store', recordingStoreSource());
    writeFile(join(dir, 'occupied'), 'a regular file');
    const result = await checkConfig(
      writeConfig('persistence:\n  path: occupied/data\n  store: "@acme/midge-store"\n'),
    );
    expect(result.issues).toEqual([
      {
        path: 'persistence.path',
        message: `cannot create ${join(dir, 'occupied', 'data')}: ${join(dir, 'occupied')} is a file, not a folder`,
        line: 4,
        column: 3,
      },
    ]);
  });

  it('reports a store that does not open, and a missing store package, with the other problems', async () => {
    installPackage(dir, 'corrupt-store', recordingStoreSource({ openError: 'not an LMDB file' }));
    writeFile(join(dir, 'data', 'store.bin'), 'garbage');
    const corrupt = await checkConfig(writeConfig('persistence:\n  path: data\n  store: corrupt-store\n'));
    expect(corrupt.issues).toEqual([
      {
        path: 'persistence.path',
        message: `the store in ${join(dir, 'data')} does not open (read-only): not an LMDB file`,
        line: 4,
        column: 3,
      },
    ]);
    expect(storeRecords()).toMatchObject([{ options: { readOnly: true }, opened: 1, closed: 1 }]);

    const missing = await checkConfig(writeConfig('max_packet_size: big\npersistence:\n  path: data\n'));
    // The store cannot be checked while the config itself is invalid; fixed, it is.
    expect(missing.issues.map((i) => i.path)).toEqual(['max_packet_size']);
    const fixed = await checkConfig(writeConfig('persistence:\n  path: data\n'));
    expect(fixed.issues.map((i) => i.path)).toEqual(['persistence.store']);
  });
});
