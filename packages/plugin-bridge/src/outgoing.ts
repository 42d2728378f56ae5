/**
 * The `out` direction: messages this broker delivered to the bridge's local session go to the remote,
 * and each QoS 1/2 one is acknowledged to this broker only once the remote acknowledged it (PUBACK,
 * PUBCOMP). Until then the local broker counts it in the session's inflight window (`max_inflight`,
 * the session's Receive Maximum) and queues the rest in the session: bounded by `max_queued_messages`,
 * kept in the store when the broker has one, delivered in order. So what the bridge holds itself is at
 * most one window of messages (`pending`), sent again in order to each new remote client.
 */
import type { Logger } from '@midge/mqtt-core';
import type { ClientMessage } from '@midge/mqtt-core/client';
import type { BridgeCounters } from './counters.js';
import type { Link } from './link.js';
import { crossingProperties } from './properties.js';
import type { TopicMap } from './topic-map.js';

/** What of the remote link this needs (a fake in unit tests). */
export type RemoteSide = Pick<Link, 'generation' | 'connected' | 'publish'>;

interface Pending {
  readonly message: ClientMessage;
  readonly topic: string;
  /** The remote client generation it was last handed to. */
  generation: number;
}

export class Outgoing {
  readonly #pending = new Set<Pending>();
  readonly #remote: RemoteSide;
  readonly #map: TopicMap;
  readonly #counters: BridgeCounters;
  readonly #logger: Logger;

  constructor(remote: RemoteSide, map: TopicMap, counters: BridgeCounters, logger: Logger) {
    this.#remote = remote;
    this.#map = map;
    this.#counters = counters;
    this.#logger = logger;
  }

  /** QoS 1/2 messages handed to the remote and not yet acknowledged by it. */
  get pending(): number {
    return this.#pending.size;
  }

  /** A message from the local session. */
  onLocalMessage(message: ClientMessage): void {
    const topic = this.#map.translate(message.topic, 'out');
    if (topic === undefined) {
      // Another subscription of the session (a topic removed from the config): not the bridge's to carry.
      message.ack?.();
      return;
    }
    if (message.qos === 0) {
      this.#sendQos0(message, topic);
      return;
    }
    const p: Pending = { message, topic, generation: 0 };
    this.#pending.add(p);
    if (this.#remote.generation > 0) this.#send(p);
  }

  /**
   * A new remote client connected: what an old one had in flight died with it; send it again, in the
   * order it came. (A reconnect of the same client resends by itself, with the same packet ids.)
   */
  onRemoteFresh(): void {
    for (const p of this.#pending) if (p.generation !== this.#remote.generation) this.#send(p);
  }

  #send(p: Pending): void {
    const generation = this.#remote.generation;
    p.generation = generation;
    const m = p.message;
    this.#remote.publish(p.topic, m.payload, { qos: m.qos, retain: m.retain, ...props(m) }).then(
      () => {
        if (!this.#pending.delete(p)) return;
        this.#counters.sent[m.qos]++;
        m.ack?.();
      },
      (err: unknown) => {
        // The remote client ended (it gave up): the message stays pending, unacknowledged here, and
        // goes to the next client, unless one connected already in between.
        // `p.generation` moved on: onRemoteFresh sent it to the new client already.
        if (!this.#pending.has(p) || p.generation !== generation) return;
        this.#logger.debug({ err, topic: p.topic }, 'bridge publish to the remote failed; it will be sent again');
        if (this.#remote.generation !== generation && this.#remote.connected) this.#send(p);
      },
    );
  }

  #sendQos0(m: ClientMessage, topic: string): void {
    // QoS 0 promises nothing: while the remote is down it is dropped, not queued.
    if (!this.#remote.connected) {
      this.#counters.dropped['remote-down']++;
      return;
    }
    this.#remote.publish(topic, m.payload, { qos: 0, retain: m.retain, ...props(m) }).then(
      () => this.#counters.sent[0]++,
      () => this.#counters.dropped['remote-down']++,
    );
  }
}

function props(m: ClientMessage): { properties?: NonNullable<ReturnType<typeof crossingProperties>> } {
  const properties = crossingProperties(m.properties);
  return properties === undefined ? {} : { properties };
}
