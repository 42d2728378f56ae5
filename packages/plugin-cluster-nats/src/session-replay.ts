/**
 * Rebuilds the queue of a persistent session whose node died: the stored messages from the record's
 * `since` on (an ordered consumer from that time) up to the stream's last message when the replay began,
 * each turned into the delivery the session's subscriptions give it. Messages delivered before the node
 * died may come again (QoS 1 allows it; they carry nothing that says they were sent): never fewer.
 */
import type { Logger, PersistedQueued } from '@midge/mqtt-core';
import { DeliverPolicy } from '@nats-io/jetstream';
import type { JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream';
import { deliveryFor } from './session-record.js';
import type { SessionRecord } from './session-record.js';
import { decodeClusterMessage } from './wire.js';

/** The header with the client id of the client that published a stored message (for No Local). */
export const PUBLISHER_HEADER = 'Midge-Client';
/** A replay reads at most this many messages; a session that missed more gets the newest it can (logged). */
export const MAX_REPLAYED = 1_000_000;

export interface ReplayOptions {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly logger: Logger;
  /** The replay gives up (rejects) past this. */
  readonly withinMs: number;
}

/**
 * Reads the stored messages from `since` (epoch ms) on, up to the stream's last message when the read
 * began, handing each to `take` (at most MAX_REPLAYED). Returns how many were read; rejects past `withinMs`.
 */
export async function readStoredSince(
  since: number,
  options: ReplayOptions,
  take: (msg: JsMsg) => void,
): Promise<number> {
  const info = await options.jsm.streams.info(options.stream);
  const last = info.state.last_seq;
  if (info.state.messages === 0 || Date.parse(info.state.last_ts) < since) return 0;
  const consumer = await options.js.consumers.get(options.stream, {
    deliver_policy: DeliverPolicy.StartTime,
    opt_start_time: new Date(since).toISOString(),
  });
  let read = 0;
  const deadline = Date.now() + options.withinMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`the stored messages were not read within ${options.withinMs} ms`);
    const batch = await consumer.fetch({ max_messages: 1000, expires: Math.max(1000, Math.min(left, 5000)) });
    let got = 0;
    let done = false;
    for await (const msg of batch) {
      got++;
      read++;
      take(msg);
      if (msg.seq >= last || msg.info.pending === 0 || read >= MAX_REPLAYED) {
        done = true;
        break;
      }
    }
    if (done || got === 0) return read;
  }
}

/** The queue `record`'s session gets from the stored messages, oldest first. */
export async function replayQueue(record: SessionRecord, options: ReplayOptions): Promise<PersistedQueued[]> {
  const queue: PersistedQueued[] = [];
  let unreadable = 0;
  const read = await readStoredSince(record.since, options, (msg) => {
    let decoded;
    try {
      decoded = decodeClusterMessage(Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength));
    } catch {
      unreadable++;
      return;
    }
    const { message } = decoded;
    if (message.topic.charCodeAt(0) === 0x24) return;
    const interval = message.properties?.messageExpiryInterval;
    const storedAt = Math.floor(msg.info.timestampNanos / 1e6);
    const expiresAt = interval === undefined ? undefined : storedAt + interval * 1000;
    if (expiresAt !== undefined && expiresAt <= Date.now()) return;
    // The payload is a view on the NATS message: copied, as the queue outlives it.
    const kept = { ...message, payload: Buffer.from(message.payload) };
    const delivery = deliveryFor(record, kept, msg.headers?.get(PUBLISHER_HEADER) || undefined, expiresAt);
    if (delivery !== undefined) queue.push({ seq: queue.length + 1, delivery });
  });
  if (unreadable > 0 || read >= MAX_REPLAYED)
    options.logger.warn(
      { clientId: record.clientId.slice(0, 200), read, unreadable },
      read >= MAX_REPLAYED
        ? 'a resumed session missed more stored messages than one replay reads: it gets the oldest of them'
        : 'stored messages that could not be read were skipped for a resumed session',
    );
  return queue;
}
