// The broker benchmark's scenarios and the load generator that drives them. Everything runs in this
// process (pinned to CPU 1 by run.mjs); the broker under test is another process on CPU 0.
import process from 'node:process';
import { rssSampler, sleep } from './brokers.mjs';
import { IdleOpener } from './idle-opener.mjs';
import { PublishTemplate, WireClient } from './wire.mjs';

const range = (n) => Array.from({ length: n }, (_, i) => i);
const USER_PROPERTY = ['bench', 'midge'];

/**
 * Flow scenarios: publishers → broker → subscribers, closed loop (each publisher keeps at most `window`
 * messages not yet received by all of their subscribers, and at QoS 1 not yet PUBACKed), or paced at a
 * fixed `rate` (messages per second in total).
 */
export const SCENARIOS = [
  {
    name: 'fanin-qos0',
    title: 'fan-in 10 pub → 1 sub (+ wildcard), QoS 0',
    type: 'flow',
    publishers: range(10).map((i) => ({ topic: `bench/p${i}/data`, qos: 0, version: 4 })),
    subscribers: [{ filter: 'bench/+/data', qos: 0, version: 4 }],
    receiversOf: () => [0],
    window: 100,
  },
  {
    name: 'fanin-qos1',
    title: 'fan-in 10 pub → 1 sub (+ wildcard), QoS 1',
    type: 'flow',
    publishers: range(10).map((i) => ({ topic: `bench/p${i}/data`, qos: 1, version: 4 })),
    subscribers: [{ filter: 'bench/+/data', qos: 1, version: 4 }],
    receiversOf: () => [0],
    window: 50,
  },
  {
    // Issue 12's durable fan-in: fanin-qos1 with a persistent subscriber (clean=false, one client id for the
    // whole run) and every broker persisting what it can (`durable`: brokers.mjs gives Midge a store with
    // `sync: batch` and Mosquitto `persistence true`; Aedes has only its in-memory persistence). run.mjs adds
    // Midge without a store on the same load, for the durable / in-memory ratio.
    name: 'fanin-q1-durable',
    title: 'fan-in 10 pub → 1 persistent sub (+ wildcard), QoS 1, broker persisting',
    type: 'flow',
    publishers: range(10).map((i) => ({ topic: `bench/p${i}/data`, qos: 1, version: 4 })),
    subscribers: [{ filter: 'bench/+/data', qos: 1, version: 4, persistent: true }],
    receiversOf: () => [0],
    window: 50,
    durable: true,
  },
  {
    name: 'fanin-qos1-v5',
    title: 'fan-in 10 pub → 1 sub, QoS 1, MQTT 5 + user property',
    type: 'flow',
    publishers: range(10).map((i) => ({ topic: `bench/p${i}/data`, qos: 1, version: 5, userProperty: USER_PROPERTY })),
    subscribers: [{ filter: 'bench/+/data', qos: 1, version: 5 }],
    receiversOf: () => [0],
    window: 50,
  },
  {
    name: 'fanout-qos0',
    title: 'fan-out 1 pub → 50 sub, QoS 0',
    type: 'flow',
    publishers: [{ topic: 'bench/fanout', qos: 0, version: 4 }],
    subscribers: range(50).map(() => ({ filter: 'bench/fanout', qos: 0, version: 4 })),
    receiversOf: () => range(50),
    window: 100,
  },
  {
    name: 'pairs-qos0',
    title: '20 pub/sub pairs, QoS 0',
    type: 'flow',
    publishers: range(20).map((i) => ({ topic: `bench/pair/${i}`, qos: 0, version: 4 })),
    subscribers: range(20).map((i) => ({ filter: `bench/pair/${i}`, qos: 0, version: 4 })),
    receiversOf: (i) => [i],
    window: 100,
  },
  {
    name: 'latency-5k',
    title: 'latency, 1 pub → 1 sub at 5,000 msg/s, QoS 0',
    type: 'flow',
    publishers: [{ topic: 'bench/latency', qos: 0, version: 4 }],
    subscribers: [{ filter: 'bench/latency', qos: 0, version: 4 }],
    receiversOf: () => [0],
    rate: 5000,
    window: 5000,
    latency: true,
    // Three times the usual measure time (75,000 samples a run at the defaults): the 99.9th percentile
    // is set by rare events, and run.mjs pools the samples of all runs before taking percentiles.
    measureFactor: 3,
    // A steady-state figure: a Node broker's first full GC (old generation reaching V8's initial limit,
    // 2-3 s after start, one stall of up to 10 ms) must fall in the warm-up, not in the measurement.
    minWarmupMs: 5000,
  },
  {
    name: 'idle-10k',
    title: '10,000 idle connections',
    type: 'idle',
    count: 10_000,
    // Connects in flight. Not more than 100: Mosquitto listens with a backlog of 100, and a full accept
    // queue makes the kernel drop SYNs, which are retried after a second (Midge and Aedes: 511).
    concurrency: 100,
  },
  {
    name: 'slow-reader',
    title: 'slow reader: 1 pub → 1 sub + 1 sub that stops reading, QoS 0',
    type: 'flow',
    publishers: [{ topic: 'bench/slow', qos: 0, version: 4 }],
    subscribers: [{ filter: 'bench/slow', qos: 0, version: 4 }],
    slowSubscribers: 1,
    receiversOf: () => [0],
    window: 100,
    // Twice the usual measure time, so a broker that buffers without bound shows it.
    measureFactor: 2,
  },
];

