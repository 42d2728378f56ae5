// What a broker start costs on a large store: 1,000 offline sessions with 1,000 queued 100-byte messages each
// (1M in all) are written, the store is reopened, then read the ways a restore can read it. Build first
// (`pnpm --filter @midge/persistence-lmdb run build`); usage: node bench/restore.mjs [sessions] [per-session]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LmdbPersistence } from '../dist/index.js';

const SESSIONS = Number(process.argv[2] ?? 1000);
const PER_SESSION = Number(process.argv[3] ?? 1000);
const delivery = {
  message: { topic: 'fleet/update', payload: Buffer.alloc(100, 1), qos: 1, retain: false },
  qos: 1,
  retain: false,
};
const dir = mkdtempSync(join(tmpdir(), 'midge-lmdb-restore-'));

async function timed(what, run) {
  const t0 = performance.now();
  const result = await run();
  console.log(`${what.padEnd(48)} ${((performance.now() - t0) / 1000).toFixed(2).padStart(6)} s  ${result ?? ''}`);
  return result;
}

try {
  const seed = new LmdbPersistence({ path: dir, sync: 'none' });
  await seed.open();
  await timed(`write ${SESSIONS} sessions x ${PER_SESSION} queued`, async () => {
    for (let s = 0; s < SESSIONS; s++)
      await seed.saveSession({
        clientId: `device-${s}`,
        subscriptions: [{ topic: 'fleet/#', qos: 1 }],
        queue: [],
        inflight: [],
        inboundQos2: [],
        disconnectedAt: Date.now(),
        username: null,
        protocolVersion: 4,
      });
    // One message fanned out to every session per turn, as a QoS 1 publish to `fleet/update` queues it.
    for (let seq = 0; seq < PER_SESSION; seq++) {
      const writes = [];
      for (let s = 0; s < SESSIONS; s++) writes.push(seed.pushQueued(`device-${s}`, { seq, delivery }));
      await Promise.all(writes);
    }
    return `data.mdb ${(statSync(join(dir, 'data.mdb')).size / 1e6).toFixed(0)} MB`;
  });
  await seed.close();

  const store = new LmdbPersistence({ path: dir, sync: 'batch' });
  await timed('open', () => store.open());
  let sessions = [];
  await timed('listSessions(0): headers, subscriptions', async () => {
    sessions = await store.listSessions(0);
    return `${sessions.length.toLocaleString('en')} sessions`;
  });
  await timed('countQueued of every session', async () => {
    let n = 0;
    for (const s of sessions) n += await store.countQueued(s.clientId);
    return `${n.toLocaleString('en')} queued`;
  });
  await timed('listSessions(100): the first 100 of each queue', async () => {
    const list = await store.listSessions(100);
    return `${list.reduce((n, s) => n + s.queue.length, 0).toLocaleString('en')} deliveries decoded`;
  });
  await timed('listSessions(): every queue in full', async () => {
    const list = await store.listSessions();
    const heap = (process.memoryUsage().heapUsed / 1e6).toFixed(0);
    return `${list.reduce((n, s) => n + s.queue.length, 0).toLocaleString('en')} deliveries, heap ${heap} MB`;
  });
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
