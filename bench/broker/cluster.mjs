// The cluster benchmark (issue 13): Midge nodes joined by @midge/plugin-cluster-nats (on a real
// nats-server), beside one Midge node, in the same run, on this machine. Built packages (pnpm run build
// first). The retired @midge/plugin-bus-redis was measured beside them until it was removed: its figures
// are in bench/README.md.
//
//   node bench/broker/cluster.mjs                 # 3 runs per case, 2 s warm-up, 5 s measured
//   node bench/broker/cluster.mjs --runs 1 --measure 2
//   node bench/broker/cluster.mjs --case durable  # one case: fan-out, latency, idle or durable
//
// Cases (the load generator is this process):
//   fan-out   1 publisher on A → 50 subscribers: all on the one node, or 25 on A + 25 on B
//   latency   paced at 5k msg/s, 1 publisher on A, 1 subscriber on A (same node) or on B (cross node)
//   idle node 1 publisher on A → 50 subscribers on B, a node C with no subscriber: C's CPU
//   durable   QoS 1, 10 publishers on A → 1 persistent subscriber on B, persistent_sessions off and on
// Nothing is pinned: the nodes, the NATS server and the load generator share both CPUs, which is
// what a cluster on this 2-core machine has; the single node runs unpinned too, for a fair comparison.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { cpuSeconds, freePort, sleep, startBroker } from './brokers.mjs';
import { runScenario } from './scenarios.mjs';

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const RUNS = Number(option('--runs') ?? 3);
const MEASURE_MS = Number(option('--measure') ?? 5) * 1000;
const WARMUP_MS = Number(option('--warmup') ?? 2) * 1000;
const NATS_SERVER = '/usr/sbin/nats-server';
/** `--case fan-out|latency|idle|durable`: only that case (all of them by default). */
const CASE = option('--case');
const runs = (name) => CASE === undefined || CASE === name;

const range = (n) => Array.from({ length: n }, (_, i) => i);

