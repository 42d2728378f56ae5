/**
 * Real Midge brokers for the cluster tests: the built `midge` binary (apps/broker-cli) run as a user runs
 * it, with a YAML config that loads `@midge/plugin-cluster-nats` by name (bundled with the CLI), one
 * process per node. Its JSON log lines are collected as they come. Tests stop the nodes they start; any
 * left running when a file's tests end (a failed test) is killed.
 *
 * The processes run the built `dist/` of the CLI and of this plugin: build them first (CI does); a
 * plugin `dist/` older than its sources fails here rather than testing stale code.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
export const MIDGE = fileURLToPath(new URL('../../../apps/broker-cli/dist/main.js', import.meta.url));

/**
 * Throws unless the CLI and this plugin are built, the plugin after its last source change: the test
 * `tsc -b` itself makes (no source newer than dist/.tsbuildinfo).
 */
function checkBuilt(): void {
  if (!existsSync(MIDGE)) throw new Error(`${MIDGE} is missing: build first (pnpm run build)`);
  const buildInfo = join(packageDir, 'dist', '.tsbuildinfo');
  const builtAt = existsSync(buildInfo) ? statSync(buildInfo).mtimeMs : 0;
  const src = join(packageDir, 'src');
  for (const file of readdirSync(src)) {
    if (file.endsWith('.test.ts') || !file.endsWith('.ts')) continue;
    if (statSync(join(src, file)).mtimeMs > builtAt)
      throw new Error(
        `dist/ of ${packageDir} is missing or older than src/${file}: the broker processes would run old ` +
          'code; build first (pnpm --filter @midge/plugin-cluster-nats run build)',
      );
  }
}
checkBuilt();

export type LogRecord = Record<string, unknown> & { msg?: string; level?: number };

/** pino's numeric levels. */
export const WARN = 40;

const running = new Set<MidgeNode>();

// A test that fails between start and stop must not leave its brokers running after the run. After all
// of a file's tests, not each: a describe may share its nodes between tests.
afterAll(async () => {
  await Promise.all([...running].map((node) => node.kill()));
});

export interface NodeOptions {
  /** The node name (the plugin's `node` option). */
  readonly node: string;
  /** The plugin's options besides `node` (servers, credentials...). */
  readonly cluster: Record<string, unknown>;
  /** Other plugins, in YAML, indented under `plugins:` (e.g. a topic ACL). */
  readonly otherPlugins?: string;
  /** A store folder (absolute): sessions survive a restart of the node. */
  readonly persistencePath?: string;
  /** Files to write into the node's folder first (password files...), name → content. */
  readonly files?: Readonly<Record<string, string>>;
}

/** Writes the node's files and its config into `dir`; returns the config's path. */
async function writeConfig(dir: string, options: NodeOptions): Promise<string> {
  for (const [name, content] of Object.entries(options.files ?? {})) await writeFile(join(dir, name), content);
  const config = join(dir, 'broker.yaml');
  await writeFile(
    config,
    [
      // JetStream can take many seconds to elect stream leaders after a NATS server died, more on a busy
      // CI machine: a node's cluster setup gets 30 s (the default 10 s made the 3-server test flaky).
      'plugin_setup_timeout: 30000',
      'listeners:',
      '  default:',
      '    bind: 127.0.0.1:0',
      ...(options.persistencePath === undefined
        ? []
        : ['persistence:', `  path: ${JSON.stringify(options.persistencePath)}`]),
      'plugins:',
      "  '@midge/plugin-auth-anonymous':",
      '    allow_anonymous: true',
      ...(options.otherPlugins === undefined ? [] : [options.otherPlugins.trimEnd()]),
      // JSON is YAML: the options as one flow mapping.
      `  '@midge/plugin-cluster-nats': ${JSON.stringify({ node: options.node, ...options.cluster })}`,
      '',
    ].join('\n'),
  );
  return config;
}

