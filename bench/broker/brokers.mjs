// Starting one fresh broker process per scenario, pinned to CPU 0, and sampling its CPU time and RSS
// from /proc. Every broker listens on 127.0.0.1 only.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const MOSQUITTO = '/usr/sbin/mosquitto';
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
export const HAS_TASKSET = spawnSync('taskset', ['-V']).status === 0;

export const BROKERS = ['midge', 'aedes', 'mosquitto'];
/** Midge without a store: run.mjs runs it beside 'midge' in durable scenarios, for the durable / in-memory ratio. */
export const MIDGE_IN_MEMORY = 'midge-memory';
/**
 * Midge with @midge/plugin-admin, its /metrics scraped every second (servers/midge.mjs, BENCH_ADMIN=1): only
 * when asked for (`--only midge,midge-admin`), for the plugin's overhead (issue 15: within 3 % on fan-in).
 */
export const MIDGE_ADMIN = 'midge-admin';
/** Brokers `--only` accepts besides BROKERS (not run by default). */
export const OPTIONAL_BROKERS = [MIDGE_ADMIN];
export const BROKER_LABEL = {
  midge: 'Midge',
  [MIDGE_IN_MEMORY]: 'Midge in-memory',
  [MIDGE_ADMIN]: 'Midge + admin',
  aedes: 'Aedes',
  mosquitto: 'Mosquitto',
};
/** `sync` of Midge's store in durable scenarios; BENCH_SYNC=none|always for diagnosis only (what fsync costs). */
export const MIDGE_SYNC = process.env.BENCH_SYNC ?? 'batch';

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * With `durable`, Mosquitto's own persistence (`persistence true`, in the broker's temp dir): an in-memory
 * database saved to `mosquitto.db` every `autosave_interval` (default 1800 s) and at exit, never fsync'd per
 * message. Its promise is weaker than Midge's `sync: batch` (bench/README.md).
 */
function mosquittoConf(dir, port, durable) {
  const file = path.join(dir, 'mosquitto.conf');
  writeFileSync(
    file,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'max_connections -1',
      'max_queued_messages 1000000',
      'max_inflight_messages 100',
      ...(durable ? ['persistence true', `persistence_location ${dir}/`] : ['persistence false']),
      // Started as root, Mosquitto drops to the `mosquitto` user, which cannot write into our 0700 temp dir:
      // its snapshot then fails silently (log_dest none). Staying the user that owns the directory keeps
      // `persistence true` working; a non-root user is never switched, so this changes nothing there.
      ...(durable ? [`user ${os.userInfo().username}`] : []),
      'log_dest none',
      '',
    ].join('\n'),
  );
  return file;
}

/** Shell-quotes one argument for `bash -c`. */
const q = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/**
 * Starts `kind` on a free port: `taskset -c 0 bash -c 'ulimit -n <hard limit>; exec <broker>'`, so the
 * broker process keeps the pid we spawned. Resolves once it accepts connections. `durable`: the broker
 * persists into a fresh directory under os.tmpdir() (Midge: its store with `sync: MIDGE_SYNC`; Mosquitto:
 * `persistence true`; Aedes and Midge in-memory: unchanged), removed by stop().
 * For restarts (offline-drain.mjs): `dir` = an existing directory of an earlier start to use instead (the caller
 * owns it: stop() leaves it), `startTimeoutMs` / `stopTimeoutMs` (before SIGKILL) for large stores, `pollMs`
 * between listen checks. The result's `spawnedAt` is performance.now() at spawn; stop() resolves to the exit.
 */
