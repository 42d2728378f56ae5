/**
 * Caps V8's young generation for a broker process.
 *
 * V8 grows the young generation (two semi-spaces) from 1 MiB towards 16 MiB per semi-space whenever
 * enough objects survive scavenges. A broker is exactly the program that triggers it: every connection,
 * session and in-flight QoS 1 message survives. Measured with the broker benchmark (bench/README.md,
 * A/B in one run), a 4 MiB cap gives 10,000 idle connections 4.0 KB of RSS each instead of 5.3 KB and
 * lowers peak RSS under load (QoS 1 fan-in 117 → 97 MB), with throughput equal within the noise;
 * 1 MiB semi-spaces made QoS 1 slower (more survivors promoted).
 *
 * `--max-semi-space-size` can only be given when Node starts. A process that is already running can
 * still stop further growth: V8 reads `--semi-space-growth-factor` each time it grows the young
 * generation, so once the young generation has reached the cap, setting the factor to 1 keeps it
 * there. This changes a process-wide V8 setting, so the broker library never calls it on its own:
 * the `midge` binary does (it owns its process), and an application embedding the broker may.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

/** What `capYoungGeneration` did. */
export type YoungGenerationCapState =
  /** The process was started with its own young-generation flags: left alone. */
  | 'configured-by-user'
  /** The young generation has reached the cap: it no longer grows. */
  | 'capped'
  /** Below the cap: growth stops when a garbage collection brings it there. */
  | 'watching';

export interface YoungGenerationCap {
  readonly state: YoungGenerationCapState;
  /** Stops watching; the young generation stays no larger than it is then. */
  stop(): void;
}

/** The V8 seams, replaceable in tests. */
export interface YoungGenerationRuntime {
  /** Bytes of the young generation (both semi-spaces) now. */
  newSpaceBytes(): number;
  setV8Flag(flag: string): void;
  /** Calls `after` after each garbage collection; returns how to stop. */
  observeGc(after: () => void): () => void;
  /** Node's own flags: process.execArgv plus NODE_OPTIONS. */
  nodeFlags(): readonly string[];
}

export interface YoungGenerationOptions {
  /** The cap, in MiB per semi-space (default 4, so the young generation stays within 8 MiB). */
  readonly semiSpaceMiB?: number;
  readonly runtime?: YoungGenerationRuntime;
}

/** Flags that mean "the user sized the young generation": then their choice stands. */
const USER_FLAGS = /^--(max|min)[-_]semi[-_]space[-_]size|^--semi[-_]space[-_]growth[-_]factor/;

export const nodeYoungGenerationRuntime: YoungGenerationRuntime = {
  newSpaceBytes() {
    return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
  },
  setV8Flag(flag) {
    v8.setFlagsFromString(flag);
  },
  observeGc(after) {
    const observer = new PerformanceObserver(after);
    observer.observe({ entryTypes: ['gc'] });
    return () => observer.disconnect();
  },
  nodeFlags() {
    return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)];
  },
};

/**
 * Stops V8's young generation from growing past `semiSpaceMiB` per semi-space, unless Node was
 * started with its own `--max-semi-space-size`, `--min-semi-space-size` or `--semi-space-growth-factor`.
 */
export function capYoungGeneration(options: YoungGenerationOptions = {}): YoungGenerationCap {
  const runtime = options.runtime ?? nodeYoungGenerationRuntime;
  const semiSpaceMiB = options.semiSpaceMiB ?? 4;
  if (!(semiSpaceMiB > 0)) throw new RangeError(`semiSpaceMiB must be positive, got ${semiSpaceMiB}`);
  if (runtime.nodeFlags().some((f) => USER_FLAGS.test(f))) return { state: 'configured-by-user', stop() {} };
  // space_size counts both semi-spaces.
  const capBytes = 2 * semiSpaceMiB * 1024 * 1024;
  const reached = (): boolean => runtime.newSpaceBytes() >= capBytes;
  const stopGrowing = (): void => runtime.setV8Flag('--semi-space-growth-factor=1');
  if (reached()) {
    stopGrowing();
    return { state: 'capped', stop() {} };
  }
  // Below the cap: no growth until the event loop turns (a start-up that loads modules synchronously
  // would otherwise grow it several steps before any check could run), then one doubling at a time,
  // checked after each garbage collection (V8 grows at most once per collection, and the check runs
  // long before enough survivors for a second step can accumulate).
  stopGrowing();
  let state: YoungGenerationCapState = 'watching';
  let unobserve: (() => void) | undefined;
  let growing = false;
  unobserve = runtime.observeGc(() => {
    if (state !== 'watching') return;
    if (reached()) {
      if (growing) stopGrowing();
      state = 'capped';
      unobserve?.();
      unobserve = undefined;
    } else if (!growing) {
      runtime.setV8Flag('--semi-space-growth-factor=2');
      growing = true;
    }
  });
  return {
    get state() {
      return state;
    },
    /** Stops watching; growth stays blocked where it is (the cap never loosens). */
    stop() {
      unobserve?.();
      unobserve = undefined;
      if (growing) stopGrowing();
      growing = false;
    },
  };
}
