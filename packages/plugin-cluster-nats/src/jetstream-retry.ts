/**
 * The cluster's state in JetStream (retained messages, persistent sessions): what its stores are opened with,
 * their timeouts, and creating and opening them at start. A NATS cluster that has just started, or
 * just lost a server, answers JetStream requests with "temporarily unavailable" or timeouts until it has
 * elected its leaders: such requests are tried again for a while instead of failing the broker start.
 */
import type { JetStreamManager, StreamConfig } from '@nats-io/jetstream';
import type { Logger } from '@midge/mqtt-core';
import type { NatsConnection } from '@nats-io/transport-node';
import { messageOf } from './error-message.js';

export const RETRY_MS = 250;
/** JetStream API requests (stream info, creation): short, so that attempts fit in the broker start. */
export const API_TIMEOUT_MS = 2000;
/** How long a message written to a stream waits for JetStream's acknowledgement before its write fails. */
export const PUBLISH_TIMEOUT_MS = 5000;

/** What the stores the cluster keeps in JetStream (retained messages, persistent sessions) are opened with. */
export interface JetStreamStoreOptions {
  readonly node: string;
  readonly prefix: string;
  readonly connection: NatsConnection;
  /** True while NATS is unreachable. */
  readonly down: () => boolean;
  readonly logger: Logger;
  /** Copies of the stream in a NATS cluster (1, 3 or 5). */
  readonly replicas: number;
}

/**
 * `attempt`'s result, trying again every RETRY_MS until it succeeds or `withinMs` has passed (then its
 * last error), or `stop()` says to give up.
 */
export async function retryWithin<T>(withinMs: number, attempt: () => Promise<T>, stop?: () => boolean): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (stop?.() === true || Date.now() + RETRY_MS > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    }
  }
}

/**
 * The stream `config.name`, created, or brought to `config` when `upToDate` says the existing one is not
 * (idempotent: every node does it at each start). Asked of the stream's leader first: a stream as configured
 * needs nothing of the meta leader, which a NATS cluster that just lost a server may be electing.
 */
export async function createOrUpdateStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string },
  upToDate: (existing: StreamConfig) => boolean,
): Promise<void> {
  const existing = await jsm.streams.info(config.name).catch((err: unknown) => {
    if (/not found/i.test(messageOf(err))) return undefined;
    throw err;
  });
  if (existing !== undefined && upToDate(existing.config)) return;
  try {
    await jsm.streams.add(config);
  } catch (err) {
    // Made before with another config (another replicas setting): brought to this one.
    if (!/already in use/i.test(messageOf(err))) throw err;
    const { name, ...update } = config;
    await jsm.streams.update(name, update);
  }
}