export function runScenario(broker, scenario, timing) {
  return scenario.type === 'idle' ? runIdle(broker, scenario, timing) : runFlow(broker, scenario, timing);
}

async function runFlow(broker, spec, { warmupMs, measureMs, drainMs = 3000 }) {
  // A cluster (cluster.mjs) lists its nodes' ports: a client's `node` picks one (default the first).
  const portOf = (client) => broker.ports?.[client.node ?? 0] ?? broker.port;
  const nP = spec.publishers.length;
  const nS = spec.subscribers.length;
  const receivers = range(nP).map((i) => spec.receiversOf(i));
  const fanout = receivers.map((r) => r.length);
  const expected = range(nP).map(() => new Uint32Array(nS));
  const sent = new Float64Array(nP);
  const delivered = new Float64Array(nP);
  const acked = new Float64Array(nP);
  let totalDelivered = 0;
  let lost = 0;
  let duplicates = 0;
  let measuring = false;
  let running = false;
  const latencies = spec.latency
    ? new Float64Array(Math.ceil((spec.rate * (measureMs * (spec.measureFactor ?? 1) + 1000)) / 1000))
    : undefined;
  let nLat = 0;
  const clients = [];
  const tag = `${spec.name}-${process.pid}-${Date.now() % 100000}`;

  let pumpScheduled = false;
  const schedulePump = () => {
    if (pumpScheduled || !running || spec.rate !== undefined) return;
    pumpScheduled = true;
    setImmediate(pumpAll);
  };

  const subscribers = spec.subscribers.map((s, subIdx) => {
    const c = new WireClient(portOf(s), {
      version: s.version,
      clientId: `${tag}-s${subIdx}`,
      clean: s.persistent !== true,
      onPublish(pubIdx, seq, sentAt) {
        if (pubIdx >= nP) return;
        delivered[pubIdx]++;
        totalDelivered++;
        const exp = expected[pubIdx];
        const e = exp[subIdx];
        if (seq === e) exp[subIdx] = e + 1;
        else if (seq > e) {
          lost += seq - e;
          exp[subIdx] = seq + 1;
        } else duplicates++;
        if (latencies !== undefined && measuring && nLat < latencies.length)
          latencies[nLat++] = performance.now() - sentAt;
      },
      onChunkDone: schedulePump,
    });
    clients.push(c);
    return c;
  });
  const slow = range(spec.slowSubscribers ?? 0).map((k) => {
    const c = new WireClient(portOf({}), { version: 4, clientId: `${tag}-slow${k}`, onPublish() {} });
    clients.push(c);
    return c;
  });
  const publishers = spec.publishers.map((p, pubIdx) => {
    const c = new WireClient(portOf(p), {
      version: p.version,
      clientId: `${tag}-p${pubIdx}`,
      onPublish() {},
      onPuback(n) {
        acked[pubIdx] += n;
        schedulePump();
      },
    });
    clients.push(c);
    return { client: c, template: new PublishTemplate(p), qos: p.qos };
  });

  const sendBatch = (i, count) => {
    const p = publishers[i];
    p.client.write(p.template.batch(count, i, sent[i], sent[i] + 1, performance.now()));
    sent[i] += count;
  };
  const window = spec.window;
  const MAX_BATCH = 64;
  function pumpAll() {
    pumpScheduled = false;
    if (!running) return;
    for (let i = 0; i < nP; i++) {
      const f = fanout[i];
      let room = window - Math.ceil((sent[i] * f - delivered[i]) / f);
      if (publishers[i].qos > 0) room = Math.min(room, window - (sent[i] - acked[i]));
      while (room > 0) {
        const n = room > MAX_BATCH ? MAX_BATCH : room;
        sendBatch(i, n);
        room -= n;
      }
    }
  }

  try {
    await Promise.all(clients.map((c) => c.connect()));
    await Promise.all(spec.subscribers.map((s, i) => subscribers[i].subscribe(s.filter, s.qos)));
    await Promise.all(slow.map((c) => c.subscribe(spec.subscribers[0].filter, 0)));
    // The slow subscribers stop reading: the kernel buffers fill, then the broker's.
    for (const c of slow) c.socket.pause();

    let pacer;
    const t0 = performance.now();
    running = true;
    if (spec.rate !== undefined) {
      // Paced: every millisecond, send what is due by now (a closed-loop cap keeps a stalled broker bounded).
      const perMs = spec.rate / 1000;
      pacer = setInterval(() => {
        const due = Math.floor((performance.now() - t0) * perMs) - sent[0];
        const outstanding = sent[0] * fanout[0] - delivered[0];
        if (due > 0 && outstanding < window * fanout[0]) sendBatch(0, due);
      }, 1);
    } else pumpAll();

    await sleep(Math.max(warmupMs, spec.minWarmupMs ?? 0));
    const cpu0 = broker.cpuSeconds();
    const d0 = totalDelivered;
    const rssStart = broker.rss();
    const disk0 = broker.diskWriteBytes();
    const sampler = rssSampler(broker, 100);
    const m0 = performance.now();
    const gen0 = process.cpuUsage();
    measuring = true;
    await sleep(measureMs * (spec.measureFactor ?? 1));
    measuring = false;
    const m1 = performance.now();
    const gen1 = process.cpuUsage(gen0);
    const d1 = totalDelivered;
    const cpu1 = broker.cpuSeconds();
    const disk1 = broker.diskWriteBytes();
    const peakRss = sampler.stop();
    const rssEnd = broker.rss();
    running = false;
    if (pacer !== undefined) clearInterval(pacer);

    // Drain: wait for every sent message to arrive (and be acknowledged), then count what never did.
    const drainStart = performance.now();
    const settled = () => {
      for (let i = 0; i < nP; i++) {
        if (delivered[i] < sent[i] * fanout[i]) return false;
        if (publishers[i].qos > 0 && acked[i] < sent[i]) return false;
      }
      return true;
    };
    while (!settled() && performance.now() - drainStart < drainMs) await sleep(20);
    let tailLost = 0;
    for (let i = 0; i < nP; i++) for (const s of receivers[i]) tailLost += Math.max(0, sent[i] - expected[i][s]);
    const seconds = (m1 - m0) / 1000;
    const deliveries = d1 - d0;
    const result = {
      throughput: deliveries / seconds,
      cpuPercent: ((cpu1 - cpu0) / seconds) * 100,
      cpuUsPerMsg: deliveries > 0 ? ((cpu1 - cpu0) * 1e6) / deliveries : Number.NaN,
      // The load generator's own CPU (this process): near 100 means it, not the broker, set the pace.
      genCpuPercent: (gen1.user + gen1.system) / 1e4 / seconds,
      peakRssMB: peakRss / 1048576,
      rssGrowthMB: (peakRss - rssStart) / 1048576,
      rssEndMB: rssEnd / 1048576,
      // Bytes the broker caused to be written to storage (write_bytes of /proc/<pid>/io, all its threads).
      diskWriteMBs: (disk1 - disk0) / 1048576 / seconds,
      sent: sent.reduce((a, b) => a + b, 0),
      lost: lost + tailLost,
      duplicates,
      brokerAlive: broker.alive(),
    };
    if (latencies !== undefined) {
      const l = latencies.subarray(0, nLat).sort();
      const pick = (p) => (nLat === 0 ? Number.NaN : l[Math.min(nLat - 1, Math.floor(p * nLat))]);
      Object.assign(result, {
        p50: pick(0.5),
        p99: pick(0.99),
        p999: pick(0.999),
        max: nLat === 0 ? Number.NaN : l[nLat - 1],
        samples: nLat,
      });
      // Every sample (sorted), for percentiles over all runs pooled; not enumerable, so --json leaves it out.
      Object.defineProperty(result, 'latencySamples', { value: l, enumerable: false });
    }
    if (slow.length > 0) {
      result.slowDisconnected = slow.filter((c) => c.closed || c.socket.destroyed).length;
      // Growth over the second half of the measure window: ~0 when the broker bounds the slow reader.
      const s = sampler.samples;
      const half = s.filter(([t]) => t >= m0 + (m1 - m0) / 2);
      if (half.length >= 2) {
        result.rssSlopeMBs =
          (half[half.length - 1][1] - half[0][1]) / 1048576 / ((half[half.length - 1][0] - half[0][0]) / 1000);
      }
    }
    return result;
  } finally {
    running = false;
    for (const c of clients) c.destroy();
  }
}

