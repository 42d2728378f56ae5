import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A package name and an optional subpath: `@midge/plugin-logging/event-logger`, `midge-plugin-x`. */
const PACKAGE_SPECIFIER = /^((?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*)(\/.*)?$/;

/**
 * The version of the npm package a plugin was loaded from: the `package.json` named as `specifier`'s
 * package, found walking up from the module `url` resolved to. Null for a plugin loaded from a file path
 * (a `package.json` above it is the user's project, not the plugin) or when none is found.
 */
export function packageVersionOf(url: string, specifier: string): string | null {
  const name = PACKAGE_SPECIFIER.exec(specifier)?.[1];
  if (name === undefined || specifier.startsWith('.') || !url.startsWith('file:')) return null;
  for (let at = dirname(fileURLToPath(url)); ; at = dirname(at)) {
    try {
      const pkg = JSON.parse(readFileSync(join(at, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === name && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json (or not JSON) here: further up
    }
    if (dirname(at) === at) return null;
  }
}
