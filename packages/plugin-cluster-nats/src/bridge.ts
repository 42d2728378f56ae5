/**
 * What crosses between this broker and the other nodes, independent of NATS: which routed messages go
 * out and on which subject, and how messages from other nodes enter this broker's publish pipeline
 * without ever going back out.
 */
import type { BrokerApi, BrokerEvents, Logger, Message } from '@midge/mqtt-core';
import { messageOf } from './error-message.js';
import { MAX_SUBJECT_BYTES, subjectBytes, topicSubject } from './subject.js';
import { ThrottledWarning } from './throttled-warning.js';
import { randomBytes } from 'node:crypto';
import { SeenMessages } from './seen-messages.js';
import { decodeClusterMessage, encodeClusterMessage } from './wire.js';
import type { MessageId } from './wire.js';

export interface ClusterBridgeOptions {
  /** This broker's node name: the origin (`cluster:<node>`) other nodes route its messages with. */
  readonly node: string;
  /** The subjects' common start (`<prefix>.msg`). */
  readonly root: string;
  readonly broker: Pick<BrokerApi, 'publish' | 'deliverShared'>;
  readonly logger: Logger;
  /**
   * Sends one encoded message on `subject`; `reliable` for QoS 1/2 (kept until NATS confirms it: nats-link.ts).
   * False when it was not sent (counted by the sender). Must not throw.
   */
  readonly send: (subject: string, frame: Uint8Array, reliable: boolean) => boolean;
}

/** What the bridge counted since start. */
export interface BridgeCounts {
  /** Messages sent to NATS. */
  sent: number;
  /** Messages from other nodes routed here. */
  received: number;
  /** Messages not sent: NATS down or refused (the sender's count), topic too long for a subject, not encodable. */
  notSent: number;
  /** Messages from NATS not routed here: undecodable, a `$` topic, refused by this broker. */
  refused: number;
  /** Copies of messages sent again by their node after an outage, dropped here because the first one came. */
  duplicates: number;
  /** Messages read back from the stored messages after this node's outage, routed here (missed live). */
  caughtUp: number;
  /** Messages NATS picked this node for in a shared subscription, delivered to a member here. */
  sharedReceived: number;
  /** Such messages that found no member here (the last one left as the message came): not delivered. */
  sharedNoMember: number;
}

export interface ClusterBridge {
  /** The `message:broadcast` handler: sends what this broker routed to the nodes that subscribed to it. */
  readonly onBroadcast: (event: BrokerEvents['message:broadcast']) => void;
  /** Routes one message from another node on this broker. Never throws. */
  readonly onClusterMessage: (data: Uint8Array) => void;
  /**
   * Routes here one message read back from the stored messages after this node's outage, unless it came
   * live already (or is this node's own). Never throws.
   */
  readonly onMissedMessage: (data: Uint8Array) => void;
  /** Delivers one message to a member of this broker's `$share/{group}/{filter}`. Never throws. */
  readonly onSharedMessage: (share: { readonly group: string; readonly filter: string }, data: Uint8Array) => void;
  readonly counts: Readonly<BridgeCounts>;
  /** `message` encoded as it crosses nodes (undefined when it cannot be: warned). Reads the payload synchronously. */
  readonly frameOf: (message: Message) => Buffer | undefined;
}

const DOLLAR = 0x24;
const CLUSTER_ORIGIN = 'cluster:';

