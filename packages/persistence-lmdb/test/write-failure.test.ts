import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './temp-dirs.js';

const filler = fileURLToPath(new URL('./fixtures/write-until-full.mjs', import.meta.url));
const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;

interface Report {
  unhandled?: string;
  failure?: string;
  confirmedBeforeFailure: number;
  storedAfterFailure: number;
  failedAgain?: string;
  confirmed: number;
  afterSpaceReturned: string;
  storedAfterReopen: number;
}

/** Runs the filler under a 1 MiB file size limit (util-linux prlimit), as a disk that fills up. */
function fillUntilFull(dir: string, sync: string, state: string): Promise<{ report: Report; stderr: string }> {
  const child = spawn('prlimit', ['--fsize=1048576:unlimited', process.execPath, filler, dir, sync, state], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      try {
        resolve({ report: JSON.parse(stdout) as Report, stderr });
      } catch {
        reject(new Error(`the filler exited with ${String(code)} and said: ${stdout}\n${stderr}`));
      }
    });
  });
}

describe.skipIf(!hasPrlimit)('a write that fails (disk full)', () => {
  // An offline session's entries are also packed into chunks as they come (queue-chunks.ts).
  for (const sync of ['batch', 'always', 'none'] as const)
    for (const state of ['online', 'offline'])
      it(
        `rejects, stores nothing of it, keeps the store usable and stores again once space returns (sync: ${sync}, session ${state})`,
        {
          timeout: 60_000,
        },
        async () => {
          const dir = tempDir(`full-${sync}-${state}`);
          const { report, stderr } = await fillUntilFull(dir, sync, state);
          expect(report.unhandled, stderr).toBeUndefined();
          expect(report.failure).toMatch(
            new RegExp(
              `^writing to the store in ${dir} failed: .+\\. Nothing of that write was stored; free disk space`,
            ),
          );
          expect(report.confirmedBeforeFailure).toBeGreaterThan(100);
          // Every confirmed write is there, no failed one: a failure is never a half-stored burst.
          expect(report.storedAfterFailure).toBe(report.confirmedBeforeFailure);
          // Failing again and again does not wedge it: once space returns, it stores.
          expect(report.failedAgain).toContain(`writing to the store in ${dir} failed`);
          expect(report.afterSpaceReturned).toBe('stored');
          expect(report.storedAfterReopen).toBe(report.confirmed + 1);
        },
      );
});
