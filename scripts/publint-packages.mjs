#!/usr/bin/env node
// Runs publint on every published workspace package (packages/*, apps/*; `private` ones are skipped):
// what npm would actually ship is checked against package.json's exports, bin, files and types.
// Needs the packages built first (exports point into dist/). Warnings count as errors (strict);
// suggestions are printed and do not fail.
//
// Usage: node scripts/publint-packages.mjs [package-dir ...]
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// publint packs with pnpm; the pinned one lives in .tools/ (scripts/bootstrap.mjs, .ci/run install it there).
process.env.PATH = `${join(root, '.tools', 'node_modules', '.bin')}${delimiter}${process.env.PATH ?? ''}`;

function publishedPackageDirs() {
  const dirs = [];
  for (const group of ['packages', 'apps']) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const entry of readdirSync(groupDir, { withFileTypes: true })) {
      const manifest = join(groupDir, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(manifest)) continue;
      if (JSON.parse(readFileSync(manifest, 'utf8')).private === true) continue;
      dirs.push(join(groupDir, entry.name));
    }
  }
  return dirs.sort();
}

const args = process.argv.slice(2);
const dirs = args.length > 0 ? args.map((a) => resolve(a)) : publishedPackageDirs();
let failed = 0;
for (const pkgDir of dirs) {
  // pnpm packs as it would publish (workspace: ranges rewritten, `files` applied).
  let result;
  try {
    result = await publint({ pkgDir, level: 'suggestion', strict: true, pack: 'pnpm' });
  } catch (err) {
    console.log(
      `publint: ${relative(root, pkgDir)}: could not be checked: ${err instanceof Error ? err.message : String(err)}`,
    );
    failed++;
    continue;
  }
  const { messages, pkg } = result;
  const problems = messages.filter((m) => m.type !== 'suggestion');
  const label = `${pkg.name ?? relative(root, pkgDir)} (${relative(root, pkgDir)})`;
  if (messages.length === 0) {
    console.log(`publint: ${label}: ok`);
    continue;
  }
  console.log(`publint: ${label}: ${problems.length} error(s), ${messages.length - problems.length} suggestion(s)`);
  for (const m of messages) console.log(`  ${m.type}: ${formatMessage(m, pkg, { color: false }) ?? m.code}`);
  if (problems.length > 0) failed++;
}
console.log(`publint: ${dirs.length - failed} of ${dirs.length} packages clean`);
process.exitCode = failed > 0 ? 1 : 0;