export async function startBroker(
  kind,
  {
    cpuProfileDir,
    durable = false,
    dir: reuseDir,
    startTimeoutMs = 15_000,
    stopTimeoutMs,
    pollMs = 50,
    // cluster.mjs: a Midge node with plugins (servers/midge-cluster.mjs) takes its plugins' config as JSON.
    serverArgs = [],
    // cluster.mjs: processes of a cluster share both CPUs (false); one broker is pinned to CPU 0 (true).
    pin = true,
  } = {},
) {
  const port = await freePort();
  const dir = reuseDir ?? mkdtempSync(path.join(os.tmpdir(), `bench-${kind}-`));
  let argv;
  if (kind !== 'mosquitto') {
    const isMidge = kind === 'midge' || kind === MIDGE_IN_MEMORY || kind === MIDGE_ADMIN || kind === 'midge-cluster';
    const flags = cpuProfileDir !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfileDir}`] : [];
    // Midge's young generation as the `midge` binary sizes it (apps/broker-cli/src/young-generation.ts);
    // BENCH_UNCAPPED=1 leaves Node's default, for A/B runs of the size itself.
    if (isMidge && process.env.BENCH_UNCAPPED !== '1') flags.push('--max-semi-space-size=4');
    // Diagnostics only (e.g. BENCH_NODE_FLAGS=--trace-gc): extra flags for the Node brokers.
    if (process.env.BENCH_NODE_FLAGS) flags.push(...process.env.BENCH_NODE_FLAGS.split(/\s+/).filter(Boolean));
    const server = path.join(
      HERE,
      'servers',
      kind === 'midge-cluster' ? 'midge-cluster.mjs' : isMidge ? 'midge.mjs' : `${kind}.mjs`,
    );
    const store = kind === 'midge' && durable ? [path.join(dir, 'data'), MIDGE_SYNC] : [];
    argv = [process.execPath, ...flags, server, String(port), ...store, ...serverArgs];
  } else {
    argv = [MOSQUITTO, '-c', mosquittoConf(dir, port, durable)];
  }
  // The soft fd limit goes up to the hard one (10,000 idle connections need more than 1024).
  const script = `ulimit -n $(ulimit -Hn) 2>/dev/null; exec ${argv.map(q).join(' ')}`;
  const cmd = HAS_TASKSET && pin ? ['taskset', '-c', '0', 'bash', '-c', script] : ['bash', '-c', script];
  const spawnedAt = performance.now();
  const env = kind === MIDGE_ADMIN ? { ...process.env, BENCH_ADMIN: '1' } : process.env;
  const child = spawn(cmd[0], cmd.slice(1), { cwd: HERE, stdio: ['ignore', 'pipe', 'pipe'], env });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 10_000) stderr = stderr.slice(-10_000);
  });
  child.stdout.resume();
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${kind} exited at start (code ${child.exitCode}): ${stderr.trim()}`);
    if (await canConnect(port)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${kind} did not listen on ${port} within ${startTimeoutMs / 1000} s: ${stderr.trim()}`);
    }
    await sleep(pollMs);
  }
  const pid = child.pid;
  return {
    kind,
    port,
    pid,
    dir,
    spawnedAt,
    stderr: () => stderr,
    alive: () => child.exitCode === null && child.signalCode === null,
    /** Total CPU seconds (user + system) so far. */
    cpuSeconds: () => cpuSeconds(pid),
    /** Resident set size in bytes. */
    rss: () => rss(pid),
    /** Seconds its threads were ready to run but waited for a CPU (other work on the broker's core). */
    runQueueWaitSeconds: () => runQueueWaitSeconds(pid),
    /** Bytes written to storage so far, by every thread (write_bytes of /proc/<pid>/io). */
    diskWriteBytes: () => diskWriteBytes(pid),
    /** SIGTERM, SIGKILL after the stop timeout; resolves to { code, signal, ms } (ms from SIGTERM to exit). */
    async stop() {
      const signalledAt = performance.now();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timeout = stopTimeoutMs ?? (cpuProfileDir !== undefined ? 20_000 : 3_000);
        const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
        await exited;
        clearTimeout(timer);
      }
      if (reuseDir === undefined) rmSync(dir, { recursive: true, force: true });
      return { ...(await exited), ms: performance.now() - signalledAt };
    },
  };
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): state is field 3; utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

function runQueueWaitSeconds(pid) {
  try {
    let ns = 0;
    // Field 2 of each thread's schedstat: nanoseconds spent waiting on a run queue.
    for (const tid of readdirSync(`/proc/${pid}/task`))
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]);
    return ns / 1e9;
  } catch {
    return Number.NaN;
  }
}

function rss(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? Number.NaN : Number(m[1]) * 1024;
  } catch {
    return Number.NaN;
  }
}

function diskWriteBytes(pid) {
  try {
    const m = /^write_bytes: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'));
    return m === null ? Number.NaN : Number(m[1]);
  } catch {
    return Number.NaN;
  }
}

/** The filesystem type and device of `dir` (durable scenarios write there: tmpfs would make fsync free). */
export function filesystemOf(dir = os.tmpdir()) {
  const out = spawnSync('findmnt', ['-n', '-o', 'FSTYPE,SOURCE', '--target', dir], { encoding: 'utf8' }).stdout;
  return out?.trim().replace(/\s+/, ' on ') || '?';
}

/** Samples RSS every `everyMs` until stopped; keeps the peak. */
export function rssSampler(broker, everyMs = 200) {
  let peak = broker.rss();
  const samples = [];
  const timer = setInterval(() => {
    const r = broker.rss();
    samples.push([performance.now(), r]);
    if (r > peak) peak = r;
  }, everyMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      const r = broker.rss();
      if (r > peak) peak = r;
      return peak;
    },
  };
}

export function version(kind) {
  if (kind === 'mosquitto') {
    const out = spawnSync(MOSQUITTO, ['-h'], { encoding: 'utf8' }).stdout ?? '';
    return /mosquitto version (\S+)/.exec(out)?.[1] ?? '?';
  }
  const pkg = kind === 'midge' || kind === MIDGE_IN_MEMORY || kind === MIDGE_ADMIN ? '@midge/mqtt-core' : 'aedes';
  try {
    return JSON.parse(readFileSync(path.join(HERE, '..', 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}
