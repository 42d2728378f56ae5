#!/usr/bin/env node
// Broker benchmark: Midge (the BUILT package), Aedes and Mosquitto under the same load, in one run.
// Prints figures; it is not a test and gates nothing.
//
//   pnpm --filter @midge/mqtt-core run build              # the bench runs dist/, build it first
//   pnpm --filter @midge/bench run broker                 # full run, about 10 minutes
//   pnpm --filter @midge/bench run broker -- --quick      # 1-2 minutes
//   node bench/broker/run.mjs --only midge,aedes --scenario fanin-qos0,latency-5k --runs 5
//   node bench/broker/run.mjs --only midge --profile      # + a CPU profile of Midge per scenario
//
// One fresh broker process per scenario and run, pinned to CPU 0 (taskset); this process, the load
// generator, pins itself to CPU 1. Broker CPU and RSS come from /proc/<pid>/stat and /proc/<pid>/status.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { BROKERS, BROKER_LABEL, HAS_TASKSET, sleep, startBroker, version } from './brokers.mjs';
import { summarizeProfileDir } from './profile.mjs';
import { SCENARIOS, runScenario } from './scenarios.mjs';

const HELP = `usage: node bench/broker/run.mjs [options]
  --quick              1 run per scenario, 0.5 s warm-up + 2 s measure (1-2 minutes in all)
  --runs N             runs per scenario and broker; the table shows medians (default 3)
  --warmup S           seconds of warm-up before measuring (default 1)
  --measure S          seconds measured per scenario (default 5)
  --only a,b           brokers: ${BROKERS.join(', ')} (default all)
  --scenario a,b       scenarios: ${SCENARIOS.map((s) => s.name).join(', ')} (default all)
  --idle N             connections in idle-10k (default 10000)
  --profile [DIR]      run Midge with node --cpu-prof and print where its CPU time goes (default DIR: a temp folder)
  --json FILE          also write every run's raw figures to FILE`;

const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(HELP);
  process.exit(0);
}
function option(name) {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  return v === undefined || v.startsWith('--') ? '' : v;
}
const QUICK = args.includes('--quick');
const RUNS = Number(option('--runs') ?? (QUICK ? 1 : 3));
const WARMUP_MS = Number(option('--warmup') ?? (QUICK ? 0.5 : 1)) * 1000;
const MEASURE_MS = Number(option('--measure') ?? (QUICK ? 2 : 5)) * 1000;
const IDLE = Number(option('--idle') ?? 10_000);
const only = (option('--only') ?? BROKERS.join(',')).split(',').filter(Boolean);
const scenarioNames = (option('--scenario') ?? SCENARIOS.map((s) => s.name).join(',')).split(',').filter(Boolean);
const profileOpt = option('--profile');
const PROFILE_DIR =
  profileOpt === undefined ? undefined : profileOpt || path.join(os.tmpdir(), `midge-cpuprof-${process.pid}`);
const jsonFile = option('--json');

for (const b of only) if (!BROKERS.includes(b)) fail(`unknown broker '${b}' (known: ${BROKERS.join(', ')})`);
const scenarios = scenarioNames.map(
  (n) =>
    SCENARIOS.find((s) => s.name === n) ??
    fail(`unknown scenario '${n}' (known: ${SCENARIOS.map((s) => s.name).join(', ')})`),
);
if (!(RUNS >= 1 && MEASURE_MS > 0 && WARMUP_MS >= 0)) fail('--runs, --warmup and --measure must be positive numbers');

function fail(message) {
  console.error(message);
  process.exit(2);
}

// The load generator (this process, every thread) on CPU 1; brokers go on CPU 0.
const CPUS = os.availableParallelism();
if (HAS_TASKSET && CPUS >= 2) spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });

const versions = Object.fromEntries(only.map((b) => [b, version(b)]));
console.log(
  `broker benchmark: ${only.map((b) => `${BROKER_LABEL[b]} ${versions[b]}`).join(', ')}; Node ${process.version}, ` +
    `${CPUS} CPUs (${os.cpus()[0]?.model ?? '?'}), ${HAS_TASKSET ? 'broker on CPU 0, load on CPU 1' : 'no taskset: not pinned'}`,
);
console.log(
  `${RUNS} run(s) x ${scenarios.length} scenario(s) x ${only.length} broker(s); warm-up ${WARMUP_MS / 1000} s, measure ${MEASURE_MS / 1000} s\n`,
);
if (PROFILE_DIR !== undefined) mkdirSync(PROFILE_DIR, { recursive: true });

