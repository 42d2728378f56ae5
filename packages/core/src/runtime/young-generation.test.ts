import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { capYoungGeneration, nodeYoungGenerationRuntime, type YoungGenerationRuntime } from './young-generation.js';

const MiB = 1024 * 1024;

function fakeRuntime(bytes: number, flags: string[] = []) {
  const set: string[] = [];
  let afterGc: (() => void) | undefined;
  const runtime: YoungGenerationRuntime = {
    newSpaceBytes: () => bytes,
    setV8Flag: (f) => set.push(f),
    observeGc(after) {
      afterGc = after;
      return () => {
        afterGc = undefined;
      };
    },
    nodeFlags: () => flags,
  };
  return {
    runtime,
    set,
    grow(to: number) {
      bytes = to;
      afterGc?.();
    },
    get observing() {
      return afterGc !== undefined;
    },
  };
}

describe('capYoungGeneration', () => {
  it('holds growth until the first collection, then lets it double up to the cap and stops it there', () => {
    const fake = fakeRuntime(2 * MiB);
    const cap = capYoungGeneration({ semiSpaceMiB: 4, runtime: fake.runtime });
    expect(cap.state).toBe('watching');
    // Blocked at once: start-up's synchronous module loading cannot grow it several steps unchecked.
    expect(fake.set).toEqual(['--semi-space-growth-factor=1']);
    fake.grow(2 * MiB); // first collection, below the cap: growth allowed again
    expect(fake.set).toEqual(['--semi-space-growth-factor=1', '--semi-space-growth-factor=2']);
    fake.grow(4 * MiB);
    expect(fake.set).toHaveLength(2);
    fake.grow(8 * MiB); // both semi-spaces at 4 MiB
    expect(fake.set).toEqual(['--semi-space-growth-factor=1', '--semi-space-growth-factor=2', '--semi-space-growth-factor=1']);
    expect(cap.state).toBe('capped');
    expect(fake.observing).toBe(false);
  });

  it('caps at once when the young generation is already at or over the cap', () => {
    const fake = fakeRuntime(32 * MiB);
    const cap = capYoungGeneration({ runtime: fake.runtime });
    expect(cap.state).toBe('capped');
    expect(fake.set).toEqual(['--semi-space-growth-factor=1']);
    expect(fake.observing).toBe(false);
  });

  it.each([
    ['--max-semi-space-size=8'],
    ['--max_semi_space_size=8'],
    ['--min-semi-space-size=2'],
    ['--semi-space-growth-factor=4'],
  ])('leaves a process started with %s alone', (flag) => {
    const fake = fakeRuntime(32 * MiB, ['--enable-source-maps', flag]);
    const cap = capYoungGeneration({ runtime: fake.runtime });
    expect(cap.state).toBe('configured-by-user');
    expect(fake.set).toEqual([]);
    expect(fake.observing).toBe(false);
  });

  it('stop() ends the watch and leaves growth blocked', () => {
    const fake = fakeRuntime(2 * MiB);
    const cap = capYoungGeneration({ runtime: fake.runtime });
    fake.grow(2 * MiB);
    cap.stop();
    expect(fake.set.at(-1)).toBe('--semi-space-growth-factor=1');
    expect(fake.observing).toBe(false);
    const count = fake.set.length;
    fake.grow(64 * MiB);
    expect(fake.set).toHaveLength(count);
  });

  it('rejects a cap that is not positive', () => {
    expect(() => capYoungGeneration({ semiSpaceMiB: 0, runtime: fakeRuntime(0).runtime })).toThrow(RangeError);
  });

  it('reads Node flags from execArgv and NODE_OPTIONS', () => {
    const saved = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = '--max-semi-space-size=4  --trace-warnings';
    try {
      expect(nodeYoungGenerationRuntime.nodeFlags()).toEqual([...process.execArgv, '--max-semi-space-size=4', '--trace-warnings']);
    } finally {
      if (saved === undefined) delete process.env.NODE_OPTIONS;
      else process.env.NODE_OPTIONS = saved;
    }
  });

  // The real V8 of this Node, in fresh processes (a test worker's young generation may already be at
  // its maximum): the flag the cap relies on must still stop growth. A Node upgrade that dropped or
  // changed it fails here instead of silently leaving brokers uncapped.
  it('with the real V8, --semi-space-growth-factor=1 set at run time stops growth that happens without it', () => {
    const script = (capped: boolean) => `
      const v8 = require('node:v8');
      const size = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
      ${capped ? "v8.setFlagsFromString('--semi-space-growth-factor=1');" : ''}
      const before = size();
      const keep = [];
      for (let i = 0; i < 400000; i++) keep.push({ i, list: [i] });
      process.stdout.write(JSON.stringify({ before, after: size(), kept: keep.length }));`;
    const run = (capped: boolean): { before: number; after: number } => {
      const out = execFileSync(process.execPath, ['-e', script(capped)], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
      return JSON.parse(out) as { before: number; after: number };
    };
    // Without the flag the young generation grows to V8's maximum (32 MiB by default on 64-bit).
    const free = run(false);
    expect(free.after).toBeGreaterThanOrEqual(8 * free.before);
    // With it, it stays where it was (V8 commits the second semi-space on first use: up to 2x).
    const capped = run(true);
    expect(capped.after).toBeLessThanOrEqual(2 * capped.before);
  });
});
