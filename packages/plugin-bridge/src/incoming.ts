/**
 * The `in` direction: messages the remote delivered to the bridge are published in this broker, with
 * the identity of the bridge's local session (`as`) and origin `bridge:<name>`; each QoS 1/2 one is
 * acknowledged to the remote only once this broker routed it (and stored it for persistent sessions).
 * Publishing as the local session is what keeps them from going back out: that session subscribes
 * with No Local, so the broker never delivers it what it published itself.
 */
import type { BrokerApi, ClientInfo, Logger } from '@midge/mqtt-core';
import type { ClientMessage } from '@midge/mqtt-core/client';
import type { BridgeCounters } from './counters.js';
import { crossingProperties } from './properties.js';
import type { TopicMap } from './topic-map.js';

/** Refusals that a resend cannot change: acknowledged to the remote and dropped, or it sends them forever. */
const FINAL_REFUSALS = new Set(['BROKER_PUBLISH_DENIED', 'BROKER_INVALID_TOPIC']);

export class Incoming {
  readonly #broker: Pick<BrokerApi, 'publish'>;
  readonly #as: ClientInfo;
  readonly #origin: `bridge:${string}`;
  readonly #map: TopicMap;
  readonly #counters: BridgeCounters;
  readonly #logger: Logger;

  constructor(
    broker: Pick<BrokerApi, 'publish'>,
    as: ClientInfo,
    name: string,
    map: TopicMap,
    counters: BridgeCounters,
    logger: Logger,
  ) {
    this.#broker = broker;
    this.#as = as;
    this.#origin = `bridge:${name}`;
    this.#map = map;
    this.#counters = counters;
    this.#logger = logger;
  }

  onRemoteMessage(m: ClientMessage): void {
    const topic = this.#map.translate(m.topic, 'in');
    if (topic === undefined) {
      m.ack?.();
      return;
    }
    const properties = crossingProperties(m.properties);
    this.#broker
      .publish(
        { topic, payload: m.payload, qos: m.qos, retain: m.retain, ...(properties ? { properties } : {}) },
        { as: this.#as, origin: this.#origin },
      )
      .then(
        () => {
          this.#counters.received[m.qos]++;
          m.ack?.();
        },
        (err: unknown) => {
          const code = (err as { code?: unknown }).code;
          if (typeof code === 'string' && FINAL_REFUSALS.has(code)) {
            this.#counters.dropped.refused++;
            this.#logger.warn({ err, topic }, 'this broker refused a message from the bridge; dropped');
            m.ack?.();
            return;
          }
          // Not stored (the store failing): unacknowledged, the remote sends it again after a reconnect.
          this.#logger.error({ err, topic }, 'bridge could not publish a message from the remote; not acknowledged');
        },
      );
  }
}
