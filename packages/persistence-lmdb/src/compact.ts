import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { RootDatabase } from 'lmdb';

/**
 * Compaction. LMDB reuses the pages that deletes free, but never gives them back to the file system: a store
 * that once held a large offline queue keeps that size. Compaction writes a copy of the environment without
 * its free pages (LMDB's own copy with MDB_CP_COMPACT, from one read snapshot), then swaps it in by rename.
 *
 * Crash safety: at every step `data.mdb` is a complete data file, the old one or the compacted one. The old
 * file is kept as `data.mdb.old` (a hard link, so the rename replaces `data.mdb` in one step) until the
 * compacted one has opened; leftovers of a compaction that died are removed by the next one and never stop a
 * store from opening (`data.mdb` is there).
 */

const DATA_FILE = 'data.mdb';
/** LMDB's lock file: its reader table describes the readers of one data file. */
const LMDB_LOCK_FILE = 'lock.mdb';
/** The folder in the data directory the copy is written to (LMDB writes a copy as `<folder>/data.mdb`). */
export const COMPACT_DIR = 'compacting';
/** The data file from before the compaction, kept until the compacted one has opened. */
export const OLD_DATA_FILE = 'data.mdb.old';

export interface CompactResult {
  /** Size of the data file before, in bytes. */
  readonly before: number;
  /** Size of the compacted data file, in bytes. */
  readonly after: number;
}

export interface CompactSteps {
  /** Writing the copy failed: the environment is still open and unchanged; the store carries on with it. */
  readonly keep: () => void;
  /** Opens the environment in the data directory again (throws if it cannot). */
  readonly reopen: () => void;
}

/**
 * Compacts the environment `root` of the data directory `path`: the caller has stopped every write to it
 * (and holds the directory lock, so no other process writes). `root` is closed on success; `steps.reopen`
 * opens the compacted store (or, when the swap failed, the old one again, and the error says so).
 */
export async function compactEnvironment(
  root: RootDatabase,
  path: string,
  steps: CompactSteps,
): Promise<CompactResult> {
  const data = join(path, DATA_FILE);
  const before = statSync(data).size;
  let copy: string;
  try {
    copy = await writeCompactedCopy(root, path);
  } catch (err) {
    steps.keep();
    throw err;
  }
  await root.close();
  swapIn(path, copy, steps.reopen);
  return { before, after: statSync(data).size };
}

/** Writes the compacted copy of `root` into `<path>/compacting/data.mdb`, fsync'd, and returns its path. */
async function writeCompactedCopy(root: RootDatabase, path: string): Promise<string> {
  const dir = join(path, COMPACT_DIR);
  const copy = join(dir, DATA_FILE);
  try {
    // Left by a compaction that died: copies, never the store's data (`data.mdb` is there, or it would not be open).
    rmSync(dir, { recursive: true, force: true });
    rmSync(join(path, OLD_DATA_FILE), { force: true });
    mkdirSync(dir);
    await root.backup(dir, true);
    fsyncFile(copy);
    return copy;
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `compacting the store in ${path} failed while writing the compacted copy to ${dir}: ${messageOf(err)}; the store is unchanged (the copy needs free disk space up to the size of the live data)`,
      { cause: err },
    );
  }
}

/**
 * Replaces the data file of the closed environment with the compacted copy, then reopens it. On failure the
 * old data file is put back and reopened.
 */
function swapIn(path: string, copy: string, reopen: () => void): void {
  const data = join(path, DATA_FILE);
  const old = join(path, OLD_DATA_FILE);
  try {
    keepOldFile(data, old);
  } catch (err) {
    reopen();
    throw new Error(
      `compacting the store in ${path} failed: cannot keep the old data file as ${old}: ${messageOf(err)}; the store is unchanged`,
      { cause: err },
    );
  }
  try {
    // A fresh reader table for the new file: a reader still on the old file (a `midge store inspect` that is
    // running) keeps the old lock file, as it keeps the old data file, both unlinked.
    unlinkQuietly(join(path, LMDB_LOCK_FILE));
    renameSync(copy, data);
    fsyncDirectory(path);
    reopen();
  } catch (err) {
    renameSync(old, data);
    unlinkQuietly(join(path, LMDB_LOCK_FILE));
    fsyncDirectory(path);
    reopen();
    throw new Error(
      `compacting the store in ${path} failed while swapping in the compacted copy: ${messageOf(err)}; the old data file was put back, the store is unchanged`,
      { cause: err },
    );
  }
  unlinkQuietly(old);
  rmSync(join(path, COMPACT_DIR), { recursive: true, force: true });
}

/**
 * Keeps the data file under `old` as well: a hard link, so that `data.mdb` is replaced in one rename. A file
 * system without hard links gets a rename: a crash before the copy is renamed in then leaves `data.mdb.old`
 * alone, which the store refuses to open as "not a Midge store" (naming the file) instead of starting empty.
 */
function keepOldFile(data: string, old: string): void {
  try {
    linkSync(data, old);
  } catch {
    renameSync(data, old);
  }
}

function fsyncFile(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes the renames durable. Windows cannot open a folder for this (NTFS journals renames itself). */
function fsyncDirectory(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // Already gone (or, on Windows, held open by a reader: it then stays valid for the old file's readers).
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
