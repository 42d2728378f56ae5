#!/usr/bin/env node
// offline-drain (issue 12): 1M QoS 1 messages queued for 1k offline persistent sessions, the broker restarted
// on its data directory, then every session reconnects and drains its queue. Midge (the BUILT package, with
// its default store, `sync: batch`) and Mosquitto (`persistence true`) side by side in one run. Prints figures;
// it is not a test and gates nothing.
//
//   pnpm --filter @midge/mqtt-core run build && pnpm --filter @midge/persistence-lmdb run build
//   pnpm --filter @midge/bench run offline-drain                     # 1000 sessions x 1000 messages
//   node bench/broker/offline-drain.mjs --sessions 100 --per-session 100   # a quick check, seconds
//
// Per broker, each phase timed: 1. sessions subscribe and leave; 2. fill (PUBACKed); 3. SIGTERM, exit,
// start again on the same directory, ready = spawn to a fresh client's CONNACK; 4. drain, sequence numbers
// checked per session. The broker runs pinned to CPU 0 (brokers.mjs), this process on CPU 1.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { BROKER_LABEL, HAS_TASKSET, MIDGE_SYNC, filesystemOf, sleep, startBroker, version } from './brokers.mjs';
import { memoryOf, memorySampler } from './memory.mjs';
import { createSessions, drain, fill, probeConnack } from './offline-drain-load.mjs';
import { table, targets } from './offline-drain-report.mjs';

const KINDS = ['midge', 'mosquitto'];
const HELP = `usage: node bench/broker/offline-drain.mjs [options]
  --sessions N      persistent sessions, each on its own topic (default 1000)
  --per-session M   QoS 1 messages queued per session (default 1000)
  --only KIND       ${KINDS.join(' or ')} (default both)
  --publishers P    publishing connections in the fill (default 10)
  --window W        unacknowledged PUBLISHes per publisher (default 100)
  --connecting C    CONNECTs awaiting their CONNACK at once, phases 1 and 4 (default 100)
  --settle S        seconds idle before the RSS after the fill is read (default 2)
  --stall S         seconds without progress that fail the fill or end the drain (default 60)
  --json FILE       also write the raw figures to FILE
environment (diagnostics): BENCH_SYNC, BENCH_STORE, BENCH_NODE_FLAGS (e.g. --cpu-prof --cpu-prof-dir=DIR)`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}
function option(name, fallback) {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) fail(`${name} needs a value`);
  return v;
}
function count(name, fallback) {
  const n = Number(option(name, fallback));
  if (!(Number.isInteger(n) && n >= 1)) fail(`${name} must be a whole number ≥ 1`);
  return n;
}
function fail(message) {
  console.error(`offline-drain: ${message} (--help lists the options)`);
  process.exit(2);
}
const SESSIONS = count('--sessions', 1000);
const PER_SESSION = count('--per-session', 1000);
const PUBLISHERS = count('--publishers', 10);
const WINDOW = count('--window', 100);
const CONNECTING = count('--connecting', 100);
const SETTLE_MS = Number(option('--settle', 2)) * 1000;
const only = option('--only', KINDS.join(',')).split(',').filter(Boolean);
const jsonFile = option('--json', undefined);
for (const k of only) if (!KINDS.includes(k)) fail(`unknown broker '${k}' (known: ${KINDS.join(', ')})`);
if (WINDOW > 65_000) fail('--window must stay below 65,000 (packet ids)');
const QUEUED = SESSIONS * PER_SESSION;
/** No progress for this long fails the fill, or ends the drain with what arrived so far. */
const STALL_MS = Number(option('--stall', 60)) * 1000;
/** Generous bounds for the broker to start (loading a large store) and to stop (saving one, for Mosquitto). */
const START_TIMEOUT_MS = 300_000;
const STOP_TIMEOUT_MS = 300_000;

// Midge closes gracefully on SIGTERM (as the `midge` binary does) instead of exiting at once (servers/midge.mjs);
// BENCH_GRACEFUL_STOP=0 exits at once (diagnostics: a --cpu-prof profile of a broker whose close hangs).
process.env.BENCH_GRACEFUL_STOP ??= '1';

// The load generator (this process, every thread) on CPU 1; brokers go on CPU 0.
const CPUS = os.availableParallelism();
if (HAS_TASKSET && CPUS >= 2) spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });

