import type { PersistedDelivery } from '@midge/mqtt-core';
import { open } from 'lmdb';
import { describe, expect, it } from 'vitest';
import { LmdbPersistence } from '../src/index.js';
import { tempDir } from './temp-dirs.js';

/**
 * The queue table against a model (a sorted list per client), over seeded random sequences of what a broker does
 * to persistent sessions' queues: pushes in bursts, removals from the head and from anywhere, connects and
 * disconnects (packing starts and stops), reads from any point, and reopening the store. Whatever the packing did,
 * every read must give the model's answer.
 */

function delivery(client: string, seq: number): PersistedDelivery {
  // Sizes vary so chunks hold different counts; some are too large for a chunk.
  const size = seq % 97 === 0 ? 5000 : 20 + ((seq * 37) % 200);
  const payload = Buffer.alloc(size, seq & 0xff);
  payload.write(`${client}:${seq}`);
  return { message: { topic: `q/${client}`, payload, qos: 1, retain: false }, qos: 1, retain: false };
}

/** mulberry32: a small seeded generator, so a failure names its seed and replays. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CLIENTS = ['a', 'b', 'c'];

async function run(seed: number): Promise<void> {
  const rnd = random(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const dir = tempDir(`model-${seed}`);
  let store = new LmdbPersistence({ path: dir, sync: 'batch' });
  await store.open();
  const seen = { chunks: 0, markers: 0 };
  const model = new Map<string, number[]>();
  const next = new Map<string, number>();
  for (const c of CLIENTS) {
    await store.saveSession({
      clientId: c,
      subscriptions: [],
      queue: [],
      inflight: [],
      inboundQos2: [],
      disconnectedAt: 1,
    });
    model.set(c, []);
    next.set(c, 0);
  }
  for (let step = 0; step < 400; step++) {
    const c = pick(CLIENTS);
    const q = model.get(c) as number[];
    const r = rnd();
    const where = `seed ${seed}, step ${step}, client ${c}`;
    if (r < 0.45) {
      // A burst of pushes in one turn (sometimes a gap: a delivery dropped before it was queued).
      const n = 1 + Math.floor(rnd() * 30);
      const writes: Promise<void>[] = [];
      for (let i = 0; i < n; i++) {
        let seq = next.get(c) as number;
        if (rnd() < 0.05) seq++;
        next.set(c, seq + 1);
        writes.push(store.pushQueued(c, { seq, delivery: delivery(c, seq) }));
        q.push(seq);
      }
      await Promise.all(writes);
    } else if (r < 0.65 && q.length > 0) {
      // Sent or dropped from the head, a few in one turn.
      const n = Math.min(q.length, 1 + Math.floor(rnd() * 20));
      await Promise.all(q.splice(0, n).map((seq) => store.deleteQueued(c, seq)));
    } else if (r < 0.72 && q.length > 0) {
      // Removed from anywhere (expired), twice sometimes.
      const [seq] = q.splice(Math.floor(rnd() * q.length), 1) as [number];
      await store.deleteQueued(c, seq);
      if (rnd() < 0.3) await store.deleteQueued(c, seq);
    } else if (r < 0.8) {
      await store.updateSession(c, { disconnectedAt: rnd() < 0.5 ? null : Date.now() });
    } else if (r < 0.97) {
      const after = q.length === 0 || rnd() < 0.3 ? -1 : (q[Math.floor(rnd() * q.length)] as number);
      const max = 1 + Math.floor(rnd() * 80);
      const got = await store.listQueued(c, after, max);
      expect(
        got.map((e) => e.seq),
        where,
      ).toEqual(q.filter((s) => s > after).slice(0, max));
      for (const e of got) expect(e.delivery, where).toEqual(delivery(c, e.seq));
      expect(await store.countQueued(c), where).toBe(q.length);
    } else {
      await store.close();
      shapes(dir, seen);
      store = new LmdbPersistence({ path: dir, sync: 'batch' });
      await store.open();
    }
  }
  for (const c of CLIENTS) {
    expect(
      (await store.listQueued(c, -1, 1e9)).map((e) => e.seq),
      `seed ${seed}, at the end`,
    ).toEqual(model.get(c));
  }
  await store.close();
  shapes(dir, seen);
  // The sequences did pack deliveries and remove some from chunks (or they tested one key per delivery only).
  expect(seen.chunks, `seed ${seed}: chunks seen at the reopens`).toBeGreaterThan(0);
  expect(seen.markers, `seed ${seed}: removed markers seen at the reopens`).toBeGreaterThan(0);
}

/** Adds the chunk and marker keys the closed store's queue table holds to `seen`. */
function shapes(dir: string, seen: { chunks: number; markers: number }): void {
  const root = open({ path: dir, maxDbs: 12, readOnly: true });
  for (const key of root.openDB({ name: 'queue' }).getKeys()) {
    const length = (key as unknown[]).length;
    if (length === 4) seen.chunks++;
    else if (length === 3) seen.markers++;
  }
  void root.close();
}

describe('the queue table against a model', () => {
  for (const seed of [1, 2, 3, 4, 5, 6])
    it(`gives the model's answers over 400 random steps (seed ${seed})`, async () => {
      await expect(run(seed)).resolves.toBeUndefined();
    });
});
