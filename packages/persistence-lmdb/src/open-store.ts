import { accessSync, constants, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PersistenceOptions } from '@midge/mqtt-core';
import { open, type Database, type RootDatabase } from 'lmdb';
import { dataFileProblem } from './data-file.js';
import { LOCK_FILE } from './lock.js';

/**
 * Written at creation; a directory whose `meta` says otherwise is not opened. Format 2 stores queue and
 * inflight records in a binary layout of their own (binary-records.ts); format 3 adds chunks of queued
 * deliveries and their removed markers to the queue table (queue-chunks.ts), which a format 2 reader would
 * misread. Older records are read as they are, and an older store is marked 3 when it is opened for writing
 * (older readers then refuse it).
 */
export const FORMAT = 'midge-store';
export const FORMAT_VERSION = 3;

const TABLE_NAMES = ['meta', 'sessions', 'subscriptions', 'queue', 'inflight', 'inbound-qos2', 'wills', 'retained'];
/** What LMDB keeps in a data directory (lmdb-js adds nothing beside them). */
const LMDB_FILES = ['data.mdb', 'lock.mdb'];

export interface Tables {
  readonly meta: Database;
  readonly sessions: Database;
  readonly subscriptions: Database;
  readonly queue: Database;
  readonly inflight: Database;
  readonly inboundQos2: Database;
  readonly wills: Database;
  readonly retained: Database;
}

/**
 * Prepares the data directory for opening: creates it (not when read-only), and refuses what must not be
 * opened — an unreadable or unwritable directory, one holding other files than LMDB's — with an Error naming
 * the path and the fix. Runs before the lock is taken: it writes nothing into an existing directory.
 */
export function checkDataDirectory(path: string, readOnly: boolean): void {
  if (!readOnly && !existsSync(path)) {
    try {
      mkdirSync(path, { recursive: true });
    } catch (err) {
      throw new Error(
        `cannot create the data directory ${path}: ${(err as Error).message}; choose a folder the broker can write to`,
        { cause: err },
      );
    }
  }
  if (!existsSync(path)) throw new Error(`no store in ${path}: the directory does not exist`);
  let entries: string[];
  try {
    accessSync(path, readOnly ? constants.R_OK | constants.X_OK : constants.R_OK | constants.W_OK | constants.X_OK);
    entries = readdirSync(path);
  } catch (err) {
    throw new Error(
      `cannot ${readOnly ? 'read' : 'read and write'} the data directory ${path}: ${(err as Error).message}; give the broker's user access to it (or choose another directory)`,
      { cause: err },
    );
  }
  if (entries.includes('data.mdb')) return; // an LMDB environment: its `meta` record tells whose
  const foreign = entries.filter((e) => !LMDB_FILES.includes(e) && e !== LOCK_FILE);
  if (foreign.length > 0)
    throw new Error(
      `${path} is not a Midge store (it holds ${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}); give the broker an empty or new directory`,
    );
  if (readOnly) throw new Error(`no store in ${path} yet (the directory is empty)`);
}

/**
 * Refuses a data file whose header is damaged (lmdb-js would crash the process on it). A reader of a live
 * store may catch a meta page mid-update: read-only, a failed check is repeated before it counts.
 */
export function checkDataFile(path: string, readOnly: boolean): void {
  const data = join(path, 'data.mdb');
  if (!existsSync(data)) return;
  let problem: string | undefined;
  for (let attempt = 0; attempt < (readOnly ? 3 : 1); attempt++) {
    try {
      problem = dataFileProblem(data);
    } catch (err) {
      throw new Error(`cannot read ${data}: ${(err as Error).message}; give the broker's user access to it`, {
        cause: err,
      });
    }
    if (problem === undefined) return;
  }
  throw corrupt(path, `${data} is damaged (${problem})`);
}

/**
 * Opens the LMDB environment in a checked directory and its tables; a new (empty) environment gets the
 * `meta` record that marks it as a Midge store. Throws, with the environment closed again, when the
 * environment belongs to something else or to a newer format.
 */
