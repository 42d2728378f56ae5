/**
 * FIRST_PARTY_PLUGINS (the names a misspelt plugin is compared with, and the only ones an error may tell to
 * `npm install`) is the list of this repository's plugin packages: a new packages/plugin-* joins it here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { FIRST_PARTY_PLUGINS } from '../../src/plugin-host/suggest.js';

const packagesDir = fileURLToPath(new URL('../../..', import.meta.url));

it('lists every packages/plugin-* by the names a config gives it (a package with plugin subpaths by those)', () => {
  const names: string[] = [];
  for (const dir of readdirSync(packagesDir).filter((d) => d.startsWith('plugin-'))) {
    const manifest = JSON.parse(readFileSync(join(packagesDir, dir, 'package.json'), 'utf8')) as {
      name: string;
      exports?: Record<string, unknown>;
    };
    const subpaths = Object.keys(manifest.exports ?? {}).filter((k) => k !== '.' && k !== './package.json');
    if (subpaths.length === 0) names.push(manifest.name);
    else for (const sub of subpaths) names.push(`${manifest.name}/${sub.slice(2)}`);
  }
  expect(names.length).toBeGreaterThan(5);
  expect([...FIRST_PARTY_PLUGINS].sort()).toEqual(names.sort());
});