/** A nats-server process (JetStream on) on a free port, stopped with SIGTERM. */
async function startServer(kind) {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), `bench-${kind}-`));
  const argv = [NATS_SERVER, '-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir];
  const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = new net.Socket();
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.connect(port, '127.0.0.1');
    });
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`${kind} did not listen on ${port}`);
    await sleep(50);
  }
  return {
    port,
    cpuSeconds: () => cpuSeconds(child.pid),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Plugins of node `name` of a cluster on the nats-server on `port`; `extra`: more plugin options. */
function pluginsOf(name, port, extra = {}) {
  return {
    '@midge/plugin-cluster-nats': { servers: `nats://127.0.0.1:${port}`, node: name, sys_interval: 0, ...extra },
  };
}

/**
 * `nodes` Midge processes: one plain node ('single'), or nodes of a cluster on a fresh server. Returns a
 * broker object for runScenario (`ports`: the nodes' ports; CPU and RSS summed over the nodes) and `stop`.
 */
async function startCluster(kind, nodes, extra = {}) {
  const server = kind === 'single' ? undefined : await startServer(kind);
  const brokers = [];
  try {
    for (const name of range(nodes).map((i) => String.fromCharCode(97 + i))) {
      const serverArgs = kind === 'single' ? ['{}'] : [JSON.stringify(pluginsOf(name, server.port, extra))];
      brokers.push(await startBroker('midge-cluster', { serverArgs, pin: false }));
    }
  } catch (err) {
    await Promise.all(brokers.map((b) => b.stop()));
    await server?.stop();
    throw err;
  }
  // Let the nodes see each other's subscriptions before measuring (runScenario subscribes, then warms up).
  const sum = (f) => brokers.reduce((acc, b) => acc + f(b), 0);
  return {
    brokers,
    server,
    broker: {
      port: brokers[0].port,
      ports: brokers.map((b) => b.port),
      cpuSeconds: () => sum((b) => b.cpuSeconds()),
      rss: () => sum((b) => b.rss()),
      diskWriteBytes: () => 0,
      alive: () => brokers.every((b) => b.alive()),
    },
    async stop() {
      await Promise.all(brokers.map((b) => b.stop()));
      await server?.stop();
    },
  };
}

/** Messages a publisher may have out (not yet received by all its subscribers): BENCH_WINDOW, default 1000. */
const WINDOW = Number(process.env.BENCH_WINDOW ?? 1000);

const fanout = (split) => ({
  name: `fanout-${split ? 'split' : 'one'}`,
  type: 'flow',
  publishers: [{ topic: 'bench/fan', qos: 0, version: 4, node: 0 }],
  subscribers: range(50).map((i) => ({ filter: 'bench/fan', qos: 0, version: 4, node: split && i % 2 === 1 ? 1 : 0 })),
  receiversOf: () => range(50),
  window: WINDOW,
});

const latency = (subscriberNode) => ({
  name: `latency-${subscriberNode === 0 ? 'same' : 'cross'}`,
  type: 'flow',
  publishers: [{ topic: 'bench/lat', qos: 0, version: 4, node: 0 }],
  subscribers: [{ filter: 'bench/lat', qos: 0, version: 4, node: subscriberNode }],
  receiversOf: () => [0],
  window: 1000,
  rate: 5000,
  latency: true,
});

const toB = {
  name: 'fanout-to-b',
  type: 'flow',
  publishers: [{ topic: 'bench/fan', qos: 0, version: 4, node: 0 }],
  subscribers: range(50).map(() => ({ filter: 'bench/fan', qos: 0, version: 4, node: 1 })),
  receiversOf: () => range(50),
  window: WINDOW,
};

// QoS 1 fan-in across nodes to a persistent session: with persistent_sessions each message is stored in
// JetStream before its PUBACK (what a session that outlives its node costs), without it it only crosses.
const durableCross = {
  name: 'durable-cross',
  type: 'flow',
  publishers: range(10).map((i) => ({ topic: `bench/p${i}/data`, qos: 1, version: 4, node: 0 })),
  subscribers: [{ filter: 'bench/+/data', qos: 1, version: 4, persistent: true, node: 1 }],
  receiversOf: () => [0],
  window: 50,
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)];
};
const fmt = (n, digits = 0) =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits }) : '-';

/**
 * Runs `scenario` RUNS times on fresh processes of `kind` with `nodes` nodes; `extra(cluster)` adds figures,
 * `plugin` adds options of the cluster plugin.
 */
async function measure(kind, nodes, scenario, extra, plugin = {}) {
  const results = [];
  for (let r = 0; r < RUNS; r++) {
    const cluster = await startCluster(kind, nodes, plugin);
    try {
      // The nodes must know each other's subscriptions before load: runScenario warms up after subscribing.
      await sleep(300);
      const before = cluster.brokers.map((b) => b.cpuSeconds());
      const serverBefore = cluster.server?.cpuSeconds() ?? 0;
      const t0 = performance.now();
      const result = await runScenario(cluster.broker, scenario, { warmupMs: WARMUP_MS, measureMs: MEASURE_MS });
      const seconds = (performance.now() - t0) / 1000;
      // Over the whole scenario (connect, warm-up, measure, drain): shares, not rates.
      result.nodeCpuPercent = cluster.brokers.map((b, i) => ((b.cpuSeconds() - before[i]) / seconds) * 100);
      result.serverCpuPercent = (((cluster.server?.cpuSeconds() ?? 0) - serverBefore) / seconds) * 100;
      if (extra !== undefined) Object.assign(result, extra(result));
      results.push(result);
    } finally {
      await cluster.stop();
    }
  }
  return results;
}

const out = [];
const line = (s) => {
  out.push(s);
  process.stdout.write(`${s}\n`);
};