// Brokers and directories of this run: removed whatever happens, including Ctrl-C.
const live = { pids: new Set(), dirs: new Set() };
function cleanUpNow() {
  for (const pid of live.pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const dir of live.dirs) rmSync(dir, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    cleanUpNow();
    process.exit(130);
  });
}
process.on('exit', cleanUpNow);

const MB = 1024 * 1024;
const mb = (bytes) => `${(bytes / MB).toFixed(1)} MB`;
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;

/** Bytes allocated on disk under `dir` (st_blocks: LMDB's file may be sparse). */
function diskBytes(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) total += diskBytes(p);
    else if (entry.isFile()) total += statSync(p).blocks * 512;
  }
  return total;
}

async function start(kind, dir, pollMs) {
  const broker = await startBroker(kind, {
    durable: true,
    dir,
    pollMs,
    startTimeoutMs: START_TIMEOUT_MS,
    stopTimeoutMs: STOP_TIMEOUT_MS,
  });
  live.pids.add(broker.pid);
  return broker;
}

async function stop(broker) {
  const exit = await broker.stop();
  live.pids.delete(broker.pid);
  return exit;
}

/** CPU of this process (the load generator) as % of a core over `ms`, from a process.cpuUsage() start. */
function genCpuPercent(since, ms) {
  const u = process.cpuUsage(since);
  return ((u.user + u.system) / 1000 / ms) * 100;
}

