/**
 * Allocation of encoded packets.
 *
 * Below half of Buffer.poolSize, Buffer.allocUnsafe already slices Node's shared pool. Above it, every
 * call creates its own ArrayBuffer, and that (with its GC bookkeeping) costs more than encoding a
 * 4-16 KiB PUBLISH. Those sizes are sliced from a slab here instead, the way Node's pool does it: a
 * kept packet keeps its 64 KiB slab alive, so whoever stores encoded bytes long-term should copy them.
 */
const SLAB_SIZE = 64 * 1024;
const MAX_SLAB_ALLOCATION = 16 * 1024;

let slab = Buffer.alloc(0);
let used = 0;

export function allocate(size: number): Buffer {
  if (size < Buffer.poolSize >>> 1 || size > MAX_SLAB_ALLOCATION) return Buffer.allocUnsafe(size);
  if (used + size > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    used = 0;
  }
  const buffer = slab.subarray(used, used + size);
  // 8-byte alignment, as Node's pool keeps, so typed-array views over the bytes stay possible.
  used = (used + size + 7) & ~7;
  return buffer;
}
