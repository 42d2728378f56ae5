import { describe, expect, it } from 'vitest';
import { allocate } from './slab.js';

describe('allocate', () => {
  it('returns exactly the requested size', () => {
    for (const size of [0, 1, 100, 4095, 4096, 5000, 16_384, 16_385, 100_000]) expect(allocate(size).length).toBe(size);
  });

  it('slices 4-16 KiB buffers from a shared slab without overlap, 8-byte aligned', () => {
    const buffers = Array.from({ length: 20 }, (_, i) => allocate(4_100 + i));
    buffers.forEach((b, i) => b.fill(i));
    buffers.forEach((b, i) => {
      expect(b.every((byte) => byte === i)).toBe(true);
      expect(b.byteOffset % 8).toBe(0);
    });
    const shared = buffers.filter((b) => b.buffer === buffers[1]!.buffer);
    expect(shared.length).toBeGreaterThan(1);
    expect(buffers[1]!.buffer.byteLength).toBe(64 * 1024);
  });

  it('gives larger buffers their own memory', () => {
    const big = allocate(16_385);
    expect(big.buffer.byteLength).toBeGreaterThanOrEqual(16_385);
    expect(allocate(16_385).buffer).not.toBe(big.buffer);
  });
});
