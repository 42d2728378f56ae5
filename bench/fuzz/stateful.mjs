#!/usr/bin/env node
/**
 * The long run of the stateful fuzzer (packages/core/test/hardening/stateful-fuzz.test.ts): the same
 * sequences CI runs a hundred of per protocol version, as many as asked. It runs the test file under
 * vitest against the TypeScript sources (no build needed).
 *
 *   node bench/fuzz/stateful.mjs                      # 20000 sequences per version and seed
 *   node bench/fuzz/stateful.mjs --runs 100000
 *   node bench/fuzz/stateful.mjs --seed 123 --path 52:1:0   # replay a failure fast-check printed
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: process.env.MIDGE_FUZZ_RUNS ?? '20000' },
    seed: { type: 'string' },
    path: { type: 'string' },
  },
});

const env = { ...process.env, MIDGE_FUZZ_RUNS: values.runs };
if (values.seed !== undefined) env.MIDGE_FUZZ_SEED = values.seed;
if (values.path !== undefined) env.MIDGE_FUZZ_PATH = values.path;

// The CLI entry is not an export of the vitest package: find the package folder, then its bin.
const vitestDir = path.dirname(createRequire(path.join(root, 'package.json')).resolve('vitest/package.json'));
const vitest = path.join(vitestDir, 'vitest.mjs');
const test = 'packages/core/test/hardening/stateful-fuzz.test.ts';
console.log(`stateful fuzzer: ${values.runs} sequences per test${values.seed ? `, seed ${values.seed}` : ''}`);
const result = spawnSync(process.execPath, [vitest, 'run', test], { cwd: root, env, stdio: 'inherit' });
process.exit(result.status ?? 1);
