// What a publish would ship, for every published package of the workspace: `pnpm pack` tarballs with real
// version ranges (no `workspace:`), the LICENSE and README, no build leftovers (.tsbuildinfo) and no tests;
// and plain `npm pack`, which would ship `workspace:` ranges, refused with what to run instead.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pnpm = join(root, '.tools', 'node_modules', 'pnpm', 'bin', 'pnpm.mjs');

/** Folders of the packages the workspace publishes (not private). */
const published = ['packages', 'apps']
  .flatMap((dir) => readdirSync(join(root, dir)).map((name) => join(root, dir, name)))
  .filter((dir) => {
    try {
      return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).private !== true;
    } catch {
      return false;
    }
  });

describe('published packages', () => {
  let out;
  const tarballs = new Map();
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'midge-pack-'));
    for (const dir of published) {
      const before = new Set(readdirSync(out));
      execFileSync(process.execPath, [pnpm, 'pack', '--pack-destination', out], { cwd: dir, stdio: 'pipe' });
      const made = readdirSync(out).find((f) => !before.has(f));
      tarballs.set(dir, join(out, made));
    }
  }, 120_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('are all packed', () => {
    expect(published.length).toBeGreaterThanOrEqual(11);
    expect([...tarballs.values()].every((t) => t.endsWith('.tgz'))).toBe(true);
  });

  it('ship a LICENSE, a README, real version ranges, no .tsbuildinfo and no tests', () => {
    for (const [dir, tarball] of tarballs) {
      const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
      const name = dir.slice(root.length + 1);
      expect(files, name).toContain('package/LICENSE');
      expect(files, name).toContain('package/README.md');
      expect(
        files.filter((f) => f.endsWith('.tsbuildinfo')),
        name,
      ).toEqual([]);
      expect(
        files.filter((f) => /\.test\.(ts|js|d\.ts)$/.test(f)),
        name,
      ).toEqual([]);
      const manifest = execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' });
      expect(manifest, name).not.toContain('workspace:');
      const pkg = JSON.parse(manifest);
      expect(pkg.version, name).toMatch(/^\d+\.\d+\.\d+/);
      expect(pkg.version, name).not.toBe('0.0.0');
      expect(pkg.license, name).toBe('MIT');
      expect(pkg.keywords, name).toEqual(expect.arrayContaining(['mqtt', 'mqtt-broker']));
      if (pkg.name.startsWith('@midge/plugin-')) expect(pkg.keywords, name).toContain('midge-plugin');
    }
  });

  it('refuse plain npm pack, which would ship workspace: ranges, saying to use pnpm', () => {
    const r = spawnSync('npm', ['pack', '--dry-run'], {
      cwd: join(root, 'packages', 'plugin-sys'),
      encoding: 'utf8',
      env: { ...process.env, npm_config_user_agent: '' },
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/workspace: ranges.*pnpm pack, pnpm publish, or pnpm changeset publish/s);
  });
});
