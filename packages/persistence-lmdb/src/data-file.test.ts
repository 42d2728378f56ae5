import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataFileProblem } from './data-file.js';

let dir = '';
let valid: Buffer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'midge-data-file-'));
  const root = open({ path: join(dir, 'store'), overlappingSync: false });
  for (let i = 0; i < 500; i++) root.putSync(`k${i}`, Buffer.alloc(300, i & 0xff));
  await root.close();
  valid = readFileSync(join(dir, 'store', 'data.mdb'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;

function problemOf(content: Buffer): string | undefined {
  const file = join(dir, `data-${files++}.mdb`);
  writeFileSync(file, content);
  return dataFileProblem(file);
}

describe('the data file header check', () => {
  it('passes a file LMDB wrote, and an empty one (LMDB initialises it)', () => {
    expect(valid.length).toBeGreaterThan(8192);
    expect(problemOf(valid)).toBeUndefined();
    expect(problemOf(Buffer.alloc(0))).toBeUndefined();
  });

  it('refuses files that are not LMDB: text, zeros, too short', () => {
    expect(problemOf(Buffer.alloc(64 * 1024, 0x5a))).toMatch(/^its first page is not an LMDB meta page/);
    expect(problemOf(Buffer.alloc(64 * 1024))).toBe('its first page is not an LMDB meta page (no meta flag)');
    expect(problemOf(valid.subarray(0, 100))).toBe('it is 100 bytes long, shorter than an LMDB header');
  });

  it('refuses a truncated file, and one whose second meta page is damaged', () => {
    const pageSize = valid.readUInt32LE(48);
    expect(problemOf(valid.subarray(0, pageSize + 100))).toMatch(/shorter than LMDB's two meta pages/);
    expect(problemOf(valid.subarray(0, 3 * pageSize))).toMatch(/but its pages reach \d+ bytes \(truncated\)$/);
    const secondDamaged = Buffer.from(valid);
    secondDamaged.fill(0x41, pageSize, pageSize + 64);
    expect(problemOf(secondDamaged)).toMatch(/^its second page is not an LMDB meta page/);
  });

  it('refuses another LMDB data format version and an impossible page size', () => {
    const otherVersion = Buffer.from(valid);
    otherVersion.writeUInt32LE(1, 28);
    expect(problemOf(otherVersion)).toBe('its first page is not an LMDB meta page (data format 1, this lmdb reads 2)');
    const oddPageSize = Buffer.from(valid);
    oddPageSize.writeUInt32LE(3000, 48);
    expect(problemOf(oddPageSize)).toBe('its page size (3000) is not one LMDB writes');
  });
});
