// Write rates of @midge/persistence-lmdb per sync mode, single process: queue entries of a 100-byte message, as
// the broker writes them for a persistent subscriber, each write's promise awaited as the broker awaits it
// before PUBACK. Three load shapes:
//   serial 1    one write per turn, awaited before the next (one publisher, one message at a time)
//   serial 100  100 writes in one turn, all awaited before the next burst (a burst of publishes)
//   pipelined   20 writes per turn, a new burst every turn while up to 50 bursts wait (many publishers)
// Build first (`pnpm --filter @midge/persistence-lmdb run build`); usage: node bench/writes.mjs [seconds]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbPersistence } from '../dist/index.js';

const SECONDS = Number(process.argv[2] ?? 2);
const delivery = {
  message: { topic: 'bench/t', payload: Buffer.alloc(100, 1), qos: 1, retain: false },
  qos: 1,
  retain: false,
};

async function withStore(sync, run) {
  const dir = mkdtempSync(join(tmpdir(), `midge-lmdb-bench-${sync}-`));
  const store = new LmdbPersistence({ path: dir, sync });
  await store.open();
  await store.saveSession({ clientId: 'c', subscriptions: [], queue: [], inflight: [], inboundQos2: [] });
  try {
    return await run(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Bursts of `size` writes, each burst awaited before the next. */
function serial(size) {
  return async (store) => {
    let seq = 0;
    const latencies = [];
    const started = performance.now();
    while (performance.now() - started < SECONDS * 1000) {
      const t0 = performance.now();
      const burst = [];
      for (let i = 0; i < size; i++) burst.push(store.pushQueued('c', { seq: seq++, delivery }));
      await Promise.all(burst);
      latencies.push(performance.now() - t0);
    }
    return result(seq, started, latencies);
  };
}

/** A burst of 20 writes every turn, up to 50 bursts waiting for their confirmation. */
async function pipelined(store) {
  let seq = 0;
  let waiting = 0;
  let confirmed = 0;
  const latencies = [];
  const started = performance.now();
  await new Promise((resolve) => {
    const turn = () => {
      if (performance.now() - started >= SECONDS * 1000) {
        if (waiting === 0) resolve();
        else setImmediate(turn);
        return;
      }
      if (waiting < 50) {
        waiting++;
        const t0 = performance.now();
        const burst = [];
        for (let i = 0; i < 20; i++) burst.push(store.pushQueued('c', { seq: seq++, delivery }));
        void Promise.all(burst).then(() => {
          waiting--;
          confirmed += 20;
          latencies.push(performance.now() - t0);
        });
      }
      setImmediate(turn);
    };
    turn();
  });
  return result(confirmed, started, latencies);
}

function result(writes, started, latencies) {
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * q))] ?? 0;
  return { rate: writes / elapsed, p50: at(0.5), p99: at(0.99) };
}

const shapes = [
  ['serial 1', serial(1)],
  ['serial 100', serial(100)],
  ['pipelined', pipelined],
];
console.log(`node ${process.version}, ${SECONDS} s per run, 100-byte payloads`);
console.log('sync    shape        writes/s   confirmed in (p50 / p99)');
for (const sync of ['batch', 'always', 'none'])
  for (const [name, shape] of shapes) {
    const { rate, p50, p99 } = await withStore(sync, shape);
    console.log(
      `${sync.padEnd(7)} ${name.padEnd(11)} ${Math.round(rate).toLocaleString('en').padStart(9)}   ${p50.toFixed(2)} / ${p99.toFixed(2)} ms`,
    );
  }