const results = {}; // scenario → broker → [result]
const started = performance.now();
for (let run = 0; run < RUNS; run++) {
  for (const scenario of scenarios) {
    // Rotate the order from run to run so drift of the machine's load affects every broker.
    const order = only.map((_, i) => only[(i + run) % only.length]);
    for (const kind of order) {
      const profileDir =
        kind === 'midge' && PROFILE_DIR !== undefined ? path.join(PROFILE_DIR, `${scenario.name}-${run}`) : undefined;
      let result;
      let broker;
      try {
        broker = await startBroker(kind, { cpuProfileDir: profileDir });
        result = await runScenario(broker, scenario, { warmupMs: WARMUP_MS, measureMs: MEASURE_MS, idleCount: IDLE });
      } catch (err) {
        result = { error: err instanceof Error ? err.message : String(err) };
      } finally {
        await broker?.stop();
      }
      ((results[scenario.name] ??= {})[kind] ??= []).push(result);
      console.log(
        `  run ${run + 1} ${scenario.name.padEnd(14)} ${BROKER_LABEL[kind].padEnd(9)} ${brief(scenario, result)}`,
      );
      globalThis.gc?.();
      await sleep(200);
    }
  }
}
console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
printTable();
if (jsonFile)
  writeFileSync(
    jsonFile,
    JSON.stringify({ date: new Date().toISOString(), node: process.version, versions, results }, null, 2),
  );
if (PROFILE_DIR !== undefined) {
  console.log(`\nMidge CPU profiles in ${PROFILE_DIR}`);
  for (const scenario of scenarios) {
    const dirs = range(RUNS).map((r) => path.join(PROFILE_DIR, `${scenario.name}-${r}`));
    console.log(`\n${scenario.name}: self time by function (all runs)`);
    console.log(summarizeProfileDir(dirs, 15));
  }
}

function range(n) {
  return Array.from({ length: n }, (_, i) => i);
}

function brief(scenario, r) {
  if (r.error !== undefined) return `error: ${r.error}`;
  if (scenario.type === 'idle')
    return `${fmt(r.connectRate)} conn/s (broker ${fmt(r.cpuUsPerConnect)} µs/conn, load gen ${r.genCpuPercent.toFixed(0)}%), ${r.kbPerConnection.toFixed(1)} KB/conn (${r.kbPerConnectionFromStart.toFixed(1)} from start), open ${r.open}, failed ${r.failed}`;
  let s = `${fmt(r.throughput)} msg/s, cpu ${r.cpuPercent.toFixed(0)}% (load gen ${r.genCpuPercent.toFixed(0)}%), peak RSS ${r.peakRssMB.toFixed(0)} MB, lost ${r.lost}, dup ${r.duplicates}`;
  if (r.p50 !== undefined) s += `, p50 ${r.p50.toFixed(2)} p99 ${r.p99.toFixed(2)} p999 ${r.p999.toFixed(2)} ms`;
  if (r.rssSlopeMBs !== undefined)
    s += `, RSS growth ${r.rssGrowthMB.toFixed(1)} MB (${r.rssSlopeMBs.toFixed(2)} MB/s late), slow sub closed ${r.slowDisconnected}`;
  return s;
}

