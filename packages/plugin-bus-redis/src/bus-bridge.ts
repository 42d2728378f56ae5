/**
 * What crosses between this broker and the bus, independent of Redis: which routed messages go out, and
 * how messages from other brokers are routed here without coming back out (their origin says so).
 */
import type { BrokerApi, BrokerEvents, Logger } from '@midge/mqtt-core';
import { decodeBusMessage, encodeBusMessage } from './wire.js';
import { messageOf } from './error-message.js';

export interface BusBridgeOptions {
  /** This broker's id on the bus: messages carrying it are this broker's own, echoed back by Redis. */
  readonly nodeId: string;
  readonly broker: Pick<BrokerApi, 'publish'>;
  readonly logger: Logger;
  /** Puts one encoded message on the bus. Must not throw. */
  readonly send: (frame: Buffer) => void;
}

export interface BusBridge {
  /** The `message:broadcast` handler: shares what this broker routed. */
  readonly onBroadcast: (event: BrokerEvents['message:broadcast']) => void;
  /** Routes one message from the bus on this broker (unless it is this broker's own, or routing has not started). */
  readonly onBusMessage: (frame: Buffer) => void;
  /** Bus messages are dropped until this is called: the broker is not ready to route them during setup. */
  readonly startRouting: () => void;
}

const DOLLAR = 0x24;
const CLUSTER_ORIGIN = 'cluster:';

export function createBusBridge({ nodeId, broker, logger, send }: BusBridgeOptions): BusBridge {
  let routing = false;

  const onBroadcast = ({ message, origin }: BrokerEvents['message:broadcast']): void => {
    // A message another broker of the cluster shared is that broker's to share: sending it back out
    // would loop A → B → A → ... The origin it was routed with says so, whenever the event fires.
    if (origin.startsWith(CLUSTER_ORIGIN)) return;
    // `$` topics ($SYS...) describe this broker only.
    if (message.topic.charCodeAt(0) === DOLLAR) return;
    let frame: Buffer;
    try {
      // Now, synchronously: the payload may be a view on socket memory the broker reuses afterwards.
      frame = encodeBusMessage(message, nodeId);
    } catch (err) {
      logger.warn({ err, topic: message.topic }, 'a message could not be encoded for the bus and is not shared');
      return;
    }
    send(frame);
  };

  const onBusMessage = (frame: Buffer): void => {
    if (!routing) return;
    let decoded;
    try {
      decoded = decodeBusMessage(frame);
    } catch (err) {
      // The size says enough to find the sender; the content may be anyone's data.
      logger.warn(
        { bytes: frame.length, err: messageOf(err) },
        'dropped a message from the bus that could not be decoded',
      );
      return;
    }
    // Redis delivers to every subscriber, this broker's own subscription included.
    if (decoded.nodeId === nodeId) return;
    const { topic, payload, qos, retain, properties } = decoded.message;
    // Trusted: the publishing broker authorized the publish already (each broker authorizes `receive`
    // for its own subscribers). The broker still refuses `$SYS` and `$share` topics from a cluster origin.
    const authority = { trusted: true, origin: `${CLUSTER_ORIGIN}${decoded.nodeId}` } as const;
    try {
      broker
        .publish(
          properties === undefined ? { topic, payload, qos, retain } : { topic, payload, qos, retain, properties },
          authority,
        )
        .catch((err: unknown) => refused(err, topic, decoded.nodeId));
    } catch (err) {
      refused(err, topic, decoded.nodeId);
    }
  };

  /** This broker would not take the message (a topic over its own length limit, say): logged, dropped. */
  const refused = (err: unknown, topic: string, from: string): void => {
    logger.warn({ err: messageOf(err), topic, from }, 'a message from another broker was not routed here');
  };

  const startRouting = (): void => {
    routing = true;
  };

  return { onBroadcast, onBusMessage, startRouting };
}
