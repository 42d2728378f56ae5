import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writes } from './writes.js';

let dir = '';
let root: RootDatabase;
let table: Database;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'midge-lmdb-writes-'));
  root = open({ path: dir, maxDbs: 2, overlappingSync: false, strictAsyncOrder: true });
  table = root.openDB({ name: 't' });
});

afterAll(async () => {
  await root.close();
  rmSync(dir, { recursive: true, force: true });
});

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('Writes (sync: batch)', () => {
  it('gives the writes of one turn one promise (one transaction), and those of the next turn another', async () => {
    const writes = new Writes(root, dir, 'batch');
    const first = writes.put(table, 'a', 1);
    expect(writes.remove(table, 'b')).toBe(first);
    expect(writes.put(table, 'c', 3)).toBe(first);
    await nextTurn();
    const second = writes.put(table, 'd', 4);
    expect(second).not.toBe(first);
    await Promise.all([first, second]);
    expect([table.get('a'), table.get('c'), table.get('d')]).toEqual([1, 3, 4]);
  });

  it('lets a read wait for every write issued before it (settled), then has nothing left to wait for', async () => {
    const writes = new Writes(root, dir, 'batch');
    void writes.put(table, 'e', 5);
    const pending = writes.settled();
    expect(pending).toBeDefined();
    await pending;
    expect(table.get('e')).toBe(5);
    expect(writes.settled()).toBeUndefined();
  });

  it('rejects a write whose key cannot be stored on its own, naming the directory; the turn’s other writes are stored', async () => {
    const writes = new Writes(root, dir, 'batch');
    const good = writes.put(table, 'f', 6);
    await expect(writes.put(table, 'x'.repeat(4000), 1)).rejects.toThrow(`writing to the store in ${dir} failed`);
    await good;
    expect(table.get('f')).toBe(6);
  });
});
