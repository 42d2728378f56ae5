/** `midge store compact`: gives the space of deleted records back to the file system. */
import type { Persistence } from '@midge/mqtt-core';
import { formatBytes } from './format.js';
import type { SelectedStore } from './open.js';

/**
 * A store that can compact itself, as `LmdbPersistence` can (`compact()` is not part of the `Persistence`
 * interface: a store without files to shrink has nothing to do).
 */
export interface Compactable {
  compact(): Promise<{ readonly before: number; readonly after: number }>;
}

function isCompactable(store: Persistence): store is Persistence & Compactable {
  return typeof (store as Partial<Compactable>).compact === 'function';
}

/**
 * Compacts the selected store, opened for writing: its lock keeps a broker off the directory meanwhile, and
 * opening fails while a broker holds it. Returns the sizes before and after, in bytes.
 */
export async function compactStore(selected: SelectedStore): Promise<{ before: number; after: number }> {
  // Read-only first: no store there is an error (opening for writing would create an empty one), and a store
  // package without compaction is refused before it is opened for writing.
  const probe = await selected.open(true);
  const compactable = isCompactable(probe);
  await probe.close();
  if (!compactable) {
    throw new Error(
      `the store ${selected.where.store} cannot be compacted (it has no compact() method; @midge/persistence-lmdb has one)`,
    );
  }
  const store = await selected.open(false);
  try {
    // The same store package as the probe.
    return await (store as Persistence & Compactable).compact();
  } finally {
    await store.close();
  }
}

/** `16.2 MiB -> 96.0 KiB (99% smaller)`. */
export function describeCompaction(before: number, after: number): string {
  const sizes = `${formatBytes(before)} -> ${formatBytes(after)}`;
  if (after >= before) return `${sizes} (nothing to reclaim)`;
  return `${sizes} (${Math.floor(((before - after) / before) * 100)}% smaller)`;
}