export class MidgeNode {
  readonly name: string;
  readonly records: LogRecord[] = [];
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #dir: string;
  readonly #exited: Promise<void>;
  #stderr = '';
  #partial = '';
  #waiters: (() => void)[] = [];
  #port = 0;

  private constructor(name: string, dir: string, configFile: string) {
    this.name = name;
    this.#dir = dir;
    this.#child = spawn(process.execPath, [MIDGE, '-c', configFile], {
      cwd: dir,
      // Already sized as the CLI wants it, so it runs the broker itself instead of relaunching Node.
      env: { ...process.env, NODE_OPTIONS: '--max-semi-space-size=4' },
    });
    running.add(this);
    this.#child.stdout.on('data', (d: Buffer) => {
      this.#partial += d.toString();
      const lines = this.#partial.split('\n');
      this.#partial = lines.pop() ?? '';
      for (const line of lines) {
        if (line.trim() === '') continue;
        try {
          this.records.push(JSON.parse(line) as LogRecord);
        } catch {
          this.records.push({ msg: line });
        }
      }
      this.#wake();
    });
    this.#child.stderr.on('data', (d: Buffer) => {
      this.#stderr += d.toString();
      this.#wake();
    });
    this.#exited = new Promise((resolve) => {
      this.#child.on('close', () => {
        running.delete(this);
        this.#wake();
        resolve();
      });
    });
  }

  /** Starts a broker with the cluster plugin as `options` say; resolves once it listens (port known). */
  static async start(options: NodeOptions): Promise<MidgeNode> {
    const dir = await mkdtemp(join(tmpdir(), `midge-node-${options.node}-`));
    const config = await writeConfig(dir, options);
    const node = new MidgeNode(options.node, dir, config);
    // Generous: a node's setup opens JetStream state (registry, wills, retained stream) on a busy CI machine.
    const listening = await node.waitFor((r) => r.msg === 'listening' && r.name === 'default', 30_000);
    node.#port = listening.port as number;
    return node;
  }

  /**
   * Starts a broker that is expected not to start: resolves once its process ended, with its exit code
   * and everything it printed.
   */
  static async startFailing(options: NodeOptions): Promise<{ code: number | null; output: string }> {
    const dir = await mkdtemp(join(tmpdir(), `midge-node-${options.node}-`));
    const node = new MidgeNode(options.node, dir, await writeConfig(dir, options));
    await node.#exited;
    await rm(dir, { recursive: true, force: true });
    return { code: node.#child.exitCode, output: node.#log() };
  }

  /** The MQTT port. */
  get port(): number {
    return this.#port;
  }

  /** The name of its NATS connection on the server (`/connz`). */
  get connectionName(): string {
    return `midge:${this.name}`;
  }

  /** Records logged at warn or above whose message matches `pattern`. */
  warnings(pattern: RegExp): LogRecord[] {
    return this.records.filter((r) => (r.level ?? 0) >= WARN && pattern.test(r.msg ?? ''));
  }

  /** Resolves with the first record matching `match` (already logged or still to come). */
  async waitFor(match: (r: LogRecord) => boolean, timeoutMs = 10_000): Promise<LogRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.records.find(match);
      if (found !== undefined) return found;
      if (this.#child.exitCode !== null || this.#child.signalCode !== null)
        throw new Error(`node ${this.name} exited before the expected log line:\n${this.#log()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`node ${this.name}: timed out waiting for a log line; got:\n${this.#log()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The process's exit code once it exited by itself or after stop() (null while running or when killed). */
  get exitCode(): number | null {
    return this.#child.exitCode;
  }

  /** Graceful stop (SIGTERM); resolves once the process is gone. */
  async stop(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGTERM');
    await this.#exited;
    await rm(this.#dir, { recursive: true, force: true });
  }

  /** kill -9; resolves once the process is gone. */
  async kill(): Promise<void> {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
    await this.#exited;
    await rm(this.#dir, { recursive: true, force: true });
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  #log(): string {
    return `${this.records.map((r) => JSON.stringify(r)).join('\n')}\n${this.#stderr}`;
  }
}
