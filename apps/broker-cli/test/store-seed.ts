/** A store as a broker leaves it, written through @midge/persistence-lmdb: what the `midge store` tests read. */
import type { PersistedDelivery } from '@midge/mqtt-core';
import { LmdbPersistence } from '@midge/persistence-lmdb';

/** When the seeded sessions disconnected (epoch ms, fixed so the output can be compared). */
export const DISCONNECTED_AT = Date.UTC(2026, 0, 2, 3, 4, 5);

function delivery(topic: string, bytes: number): PersistedDelivery {
  return { message: { topic, payload: Buffer.alloc(bytes, 1), qos: 1, retain: false }, qos: 1, retain: false };
}

/**
 * Writes, into `dir`: session `alice-laptop` (alice, v5, 2 subscriptions, 25 queued messages of 100 bytes,
 * one inflight, inbound QoS 2 id 7, a delayed will), session `sensor-1` (anonymous, v3.1.1, connected),
 * session `bulk` with `bulk` queued messages of 4 KiB (none when 0), and retained `config/a` (10 bytes) and
 * `status/alice` (3 bytes).
 */
export async function seedStore(dir: string, bulk = 0): Promise<void> {
  const store = new LmdbPersistence({ path: dir, sync: 'batch' });
  await store.open();
  await store.saveSession({
    clientId: 'alice-laptop',
    subscriptions: [
      { topic: 'home/#', qos: 1, noLocal: true, subscriptionId: 3 },
      { topic: 'alerts', qos: 2, retainAsPublished: true },
    ],
    queue: Array.from({ length: 25 }, (_, i) => ({ seq: i + 1, delivery: delivery(`home/${i + 1}`, 100) })),
    inflight: [{ packetId: 12, delivery: delivery('home/0', 50), state: 'publish' }],
    inboundQos2: [7],
    disconnectedAt: DISCONNECTED_AT,
    expiryInterval: 86_400,
    username: 'alice',
    protocolVersion: 5,
  });
  await store.saveSession({
    clientId: 'sensor-1',
    subscriptions: [{ topic: 'cmd/sensor-1', qos: 1 }],
    queue: [],
    inflight: [],
    inboundQos2: [],
    username: null,
    protocolVersion: 4,
  });
  if (bulk > 0) {
    await store.saveSession({ clientId: 'bulk', subscriptions: [], queue: [], inflight: [], inboundQos2: [] });
    await Promise.all(
      Array.from({ length: bulk }, (_, seq) => store.pushQueued('bulk', { seq, delivery: delivery('bulk', 4096) })),
    );
  }
  await store.setRetained({ topic: 'config/a', payload: Buffer.alloc(10), qos: 1, retain: true });
  await store.setRetained({ topic: 'status/alice', payload: Buffer.from('off'), qos: 0, retain: true });
  await store.setWill('alice-laptop', {
    message: { topic: 'status/alice', payload: Buffer.from('gone'), qos: 1, retain: true },
    delay: 60,
    publishAt: DISCONNECTED_AT + 60_000,
    username: 'alice',
    protocolVersion: 5,
  });
  await store.close();
}