line(
  `cluster benchmark, ${RUNS} run(s) per case, warm-up ${WARMUP_MS / 1000} s, measure ${MEASURE_MS / 1000} s, ${os.cpus().length} CPUs, load ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);

// 1. Fan-out throughput: aggregate deliveries per second.
if (runs('fan-out')) {
  const fan = {
    single: await measure('single', 1, fanout(false)),
    nats: await measure('nats', 2, fanout(true)),
  };
  line('\nfan-out 1 pub → 50 sub, QoS 0 (deliveries/s, median; lost / duplicates summed over runs)');
  for (const [k, rs] of Object.entries(fan))
    line(
      `  ${k.padEnd(7)} ${fmt(median(rs.map((r) => r.throughput))).padStart(10)}  ` +
        `CPU: nodes ${rs[0].nodeCpuPercent.map((c) => fmt(c)).join(' / ')} %, server ${fmt(rs[0].serverCpuPercent)} %, load generator ${fmt(rs[0].genCpuPercent)} %  lost ${rs.reduce((a, r) => a + r.lost, 0)}  dup ${rs.reduce((a, r) => a + r.duplicates, 0)}`,
    );
  const single = median(fan.single.map((r) => r.throughput));
  line(
    `  NATS cluster / single node: ${(median(fan.nats.map((r) => r.throughput)) / single).toFixed(2)}x (target ≥ 1.5x)`,
  );
}

// 2. Latency at 5k msg/s, same node vs cross node.
if (runs('latency')) {
  line('\nlatency at 5k msg/s, QoS 0 (ms, median of runs)');
  const lat = {};
  for (const kind of ['nats']) {
    for (const node of [0, 1]) {
      const rs = await measure(kind, 2, latency(node));
      lat[`${kind}-${node}`] = rs;
      line(
        `  ${kind.padEnd(5)} ${node === 0 ? 'same node ' : 'cross node'}  p50 ${fmt(median(rs.map((r) => r.p50)), 2)}  p99 ${fmt(median(rs.map((r) => r.p99)), 2)}  p99.9 ${fmt(median(rs.map((r) => r.p999)), 2)}`,
      );
    }
    const ratio = median(lat[`${kind}-1`].map((r) => r.p99)) / median(lat[`${kind}-0`].map((r) => r.p99));
    line(`  ${kind} cross-node p99 / same-node p99: ${ratio.toFixed(2)}x${kind === 'nats' ? ' (target ≤ 2x)' : ''}`);
  }
}

// 3. A node with no subscriber while the others carry the load; the publishing node's cost per message.
if (runs('idle')) {
  line('\nidle node: 1 pub on A → 50 sub on B, node C without subscribers (CPU %, median)');
  for (const kind of ['nats']) {
    const rs = await measure(kind, 3, toB);
    const rate = median(rs.map((r) => r.throughput));
    const cpu = (i) => median(rs.map((r) => r.nodeCpuPercent[i]));
    const aUsPerMsg = (cpu(0) / 100 / (rate / 50)) * 1e6;
    line(
      `  ${kind.padEnd(5)} ${fmt(rate)} deliveries/s (${fmt(rate / 50)} msg/s published)  A ${fmt(cpu(0))} %  B ${fmt(cpu(1))} %  C ${fmt(cpu(2), 1)} % (target ≤ 5 %)  A: ${fmt(aUsPerMsg, 1)} µs per published message`,
    );
  }
}

// 4. What persistent sessions in JetStream cost: QoS 1 fan-in from A to a persistent subscriber on B.
if (runs('durable')) {
  line('\nQoS 1 fan-in 10 pub on A → 1 persistent sub on B (messages/s, median)');
  const stored = {};
  for (const persistent of [false, true]) {
    const rs = await measure('nats', 2, durableCross, undefined, { persistent_sessions: persistent });
    stored[String(persistent)] = median(rs.map((r) => r.throughput));
    line(
      `  persistent_sessions: ${String(persistent).padEnd(5)} ${fmt(stored[String(persistent)]).padStart(8)}  ` +
        `CPU: nodes ${rs[0].nodeCpuPercent.map((c) => fmt(c)).join(' / ')} %, server ${fmt(rs[0].serverCpuPercent)} %  lost ${rs.reduce((a, r) => a + r.lost, 0)}  dup ${rs.reduce((a, r) => a + r.duplicates, 0)}`,
    );
  }
  line(`  stored in JetStream / not stored: ${(stored.true / stored.false).toFixed(2)}x`);
}
