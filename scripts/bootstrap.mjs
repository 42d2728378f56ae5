#!/usr/bin/env node
// Entry point for `npm start` / `npm test` on a machine that has only Node 20 and npm.
// It installs the pinned pnpm into .tools/ (no global install, no corepack), installs the
// workspace from the lockfile when node_modules is missing or stale, builds, then runs the task.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { quietBuild, startFolder } from './start-task.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pnpmVersion = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager.split('@')[1];
const toolsDir = join(root, '.tools');
const pnpmBin = join(toolsDir, 'node_modules', 'pnpm', 'bin', 'pnpm.mjs');
// turbo looks the package manager up on PATH.
process.env.PATH = `${join(toolsDir, 'node_modules', '.bin')}${process.platform === 'win32' ? ';' : ':'}${process.env.PATH ?? ''}`;

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
}
function must(cmd, args, opts) {
  const code = run(cmd, args, opts);
  if (code !== 0) process.exit(code);
}
function pnpm(args, opts) {
  return run(process.execPath, [pnpmBin, ...args], opts);
}

function ensurePnpm() {
  let installed = null;
  try {
    installed = JSON.parse(readFileSync(join(toolsDir, 'node_modules', 'pnpm', 'package.json'), 'utf8')).version;
  } catch {
    /* not installed yet */
  }
  if (installed === pnpmVersion) return;
  console.error(`[midge] installing pnpm@${pnpmVersion} into .tools/`);
  must('npm', [
    'install',
    '--no-save',
    '--no-audit',
    '--no-fund',
    '--no-package-lock',
    '--prefix',
    toolsDir,
    `pnpm@${pnpmVersion}`,
  ]);
}

function ensureDeps() {
  const marker = join(root, 'node_modules', '.modules.yaml');
  const lock = join(root, 'pnpm-lock.yaml');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  must(process.execPath, [pnpmBin, 'install', '--frozen-lockfile']);
}

const task = process.argv[2] ?? 'test';
ensurePnpm();
ensureDeps();
switch (task) {
  case 'test': {
    must(process.execPath, [pnpmBin, 'run', 'build']);
    process.exit(run(process.execPath, [join(root, 'scripts', 'test.mjs'), ...process.argv.slice(3)]));
    break;
  }
  case 'start': {
    const built = quietBuild([process.execPath, pnpmBin, 'run', 'build'], { cwd: root });
    if (built !== 0) process.exit(built);
    const cli = join(root, 'apps', 'broker-cli', 'dist', 'main.js');
    // From where the user typed `npm start`: `-c my.yaml` and ./midge-data resolve there, as for `midge`.
    if (existsSync(cli))
      process.exit(run(process.execPath, [cli, ...process.argv.slice(3)], { cwd: startFolder(process.env, root) }));
    // Not reached after the build above, which builds the CLI; left for a checkout without apps/broker-cli.
    process.exit(pnpm(['--filter', '@midge/bench', 'run', 'codec']));
    break;
  }
  case 'bench-codec':
    process.exit(pnpm(['--filter', '@midge/bench', 'run', 'codec']));
    break;
  default:
    console.error(`unknown task ${task}`);
    process.exit(2);
}
