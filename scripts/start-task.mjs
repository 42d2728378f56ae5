// The parts of `npm start` (scripts/bootstrap.mjs) worth testing on their own: the build that stays quiet
// unless it fails, and the folder the broker runs in.
import { spawnSync } from 'node:child_process';

/**
 * Runs `argv` (the build), showing its output only when it fails: `npm start` then prints the broker's own
 * start-up lines, not a screen of turbo's. Returns the exit status; on failure the output has been written
 * to `stderr` with a line saying the build failed.
 */
export function quietBuild(argv, { cwd, stderr = process.stderr } = {}) {
  const r = spawnSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status === 0) return 0;
  stderr.write(r.stdout ?? '');
  stderr.write(r.stderr ?? '');
  stderr.write('[midge] the build failed (its output is above)\n');
  return r.status ?? 1;
}

/**
 * Where the broker runs for `npm start`: the folder the user typed the command in (npm sets INIT_CWD; npm
 * itself runs scripts from the package root), so `npm start -- -c my.yaml` and ./midge-data resolve as
 * they would for the `midge` binary. Outside npm, the current folder.
 */
export function startFolder(env = process.env, cwd = process.cwd()) {
  const init = env.INIT_CWD;
  return init !== undefined && init !== '' ? init : cwd;
}
