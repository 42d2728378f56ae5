import { createRequire } from 'node:module';

/** This package's version, read from package.json (one level up from both src/ and dist/). */
export const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

/** What `--version` prints on every command. */
export function versionLine(): string {
  return `midge ${VERSION} (node ${process.version})`;
}