async function runBroker(kind) {
  const log = (line) => console.log(`  ${BROKER_LABEL[kind]}: ${line}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), `bench-offline-drain-${kind}-`));
  live.dirs.add(dir);
  let broker;
  try {
    broker = await start(kind, dir, 50);
    const result = { create: {}, fill: {}, restart: {}, drain: {} };

    let t = performance.now();
    await createSessions(broker.port, { sessions: SESSIONS, connecting: CONNECTING });
    result.create.ms = performance.now() - t;
    log(`1. ${SESSIONS} sessions subscribed and offline in ${s(result.create.ms)}`);

    let sampler = memorySampler(broker.pid, 200);
    let cpu = broker.cpuSeconds();
    let wait = broker.runQueueWaitSeconds();
    let gen = process.cpuUsage();
    t = performance.now();
    const acked = await fill(broker.port, {
      sessions: SESSIONS,
      perSession: PER_SESSION,
      publishers: PUBLISHERS,
      window: WINDOW,
      stallMs: STALL_MS,
    });
    const f = result.fill;
    f.ms = performance.now() - t;
    f.genCpuPercent = genCpuPercent(gen, f.ms);
    f.cpuPercent = ((broker.cpuSeconds() - cpu) / (f.ms / 1000)) * 100;
    f.runQueueWaitSeconds = broker.runQueueWaitSeconds() - wait;
    f.cpuUsPerMsg = ((broker.cpuSeconds() - cpu) * 1e6) / acked;
    f.acked = acked;
    f.rate = acked / (f.ms / 1000);
    await sleep(SETTLE_MS);
    f.peak = sampler.stop();
    f.idle = memoryOf(broker.pid);
    f.diskBytes = diskBytes(dir);
    log(
      `2. ${acked.toLocaleString('en-US')} PUBACKs in ${s(f.ms)} (${Math.round(f.rate).toLocaleString('en-US')} msg/s); ` +
        `RSS ${mb(f.idle.rss)} idle (${mb(f.idle.file)} file-backed), ${mb(f.peak.rss)} peak; ${mb(f.diskBytes)} on disk`,
    );

    const r = result.restart;
    const exit = await stop(broker);
    r.shutdownMs = exit.ms;
    r.exit = exit.signal ?? exit.code;
    r.diskBytes = diskBytes(dir);
    broker = await start(kind, dir, 10);
    const readyAt = await probeConnack(broker.port, { deadline: performance.now() + START_TIMEOUT_MS, pollMs: 10 });
    r.readyMs = readyAt - broker.spawnedAt;
    r.cpuSeconds = broker.cpuSeconds();
    r.runQueueWaitSeconds = broker.runQueueWaitSeconds();
    r.ready = memoryOf(broker.pid);
    log(
      `3. shutdown ${s(r.shutdownMs)} (exit ${r.exit}), ${mb(r.diskBytes)} on disk; ready ${s(r.readyMs)} after spawn ` +
        `(${r.cpuSeconds.toFixed(2)} s CPU), RSS ${mb(r.ready.rss)} (${mb(r.ready.file)} file-backed)`,
    );
    if (exit.signal === 'SIGKILL') log(`   killed after ${STOP_TIMEOUT_MS / 1000} s: it did not exit on SIGTERM`);

    sampler = memorySampler(broker.pid, 100);
    cpu = broker.cpuSeconds();
    wait = broker.runQueueWaitSeconds();
    gen = process.cpuUsage();
    t = performance.now();
    const tally = await drain(broker.port, {
      sessions: SESSIONS,
      perSession: PER_SESSION,
      connecting: CONNECTING,
      stallMs: STALL_MS,
      cpuSeconds: () => broker.cpuSeconds(),
    });
    const d = Object.assign(result.drain, tally);
    d.ms = tally.stalled || tally.complete < SESSIONS ? Number.NaN : tally.lastMessageMs;
    d.genCpuPercent = genCpuPercent(gen, performance.now() - t);
    const delivered = QUEUED - tally.lost;
    d.rate = delivered / (d.ms / 1000);
    d.cpuUsPerMsg = ((broker.cpuSeconds() - cpu) * 1e6) / delivered;
    d.cpuPercent = ((broker.cpuSeconds() - cpu) / (tally.lastMessageMs / 1000)) * 100;
    d.runQueueWaitSeconds = broker.runQueueWaitSeconds() - wait;
    d.peak = sampler.stop();
    log(
      `4. ${tally.complete}/${SESSIONS} sessions drained in ${s(d.ms)} (${Math.round(d.rate).toLocaleString('en-US')} msg/s), ` +
        `all connected after ${s(tally.allConnectedMs)}, peak RSS ${mb(d.peak.rss)}; lost ${tally.lost}, ` +
        `duplicated ${tally.duplicated}, DUP resends ${tally.dupResends}, out of order ${tally.outOfOrder}` +
        (tally.stalled
          ? `; STALLED: nothing arrived for ${STALL_MS / 1000} s (broker CPU meanwhile ${tally.stallCpuSeconds.toFixed(1)} s; ` +
            `a new client ${tally.answersAfterStall ? 'still gets' : 'gets no'} CONNACK)`
          : ''),
    );
    if (tally.incomplete.length > 0)
      log(
        `   incomplete sessions (id: received, highest sequence, connection open): ` +
          tally.incomplete.map(([id, n, hi, open]) => `${id}: ${n}, ${hi}, ${open}`).join('; '),
      );
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(
      `failed: ${message}${broker !== undefined ? `\n    broker stderr: ${broker.stderr().trim().slice(-2000)}` : ''}`,
    );
    return { error: message };
  } finally {
    if (broker !== undefined) await stop(broker);
    rmSync(dir, { recursive: true, force: true });
    live.dirs.delete(dir);
  }
}

const versions = Object.fromEntries(only.map((k) => [k, version(k)]));
console.log(
  `offline-drain: ${only.map((k) => `${BROKER_LABEL[k]} ${versions[k]}`).join(', ')}; Node ${process.version}, ` +
    `${CPUS} CPUs (${os.cpus()[0]?.model ?? '?'}), ${HAS_TASKSET ? 'broker on CPU 0, load on CPU 1' : 'no taskset: not pinned'}`,
);
console.log(
  `${SESSIONS.toLocaleString('en-US')} sessions x ${PER_SESSION.toLocaleString('en-US')} QoS 1 messages = ` +
    `${QUEUED.toLocaleString('en-US')} queued; ${PUBLISHERS} publishers, window ${WINDOW}; ${CONNECTING} connecting at once; ` +
    `data dirs in ${os.tmpdir()} (${filesystemOf()}); Midge sync: ${MIDGE_SYNC}` +
    `${process.env.BENCH_STORE ? `, store ${process.env.BENCH_STORE}` : ''}; Mosquitto persistence true (saved at exit)\n`,
);
const results = {};
const started = performance.now();
for (const kind of only) {
  results[kind] = await runBroker(kind);
  console.log('');
}
console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
console.log(table(results, only));
if (only.includes('midge')) console.log(`\nissue 12 targets (Midge):\n${targets(results.midge, QUEUED)}`);
if (jsonFile !== undefined)
  writeFileSync(
    jsonFile,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        versions,
        options: { sessions: SESSIONS, perSession: PER_SESSION, publishers: PUBLISHERS, window: WINDOW },
        results,
      },
      null,
      2,
    ),
  );
process.exitCode = Object.values(results).some((r) => r.error !== undefined) ? 1 : 0;
