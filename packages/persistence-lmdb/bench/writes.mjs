// Write rates of @midge/persistence-lmdb per sync mode: queue entries of a 100-byte message, issued 100 per
// event-loop turn (a burst of QoS 1 publishes to a persistent subscriber), each awaited as the broker awaits
// before PUBACK. Build first (`pnpm --filter @midge/persistence-lmdb run build`). Prints one line per mode.
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

for (const sync of ['batch', 'always', 'none']) {
  const dir = mkdtempSync(join(tmpdir(), `midge-lmdb-bench-${sync}-`));
  const store = new LmdbPersistence({ path: dir, sync });
  await store.open();
  await store.saveSession({ clientId: 'c', subscriptions: [], queue: [], inflight: [], inboundQos2: [] });
  let seq = 0;
  const started = performance.now();
  const latencies = [];
  while (performance.now() - started < SECONDS * 1000) {
    const t0 = performance.now();
    const burst = [];
    for (let i = 0; i < 100; i++) burst.push(store.pushQueued('c', { seq: seq++, delivery }));
    await Promise.all(burst);
    latencies.push(performance.now() - t0);
  }
  const elapsed = (performance.now() - started) / 1000;
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  latencies.sort((a, b) => a - b);
  const p50 = latencies[latencies.length >> 1] ?? 0;
  console.log(
    `sync: ${sync.padEnd(6)} ${Math.round(seq / elapsed)
      .toLocaleString('en')
      .padStart(9)} writes/s  (bursts of 100; burst confirmed in p50 ${p50.toFixed(2)} ms)`,
  );
}
