/**
 * Opening (creating if missing) a key-value bucket of the cluster's state. A NATS cluster that has just
 * started answers JetStream requests with "temporarily unavailable" until it has elected its meta leader:
 * nodes starting with it retry for a while instead of failing the broker start.
 */
import type { Kvm, KV, KvOptions } from '@nats-io/kv';
import { retryWithin } from './jetstream-retry.js';

export function openBucket(kvm: Kvm, name: string, options: Partial<KvOptions>, withinMs: number): Promise<KV> {
  return retryWithin(withinMs, () => kvm.create(name, options));
}
