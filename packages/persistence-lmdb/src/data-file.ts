import { closeSync, openSync, readSync, statSync } from 'node:fs';

/**
 * Checks the header of an LMDB data file before lmdb-js maps it: lmdb-js does not fail cleanly on a damaged
 * file, it crashes the process (SIGSEGV on a file that is not LMDB, SIGBUS on a truncated one; measured with
 * lmdb 3.5.6). So what LMDB itself would check first is checked here, in JavaScript: both meta pages carry
 * LMDB's magic number and data format version, the page size is sane, and the file is as long as the meta
 * pages say. Damage inside the data pages is beyond this check (LMDB keeps no page checksums).
 *
 * Offsets are those of LMDB's `MDB_meta` in lmdb-js 3.x on 64-bit little-endian platforms (all platforms
 * lmdb-js ships binaries for): a 24-byte page header, then magic, version, address, map size, two `MDB_db`
 * records (48 bytes each; the first one's `md_pad` is the page size), the last page number and the txn id.
 * On other platforms (32-bit ARM) the layout is not known here and the check is skipped.
 */
const PAGE_FLAGS = 18;
const P_META = 0x08;
const MAGIC_AT = 24;
const MAGIC = 0xbeefc0de;
const VERSION_AT = 28;
const DATA_VERSION = 2;
const PAGE_SIZE_AT = 48;
const LAST_PAGE_AT = 144;
const META_END = 160;
const CHECKED_ARCHITECTURES: readonly string[] = ['x64', 'arm64'];

/** Why the data file cannot be opened, or undefined when its header is sound (or it is empty: a new store). */
export function dataFileProblem(file: string): string | undefined {
  if (!CHECKED_ARCHITECTURES.includes(process.arch)) return undefined;
  const size = statSync(file).size;
  if (size === 0) return undefined; // created, never written: LMDB initialises it
  const fd = openSync(file, 'r');
  try {
    const first = readAt(fd, 0, META_END);
    if (first === undefined) return `it is ${size} bytes long, shorter than an LMDB header`;
    const problem = metaProblem(first);
    if (problem !== undefined) return `its first page is not an LMDB meta page (${problem})`;
    const pageSize = first.readUInt32LE(PAGE_SIZE_AT);
    if (pageSize < 512 || pageSize > 65_536 || (pageSize & (pageSize - 1)) !== 0)
      return `its page size (${pageSize}) is not one LMDB writes`;
    const second = readAt(fd, pageSize, META_END);
    if (second === undefined) return `it is ${size} bytes long, shorter than LMDB's two meta pages`;
    const secondProblem = metaProblem(second);
    if (secondProblem !== undefined) return `its second page is not an LMDB meta page (${secondProblem})`;
    // The older of the two commits must fit in the file; the newer one may be the commit a power cut cut short.
    const lastPage = minBigInt(first.readBigUInt64LE(LAST_PAGE_AT), second.readBigUInt64LE(LAST_PAGE_AT));
    const needed = (lastPage + 1n) * BigInt(pageSize);
    if (BigInt(size) < needed) return `it is ${size} bytes long, but its pages reach ${needed} bytes (truncated)`;
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function metaProblem(page: Buffer): string | undefined {
  if ((page.readUInt16LE(PAGE_FLAGS) & P_META) === 0) return 'no meta flag';
  if (page.readUInt32LE(MAGIC_AT) !== MAGIC) return 'wrong magic number';
  const version = page.readUInt32LE(VERSION_AT) & 0xffff;
  if (version !== DATA_VERSION) return `data format ${version}, this lmdb reads ${DATA_VERSION}`;
  return undefined;
}

function readAt(fd: number, position: number, length: number): Buffer | undefined {
  const buffer = Buffer.alloc(length);
  return readSync(fd, buffer, 0, length, position) === length ? buffer : undefined;
}

function minBigInt(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