export function createClusterBridge({ node, root, broker, logger, send }: ClusterBridgeOptions): ClusterBridge {
  const counts: BridgeCounts = {
    sent: 0,
    received: 0,
    notSent: 0,
    refused: 0,
    duplicates: 0,
    caughtUp: 0,
    sharedReceived: 0,
    sharedNoMember: 0,
  };
  const seen = new SeenMessages();
  // This node's messages: random at each start, so a receiver tells a restarted node's numbers apart.
  const nextId = { incarnation: randomBytes(4).readUInt32BE(0), seq: 0 };
  const warnings = new ThrottledWarning(logger);
  let sameNameWarned = false;

  // The last message sent and its frame: the store of persistent sessions' messages (`frameOf`) asks for the
  // same message right after it was broadcast, and gets it without a second encoding.
  let lastMessage: Message | undefined;
  let lastFrame: Buffer | undefined;

  const frameOf = (message: Message): Buffer | undefined => {
    if (message === lastMessage) return lastFrame;
    try {
      nextId.seq++;
      return encodeClusterMessage(message, node, nextId);
    } catch (err) {
      warnings.warn('a message could not be encoded for the cluster: it is not stored for persistent sessions', {
        topic: message.topic.slice(0, 200),
        err: messageOf(err),
      });
      return undefined;
    }
  };

  const onBroadcast = ({ message, origin }: BrokerEvents['message:broadcast']): void => {
    // Another node's message is that node's to share: sending it back out would loop A → B → A → ...
    if (origin.startsWith(CLUSTER_ORIGIN)) return;
    // `$` topics ($SYS...) describe this broker only.
    if (message.topic.charCodeAt(0) === DOLLAR) return;
    const subject = topicSubject(root, message.topic);
    if (subjectBytes(subject) > MAX_SUBJECT_BYTES) {
      counts.notSent++;
      warnings.warn('a topic is too long to cross nodes: its message reached the subscribers of this node only', {
        topic: message.topic.slice(0, 200),
        maxSubjectBytes: MAX_SUBJECT_BYTES,
      });
      return;
    }
    let frame: Buffer;
    try {
      // Now, synchronously: the payload may be a view on socket memory the broker reuses afterwards.
      nextId.seq++;
      frame = encodeClusterMessage(message, node, nextId);
      lastMessage = message;
      lastFrame = frame;
    } catch (err) {
      counts.notSent++;
      warnings.warn('a message could not be encoded for the other nodes and reached this node only', {
        topic: message.topic.slice(0, 200),
        err: messageOf(err),
      });
      return;
    }
    if (send(subject, frame, message.qos > 0)) counts.sent++;
    else counts.notSent++;
  };

  /** The message in `data` and its sender, or undefined (counted, warned) for one that is not routed here. */
  const decodeFrom = (
    data: Uint8Array,
  ): { from: string; message: Message; id?: MessageId; redelivered: boolean } | undefined => {
    let decoded;
    try {
      decoded = decodeClusterMessage(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    } catch (err) {
      counts.refused++;
      // The size says enough to find the sender; the content may be anyone's data.
      warnings.warn('dropped a message from NATS that could not be decoded', {
        bytes: data.byteLength,
        err: messageOf(err),
      });
      return undefined;
    }
    const from = decoded.node;
    // NATS does not echo this connection's own messages (noEcho): the same name is another process.
    if (from === node && !sameNameWarned) {
      sameNameWarned = true;
      logger.warn({ node }, 'another broker of the cluster uses this node name: give each broker its own `node`');
    }
    if (decoded.message.topic.charCodeAt(0) === DOLLAR) {
      counts.refused++;
      warnings.warn('dropped a $ topic message from another node: $ topics never cross nodes', {
        topic: decoded.message.topic,
        from,
      });
      return undefined;
    }
    return decoded.id === undefined
      ? { from, message: decoded.message, redelivered: decoded.redelivered }
      : { from, message: decoded.message, id: decoded.id, redelivered: decoded.redelivered };
  };

  const onClusterMessage = (data: Uint8Array): void => {
    const decoded = decodeFrom(data);
    if (decoded === undefined) return;
    const { from, id } = decoded;
    if (id !== undefined) {
      // A copy sent again after its node's NATS server went away: routed only if the first never came.
      if (decoded.redelivered && seen.has(from, id)) {
        counts.duplicates++;
        return;
      }
      seen.record(from, id);
    }
    route(decoded.message, from);
  };

  const onMissedMessage = (data: Uint8Array): void => {
    const decoded = decodeFrom(data);
    if (decoded === undefined) return;
    const { from, id } = decoded;
    // This node's own messages reached its subscribers here already.
    if (from === node || id === undefined || seen.has(from, id)) return;
    seen.record(from, id);
    counts.caughtUp++;
    route(decoded.message, from);
  };

  /** Routes a message from node `from` here. */
  const route = (message: Message, from: string): void => {
    const { topic, payload, qos, retain, properties } = message;
    // Trusted: the publishing node authorized the publish; this broker authorizes `receive` for each of its
    // subscribers as the message is routed. RETAIN as published, for v5 Retain As Published subscribers,
    // but the retained store is left alone (keepRetained: false): it follows the cluster's retained stream
    // (retained.ts), in the stream's order, which a message on this path could contradict.
    const authority = { trusted: true, origin: `${CLUSTER_ORIGIN}${from}`, keepRetained: false } as const;
    const options =
      properties === undefined ? { topic, payload, qos, retain } : { topic, payload, qos, retain, properties };
    counts.received++;
    try {
      broker.publish(options, authority).catch((err: unknown) => refused(err, topic, from));
    } catch (err) {
      refused(err, topic, from);
    }
  };

  /** This broker would not take the message (a topic over its own max_topic_length, say): logged, dropped. */
  const refused = (err: unknown, topic: string, from: string): void => {
    counts.received--;
    counts.refused++;
    warnings.warn('a message from another node was not routed here', {
      err: messageOf(err),
      topic: topic.slice(0, 200),
      from,
    });
  };

  /**
   * A message NATS picked this node for among the members of a shared subscription across the cluster
   * (one queue group per `$share/{group}/{filter}`): delivered to one member here, its RETAIN flag as
   * published (a member with Retain As Published keeps it).
   */
  const onSharedMessage = (share: { readonly group: string; readonly filter: string }, data: Uint8Array): void => {
    const decoded = decodeFrom(data);
    if (decoded === undefined) return;
    if (broker.deliverShared(share, decoded.message)) counts.sharedReceived++;
    else counts.sharedNoMember++;
  };

  return { onBroadcast, onClusterMessage, onMissedMessage, onSharedMessage, counts, frameOf };
}
