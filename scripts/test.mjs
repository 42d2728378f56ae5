#!/usr/bin/env node
// Runs the whole vitest suite with the JSON reporter next to the default one, then prints the
// single summary line CI reads: `N passed, N failed`. Exit code is vitest's (non-zero on failure).
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const report = join(root, '.vitest-report.json');
rmSync(report, { force: true });
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const r = spawnSync(
  process.execPath,
  [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { cwd: root, stdio: 'inherit' },
);
let passed = 0;
let failed = 0;
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed = json.numPassedTests;
  failed = json.numFailedTests;
  // A suite that failed to load (syntax error, missing import) counts as a failure too.
  if (json.numFailedTestSuites > 0 && failed === 0) failed = json.numFailedTestSuites;
} catch (err) {
  console.error(`[midge] could not read the vitest JSON report: ${String(err)}`);
  failed = Math.max(failed, 1);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(r.status === 0 && failed === 0 && passed > 0 ? 0 : 1);
