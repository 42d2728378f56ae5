import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const made: string[] = [];

afterAll(() => {
  for (const dir of made.splice(0)) {
    chmodSync(dir, 0o700); // a test may have taken the write permission away
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A new empty directory under the OS temp folder, removed after the test file ran. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `midge-lmdb-${prefix}-`));
  made.push(dir);
  return dir;
}