function fmt(n) {
  if (!Number.isFinite(n)) return 'n/a';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function median(values) {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** The `p` quantile of every run's latency samples together (each array sorted ascending). */
function pooledPercentile(sampleArrays, p) {
  const arrays = sampleArrays.filter((a) => a !== undefined && a.length > 0);
  const total = arrays.reduce((n, a) => n + a.length, 0);
  if (total === 0) return Number.NaN;
  const all = new Float64Array(total);
  let o = 0;
  for (const a of arrays) {
    all.set(a, o);
    o += a.length;
  }
  all.sort();
  return all[Math.min(total - 1, Math.floor(p * total))];
}

/** Rows of the table: [label, key (or quantile), better: 'high' | 'low' | 'max' | 'info', how to combine runs (default median)]. */
function metrics(scenario) {
  if (scenario.type === 'idle') {
    return [
      ['connect rate (conn/s)', 'connectRate', 'high'],
      ['RSS per connection, 2k→10k slope (KB)', 'kbPerConnection', 'low'],
      ['RSS per connection, from start (KB)', 'kbPerConnectionFromStart', 'low'],
      ['broker RSS with all open (MB)', 'rssMB', 'low'],
      ['broker CPU per connect (µs)', 'cpuUsPerConnect', 'low'],
      ['load generator CPU while connecting (% of a core)', 'genCpuPercent', 'info'],
    ];
  }
  const rows = [];
  if (scenario.latency) {
    rows.push(
      ['latency p50 (ms), all runs pooled', 0.5, 'low', 'pooled'],
      ['latency p99 (ms), all runs pooled', 0.99, 'low', 'pooled'],
      ['latency p999 (ms), all runs pooled', 0.999, 'low', 'pooled'],
      ['latency p999 (ms), best run', 'p999', 'low', 'min'],
      ['latency p999 (ms), worst run', 'p999', 'low', 'worst'],
      ['latency samples (all runs)', 'samples', 'info', 'sum'],
    );
  }
  rows.push([scenario.latency ? 'delivered (msg/s)' : 'throughput (msg/s delivered)', 'throughput', 'high']);
  if (scenario.slowSubscribers)
    rows.push(
      ['RSS growth while measured (MB)', 'rssGrowthMB', 'low'],
      ['RSS slope, 2nd half (MB/s)', 'rssSlopeMBs', 'low'],
    );
  rows.push(
    ['broker CPU (% of a core)', 'cpuPercent', 'low'],
    ['load generator CPU (% of a core)', 'genCpuPercent', 'info'],
    ['broker CPU per msg (µs)', 'cpuUsPerMsg', 'low'],
    ['broker peak RSS (MB)', 'peakRssMB', 'low'],
  );
  rows.push(
    ['lost or undelivered after 3 s drain (max of runs)', 'lost', 'max'],
    ['duplicated (max of runs)', 'duplicates', 'max'],
  );
  return rows;
}

function printTable() {
  const cols = only.map((b) => BROKER_LABEL[b]);
  const ratios = only.includes('midge') ? only.filter((b) => b !== 'midge') : [];
  const header = ['scenario', 'metric', ...cols, ...ratios.map((b) => `Midge/${BROKER_LABEL[b]}`)];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const scenario of scenarios) {
    const perBroker = results[scenario.name] ?? {};
    let first = true;
    for (const [label, key, better, combine = 'median'] of metrics(scenario)) {
      const value = {};
      for (const b of only) {
        const runs = (perBroker[b] ?? []).filter((r) => r.error === undefined);
        if (runs.length === 0) value[b] = Number.NaN;
        else if (better === 'max') value[b] = Math.max(...runs.map((r) => r[key]));
        else if (combine === 'pooled')
          value[b] = pooledPercentile(
            runs.map((r) => r.latencySamples),
            key,
          );
        else if (combine === 'min') value[b] = Math.min(...runs.map((r) => r[key]));
        else if (combine === 'worst') value[b] = Math.max(...runs.map((r) => r[key]));
        else if (combine === 'sum') value[b] = runs.reduce((a, r) => a + r[key], 0);
        else value[b] = median(runs.map((r) => r[key]));
      }
      const cells = only.map((b) => {
        const errs = (perBroker[b] ?? []).filter((r) => r.error !== undefined);
        return Number.isFinite(value[b]) ? fmt(value[b]) : errs.length > 0 ? 'failed' : 'n/a';
      });
      const ratioCells = ratios.map((b) => {
        if (better === 'max' || better === 'info') return '';
        const r = value.midge / value[b];
        return Number.isFinite(r) && value[b] !== 0 ? `${r.toFixed(2)}x` : '';
      });
      lines.push(`| ${first ? scenario.name : ''} | ${label} | ${cells.join(' | ')} | ${ratioCells.join(' | ')} |`);
      first = false;
    }
  }
  console.log(lines.join('\n'));
  const errors = [];
  for (const scenario of scenarios) {
    for (const b of only) {
      for (const r of results[scenario.name]?.[b] ?? [])
        if (r.error !== undefined) errors.push(`${scenario.name} / ${BROKER_LABEL[b]}: ${r.error}`);
    }
  }
  if (errors.length > 0) console.log(`\nfailed runs:\n${[...new Set(errors)].map((e) => `- ${e}`).join('\n')}`);
}
