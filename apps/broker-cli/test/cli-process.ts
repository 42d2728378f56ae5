/** Test helpers: run the built `midge` binary as a user would, and read what it prints. */
import { Writable } from 'node:stream';
import type { CommandIO } from '../src/io.js';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

export const MIDGE = fileURLToPath(new URL('../dist/main.js', import.meta.url));

if (!existsSync(MIDGE)) throw new Error(`${MIDGE} is missing: build first (pnpm run build)`);

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `midge ...args` to the end. */
export function runMidge(args: readonly string[], options: { cwd?: string; input?: string } = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MIDGE, ...args], { cwd: options.cwd ?? tmpdir() });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

const running = new Set<BrokerProcess>();

// A test that fails between start and stop must not leave its broker running after the run.
afterEach(async () => {
  await Promise.all([...running].map((b) => b.stop('SIGKILL')));
});

export type LogRecord = Record<string, unknown> & { msg?: string; level?: number };

/** A running broker process whose JSON log lines are collected as they come. */
export class BrokerProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly records: LogRecord[] = [];
  stderr = '';
  private partial = '';
  private waiters: (() => void)[] = [];
  readonly exited: Promise<Finished>;

  /** `detached`: in a process group of its own, which `signalGroup` signals as a terminal's Ctrl-C does. */
  constructor(
    args: readonly string[],
    cwd: string,
    env?: Readonly<Record<string, string>>,
    options: { detached?: boolean } = {},
  ) {
    this.child = spawn(process.execPath, [MIDGE, ...args], {
      cwd,
      env: env === undefined ? undefined : { ...process.env, ...env },
      detached: options.detached === true,
    });
    running.add(this);
    let stdout = '';
    this.child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      this.partial += d.toString();
      const lines = this.partial.split('\n');
      this.partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        try {
          this.records.push(JSON.parse(line) as LogRecord);
        } catch {
          this.records.push({ msg: line });
        }
      }
      this.wake();
    });
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr += d.toString();
      this.wake();
    });
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        running.delete(this);
        this.wake();
        resolve({ code, signal, stdout, stderr: this.stderr });
      });
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves with the first record matching `match` (already logged or still to come). */
  async waitFor(match: (r: LogRecord) => boolean, timeoutMs = 10_000): Promise<LogRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.records.find(match);
      if (found) return found;
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(
          `midge exited (${this.child.exitCode ?? this.child.signalCode}) before the expected log line; stderr:\n${this.stderr}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `timed out waiting for a log line; got:\n${this.records.map((r) => JSON.stringify(r)).join('\n')}\n${this.stderr}`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The port of the listener `name`, from its `listening` record (how port 0 is learnt). */
  async port(name = 'default'): Promise<number> {
    const r = await this.waitFor((x) => x.msg === 'listening' && x.name === name);
    return r.port as number;
  }

  /** Sends `signal` to every process of its group (needs `detached`). */
  signalGroup(signal: NodeJS.Signals): void {
    if (this.child.pid === undefined) throw new Error('midge did not start');
    process.kill(-this.child.pid, signal);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<Finished> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'midge-cli-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs a command of the CLI (`runBroker`, `runStore`, ...) in this process with `argv`, and what it printed. */
export async function runInProcess(
  command: (argv: string[], io: CommandIO) => Promise<number>,
  argv: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: '', stderr: '' };
  const sink = (key: 'stdout' | 'stderr'): Writable =>
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        out[key] += chunk.toString();
        done();
      },
    });
  const code = await command(argv, { stdout: sink('stdout'), stderr: sink('stderr'), stdin: process.stdin });
  return { code, ...out };
}
