import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { packageVersionOf } from './package-version.js';

const root = mkdtempSync(join(tmpdir(), 'midge-pkg-version-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function file(path: string, content: string): string {
  const at = join(root, path);
  mkdirSync(join(at, '..'), { recursive: true });
  writeFileSync(at, content);
  return pathToFileURL(at).href;
}

describe('packageVersionOf', () => {
  it("finds the named package's package.json above the module, subpaths included", () => {
    file('node_modules/@acme/x/package.json', JSON.stringify({ name: '@acme/x', version: '2.3.4' }));
    const entry = file('node_modules/@acme/x/dist/sub/index.js', '');
    expect(packageVersionOf(entry, '@acme/x')).toBe('2.3.4');
    expect(packageVersionOf(entry, '@acme/x/sub')).toBe('2.3.4');
  });

  it("is null for a path, a package.json of another name (the user's project), or none", () => {
    file('project/package.json', JSON.stringify({ name: 'my-app', version: '9.9.9' }));
    const local = file('project/plugins/mine.js', '');
    expect(packageVersionOf(local, './plugins/mine.js')).toBeNull();
    expect(packageVersionOf(local, 'mine')).toBeNull();
    expect(packageVersionOf('node:fs', 'fs')).toBeNull();
  });
});