export function openEnvironment(options: PersistenceOptions): { root: RootDatabase; tables: Tables } {
  const { path, sync } = options;
  const readOnly = options.readOnly === true;
  let root: RootDatabase;
  try {
    root = open({
      path,
      maxDbs: TABLE_NAMES.length + 4,
      readOnly,
      noSync: sync === 'none',
      // Commits are fsync'd before their promise resolves (`batch`), not after: see writes.ts.
      overlappingSync: false,
      strictAsyncOrder: true,
      // Address space only (the file grows as data is written): lmdb-js otherwise starts small and maps the
      // file again each time it outgrows the map, and the old mappings stay resident, measured at 354 MB of
      // RSS for a 205 MB file holding a million queued messages (333 MB with one large map). 64 GiB; lmdb-js
      // still grows past it if a store ever needs more.
      mapSize: 2 ** 36,
    });
  } catch (err) {
    throw corrupt(path, (err as Error).message, err);
  }
  try {
    const tables = claim(root, path, readOnly);
    return { root, tables };
  } catch (err) {
    void root.close();
    throw err;
  }
}

function claim(root: RootDatabase, path: string, readOnly: boolean): Tables {
  let names: string[];
  try {
    // The root table of an environment lists its named tables (and, in a foreign one, maybe data).
    names = [...root.getKeys()].map(String);
  } catch (err) {
    throw corrupt(path, `reading it failed: ${(err as Error).message}`, err);
  }
  const unknown = names.filter((n) => !TABLE_NAMES.includes(n));
  if (unknown.length > 0) throw notOurs(path, unknown);
  if (readOnly && !names.includes('meta')) throw new Error(`no store in ${path} yet (it was never written)`);
  const meta = root.openDB({ name: 'meta' });
  const format = meta.get('format') as { name?: unknown; version?: unknown } | undefined;
  if (readOnly && format === undefined) throw new Error(`no store in ${path} yet (it was never completely written)`);
  const db = (name: string): Database => root.openDB({ name });
  const tables: Tables = {
    meta,
    sessions: db('sessions'),
    subscriptions: db('subscriptions'),
    queue: db('queue'),
    inflight: db('inflight'),
    inboundQos2: db('inbound-qos2'),
    wills: db('wills'),
    retained: db('retained'),
  };
  if (format === undefined) {
    // New: created now, or by a first start that died before this record was written (then it is empty).
    const { sessions, subscriptions, queue, inflight, inboundQos2, wills, retained } = tables;
    const every = [meta, sessions, subscriptions, queue, inflight, inboundQos2, wills, retained];
    if (every.some((t) => t.getKeysCount({ limit: 1 }) > 0)) throw notOurs(path, []);
    tables.meta.putSync('format', { name: FORMAT, version: FORMAT_VERSION });
  } else if (format.name !== FORMAT) {
    throw notOurs(path, []);
  } else if (typeof format.version !== 'number' || format.version > FORMAT_VERSION) {
    throw new Error(
      `the store in ${path} was written by a newer @midge/persistence-lmdb (format ${String(format.version)}; this one reads up to ${FORMAT_VERSION}); upgrade @midge/persistence-lmdb, or start with another directory`,
    );
  } else if (format.version < FORMAT_VERSION && !readOnly) {
    tables.meta.putSync('format', { name: FORMAT, version: FORMAT_VERSION });
  }
  return tables;
}

function notOurs(path: string, names: string[]): Error {
  const has = names.length > 0 ? ` (it has tables ${names.slice(0, 3).join(', ')})` : '';
  return new Error(
    `${path} holds an LMDB environment that is not a Midge store${has}; give the broker an empty or new directory`,
  );
}

function corrupt(path: string, detail: string, cause?: unknown): Error {
  return new Error(
    `cannot open the store in ${path}: ${detail}. Move the directory away (the broker then starts empty) or restore it from a backup`,
    cause === undefined ? undefined : { cause },
  );
}
