import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LmdbPersistence } from '../src/index.js';
import { tempDir } from './temp-dirs.js';

const writer = fileURLToPath(new URL('./fixtures/write-loop.mjs', import.meta.url));

/** Runs the write loop on `dir` until it confirmed `acks` more writes, then kills it with SIGKILL; returns what it confirmed. */
function writeThenKill(dir: string, sync: string, state: string, acks: number): Promise<number[]> {
  const child = spawn(process.execPath, [writer, dir, sync, state], { stdio: ['ignore', 'pipe', 'inherit'] });
  const confirmed: number[] = [];
  let buffered = '';
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) confirmed.push(Number(line));
      if (confirmed.length >= acks) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(confirmed);
      else reject(new Error(`the writer exited by itself (${String(code)})`));
    });
  });
}

// `batch` promises more (a power cut too), `none` promises this much: the page cache outlives the process.
// An offline session's entries are also packed into chunks as they come (queue-chunks.ts): kills land in packs too.
describe.each([
  ['batch', 'online'],
  ['none', 'online'],
  ['batch', 'offline'],
  ['none', 'offline'],
])('kill -9 while writing (sync: %s, session %s)', (sync, state) => {
  it('keeps every write the store confirmed before the kill, once each and in order, over five kills in a row', async () => {
    const dir = tempDir(`kill-${sync}-${state}`);
    const confirmed: number[] = [];
    for (let round = 0; round < 5; round++) {
      // Each round kills after a different number of confirmations, so the kill lands at different points.
      confirmed.push(...(await writeThenKill(dir, sync, state, 40 + round * 37)));
      const store = new LmdbPersistence({ path: dir, sync: 'batch' });
      await store.open();
      const seqs = (await store.listQueued('c', -1, 1e9)).map((e) => e.seq);
      const count = await store.countQueued('c');
      await store.close();
      const stored = new Set(seqs);
      const lost = confirmed.filter((s) => !stored.has(s));
      expect(lost, `round ${round}: confirmed writes missing after kill -9`).toEqual([]);
      expect(seqs, `round ${round}: entries twice or out of order`).toEqual([...seqs].sort((a, b) => a - b));
      expect(stored.size, `round ${round}: entries twice`).toBe(seqs.length);
      expect(count).toBe(seqs.length);
    }
  });
});
