/**
 * A third-party store package as the tests install it: plain JavaScript in `<dir>/node_modules/<name>`
 * (or any file), exporting `createPersistence`. It is a MemoryPersistence (see provideStoreClass) that
 * records, on a global the test reads, the options it was created with and how often it was opened and
 * closed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Persistence } from '../../src/persistence/types.js';

const RECORDS = Symbol.for('midge.test.recordingStores');

export interface StoreRecord {
  readonly options: { path: string; sync: string; readOnly?: boolean; log: boolean };
  opened: number;
  closed: number;
}

/** What every recording store created in this process recorded, oldest first; `clear` empties it. */
export function storeRecords(clear = false): StoreRecord[] {
  const global = globalThis as unknown as Record<symbol, StoreRecord[] | undefined>;
  const records = (global[RECORDS] ??= []);
  return clear ? records.splice(0) : records;
}

const MEMORY_CLASS = Symbol.for('midge.test.MemoryPersistence');

/**
 * Hands the store class the recording store extends to the modules it is written into: Node imports a
 * package under node_modules itself (vitest does not transform it), and Node cannot load core's TypeScript
 * sources, so the module cannot import MemoryPersistence.
 */
export function provideStoreClass(storeClass: new () => Persistence): void {
  (globalThis as unknown as Record<symbol, unknown>)[MEMORY_CLASS] = storeClass;
}

/**
 * The module text of the recording store, a subclass of the class given to `provideStoreClass`;
 * `openError` makes `open()` reject with it (a corrupt store).
 */
export function recordingStoreSource(options: { openError?: string } = {}): string {
  return `const MemoryPersistence = globalThis[Symbol.for('midge.test.MemoryPersistence')];
const records = (globalThis[Symbol.for('midge.test.recordingStores')] ??= []);
export function createPersistence(options) {
  const record = { options: { path: options.path, sync: options.sync, log: options.log !== undefined }, opened: 0, closed: 0 };
  if (options.readOnly !== undefined) record.options.readOnly = options.readOnly;
  records.push(record);
  return new (class extends MemoryPersistence {
    async open() {
      record.opened++;
      ${options.openError === undefined ? '' : `throw new Error(${JSON.stringify(options.openError)});`}
    }
    async close() {
      record.closed++;
      await super.close();
    }
  })();
}
`;
}

export function writeFile(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}

/** Installs a package `name` whose index.js is `source` into `<dir>/node_modules`. */
export function installPackage(dir: string, name: string, source: string): void {
  const base = join(dir, 'node_modules', name);
  writeFile(
    join(base, 'package.json'),
    JSON.stringify({ name, version: '1.0.0', type: 'module', exports: './index.js' }),
  );
  writeFile(join(base, 'index.js'), source);
}
