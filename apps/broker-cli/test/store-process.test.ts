/**
 * `midge store` as the built binary, next to another process: inspect reads a store another process holds
 * open for writing (as a running broker does), compact refuses it, and compact shrinks a store whose records
 * were deleted, keeping the rest. Real temp directories, real processes.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LmdbPersistence } from '@midge/persistence-lmdb';
import { afterEach, describe, expect, it } from 'vitest';
import { runMidge, withTempDir } from './cli-process.js';
import { seedStore } from './store-seed.js';

const HOLD_STORE = fileURLToPath(new URL('./fixtures/hold-store.mjs', import.meta.url));

const holders = new Set<ChildProcessWithoutNullStreams>();
afterEach(() => {
  for (const child of holders) child.kill('SIGKILL');
  holders.clear();
});

/** A process that opens the store in `dir` for writing and holds it; resolves once it is open. */
function holdStore(dir: string): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(process.execPath, [HOLD_STORE, dir]);
  holders.add(child);
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('open')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`hold-store.mjs exited (${code}) before opening: ${stderr}`)));
  });
}

interface Inspected {
  totals: { sessions: number; queued: number; retained: number };
  sessions: { clientId: string; queued: number }[];
}

describe('midge store (built binary)', () => {
  it('inspect reads a store another process holds open for writing', async () => {
    await withTempDir(async (dir) => {
      await seedStore(dir);
      const holder = await holdStore(dir);
      const r = await runMidge(['store', 'inspect', '--data-dir', dir]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/\nsessions +2 \(1 connected\)\nqueued messages +25\n/);
      expect(r.stdout).toMatch(/\nalice-laptop +alice +5 +1d +2 +25 +1 +disconnected since /);
      // The holder was not disturbed: it still runs, and still holds the directory.
      expect(holder.exitCode).toBeNull();
      const compact = await runMidge(['store', 'compact', '--data-dir', dir]);
      expect(compact.code).toBe(1);
      expect(compact.stderr).toBe(
        `midge store: the data directory ${dir} is in use by another broker (pid ${holder.pid}); stop that broker, or give this one another directory (--data-dir)\n`,
      );
    });
  });

  it('inspect without --data-dir or -c reads ./midge-data', async () => {
    await withTempDir(async (dir) => {
      await seedStore(join(dir, 'midge-data'));
      const r = await runMidge(['store', 'inspect', '--json'], { cwd: dir });
      expect(r.stderr).toBe('');
      const report = JSON.parse(r.stdout) as Inspected & { path: string };
      expect(report.path).toBe(join(dir, 'midge-data'));
      expect(report.totals.sessions).toBe(2);
    });
  });

  it('compact shrinks a store after many deletes; every record that was left survives', async () => {
    await withTempDir(async (dir) => {
      await seedStore(dir, 5000);
      const seeded = await runMidge(['store', 'inspect', '--data-dir', dir, '--json']);
      expect((JSON.parse(seeded.stdout) as Inspected).totals.queued).toBe(5025);
      const emptying = new LmdbPersistence({ path: dir, sync: 'batch' });
      await emptying.open();
      await emptying.deleteSession('bulk');
      await emptying.close();
      const before = await runMidge(['store', 'inspect', '--data-dir', dir, '--json']);
      const size = statSync(join(dir, 'data.mdb')).size;

      const r = await runMidge(['store', 'compact', '--data-dir', dir]);

      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const after = statSync(join(dir, 'data.mdb')).size;
      expect(after).toBeLessThan(size / 20);
      const mib = (n: number): string => `${(n / 1024 / 1024).toFixed(1)} MiB`;
      expect(r.stdout).toMatch(
        new RegExp(`^compacted the store in ${dir}: ${mib(size)} -> [\\d.]+ KiB \\(\\d+% smaller\\)\\n$`),
      );
      expect((await runMidge(['store', 'inspect', '--data-dir', dir, '--json'])).stdout).toBe(before.stdout);
      const client = await runMidge(['store', 'inspect', '--data-dir', dir, '--client', 'alice-laptop', '--json']);
      expect((JSON.parse(client.stdout) as { session: { queue: unknown[] } }).session.queue).toHaveLength(20);
      expect(readdirSync(dir).sort()).toEqual(['data.mdb', 'lock.mdb']);
    });
  });
});
