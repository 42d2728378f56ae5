import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatSummary, packageVersion, type StartupSummary } from './startup-summary.js';

const summary: StartupSummary = {
  version: '0.1.0',
  node: 'v20.20.2',
  config: '/etc/midge/broker.yaml',
  listeners: [
    { name: 'default', kind: 'tcp', address: '127.0.0.1:1883' },
    { name: 'browsers', kind: 'wss', address: '[::1]:8884' },
  ],
  plugins: [
    { name: '@midge/plugin-auth-file', key: '@midge/plugin-auth-file', version: '0.1.0' },
    { name: 'acme-auth', key: './plugins/acme.js', version: null },
  ],
  store: { kind: 'store', module: '@midge/persistence-lmdb', path: '/var/lib/midge', sync: 'batch' },
};

describe('startup summary', () => {
  it('reads as aligned lines on a terminal, ready last', () => {
    expect(formatSummary(summary)).toEqual([
      'Midge 0.1.0 (node v20.20.2), config: /etc/midge/broker.yaml',
      '  listener default   tcp  127.0.0.1:1883',
      '  listener browsers  wss  [::1]:8884',
      '  plugin   @midge/plugin-auth-file 0.1.0',
      '  plugin   acme-auth (as ./plugins/acme.js)',
      '  store    @midge/persistence-lmdb in /var/lib/midge (sync: batch)',
      'ready',
    ]);
  });

  it('says when there is no config, no plugin and no store', () => {
    const lines = formatSummary({ ...summary, config: null, plugins: [], store: { kind: 'memory' } });
    expect(lines[0]).toMatch(/config: none \(defaults\)$/);
    expect(lines).toContain('  plugins  none');
    expect(lines).toContain('  store    in memory (state is lost at exit)');
  });

  it("finds an installed package's version from the search folders, and none for a path or a missing package", () => {
    const dir = mkdtempSync(join(tmpdir(), 'midge-summary-'));
    try {
      const pkg = join(dir, 'node_modules', '@acme', 'midge-plugin-x');
      mkdirSync(join(pkg, 'dist'), { recursive: true });
      writeFileSync(
        join(pkg, 'package.json'),
        JSON.stringify({ name: '@acme/midge-plugin-x', version: '2.3.4', main: 'dist/index.js' }),
      );
      writeFileSync(join(pkg, 'dist', 'index.js'), 'module.exports = {};\n');
      expect(packageVersion('@acme/midge-plugin-x', ['/nonexistent', dir])).toBe('2.3.4');
      expect(packageVersion('@acme/midge-plugin-x/dist/index.js', [dir])).toBe('2.3.4');
      expect(packageVersion('./plugins/acme.js', [dir])).toBeUndefined();
      expect(packageVersion('@acme/not-installed', [dir])).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
