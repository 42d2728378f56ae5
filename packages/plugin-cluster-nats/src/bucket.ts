/**
 * Opening (creating if missing) a key-value bucket of the cluster's state. A NATS cluster that has just
 * started answers JetStream requests with "temporarily unavailable" until it has elected its meta leader:
 * nodes starting with it retry for a while instead of failing the broker start.
 */
import type { Kvm, KV, KvOptions } from '@nats-io/kv';

const RETRY_MS = 250;

export async function openBucket(kvm: Kvm, name: string, options: Partial<KvOptions>, withinMs: number): Promise<KV> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await kvm.create(name, options);
    } catch (err) {
      if (Date.now() + RETRY_MS > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}