/**
 * Opens `count` connections (at most `concurrency` connecting at once), each CONNECT + CONNACK, then idles.
 * RSS per connection is the slope between 20 % and 100 % of the connections (after a settle pause each), so
 * fixed costs that show up with the first connections (the V8 young generation growing, code compiled)
 * are not charged per connection; the cost from start is reported too.
 */
async function runIdle(broker, spec, { idleCount }) {
  const count = idleCount ?? spec.count;
  const first = Math.round(count * 0.2);
  const port = broker.port;
  await sleep(300);
  const rss0 = broker.rss();
  const opener = new IdleOpener(port, `idle-${process.pid}-${Date.now() % 100000}`, spec.concurrency);
  try {
    const cpu0 = broker.cpuSeconds();
    const gen0 = process.cpuUsage();
    let ms = await opener.openUpTo(first);
    const genA = process.cpuUsage(gen0);
    const cpuA = broker.cpuSeconds();
    await sleep(1000);
    const rss1 = broker.rss();
    const open1 = opener.open;
    const cpuMid0 = broker.cpuSeconds();
    const gen1 = process.cpuUsage();
    ms += await opener.openUpTo(count);
    const genB = process.cpuUsage(gen1);
    const cpu1 = broker.cpuSeconds();
    // Let the broker settle (a GC may run), then read its RSS with every connection open.
    await sleep(1500);
    const rss2 = broker.rss();
    const open = opener.open;
    const failed = opener.failed;
    // Broker CPU while connecting only (not during the pause between the two phases).
    const connectCpu = cpuA - cpu0 + (cpu1 - cpuMid0);
    return {
      connectRate: (count - failed) / (ms / 1000),
      kbPerConnection: (rss2 - rss1) / 1024 / Math.max(1, open - open1),
      kbPerConnectionFromStart: (rss2 - rss0) / 1024 / Math.max(1, open),
      baseRssMB: rss0 / 1048576,
      rssMB: rss2 / 1048576,
      connectCpuSeconds: connectCpu,
      cpuUsPerConnect: (connectCpu * 1e6) / count,
      genCpuPercent: (genA.user + genA.system + genB.user + genB.system) / 10 / ms,
      failed,
      open,
      brokerAlive: broker.alive(),
    };
  } finally {
    opener.destroyAll();
  }
}
