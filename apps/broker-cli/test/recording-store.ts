/**
 * A store module as a third party would write it, for `persistence: { store: ./store.js }`: a
 * MemoryPersistence that logs the options it was created with (`recording store created`, with
 * `recorded: { path, sync, readOnly }`) through the logger the broker gives it.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** core's sources: what the command runs on in vitest (in-process tests). */
export const CORE_SOURCE = new URL('../../../packages/core/src/index.ts', import.meta.url).href;
/** core's build: what the built `midge` runs on (process tests). */
export const CORE_BUILD = new URL('../../../packages/core/dist/index.js', import.meta.url).href;

/** Writes the store module to `<dir>/store.js`, importing MemoryPersistence from `core`. */
export async function writeRecordingStore(dir: string, core: string): Promise<void> {
  await writeFile(
    join(dir, 'store.js'),
    `import { MemoryPersistence } from ${JSON.stringify(core)};
export function createPersistence(options) {
  const recorded = { path: options.path, sync: options.sync, readOnly: options.readOnly === true };
  options.log?.info({ recorded }, 'recording store created');
  return new MemoryPersistence();
}
`,
  );
}
