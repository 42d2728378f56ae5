import type { PublishProperties, QoS } from '../codec/packets.js';
import type { PersistedDelivery, PersistedMessage } from '../persistence/types.js';
import type { Message } from '../plugin-api/types.js';

/**
 * A message the broker keeps past the current tick (retained, queued, inflight, will). Its payload is
 * always an own copy, never a view on a socket chunk. The same shape the
 * persistence layer stores, so a stored message goes to a durable store as it is.
 */
export type StoredMessage = PersistedMessage;

/** Copies the payload (the topic string is immutable already), so the result outlives the chunk. */
export function copyMessage(m: Message): StoredMessage {
  const payload = Buffer.allocUnsafe(m.payload.length);
  m.payload.copy(payload);
  if (m.properties === undefined) return { topic: m.topic, payload, qos: m.qos, retain: m.retain };
  const expiresAt = (m as StoredMessage).expiresAt ?? expiryOf(m.properties);
  return expiresAt === undefined
    ? { topic: m.topic, payload, qos: m.qos, retain: m.retain, properties: m.properties }
    : { topic: m.topic, payload, qos: m.qos, retain: m.retain, properties: m.properties, expiresAt };
}

function expiryOf(p: PublishProperties): number | undefined {
  const s = p.messageExpiryInterval;
  return s === undefined ? undefined : Date.now() + s * 1000;
}

/**
 * The properties to send for a stored message now: the message expiry interval counts down while it
 * waits [MQTT-3.3.2-6]; `null` when it expired. Subscription identifiers are added per receiver.
 */
export function outboundProperties(
  m: Message,
  subscriptionIds: readonly number[] | undefined,
  now: number,
): PublishProperties | undefined | null {
  let props = m.properties;
  const expiresAt = (m as StoredMessage).expiresAt;
  if (expiresAt !== undefined) {
    const left = Math.ceil((expiresAt - now) / 1000);
    if (left <= 0) return null;
    if (left !== props?.messageExpiryInterval) props = { ...props, messageExpiryInterval: left };
  }
  if (subscriptionIds !== undefined && subscriptionIds.length > 0)
    props = { ...props, subscriptionIdentifier: [...subscriptionIds] };
  return props;
}

/** A message waiting for a session: the QoS it will be delivered at and the RETAIN flag it carries. */
export interface Delivery {
  readonly message: StoredMessage;
  readonly qos: QoS;
  readonly retain: boolean;
  /** v5: identifiers of the matching subscriptions that carry one. */
  readonly subscriptionIds?: readonly number[];
  /** Its key in the store's queue of a persistent session (set when it was queued for one). */
  readonly seq?: number;
}

/**
 * A delivery read back from the store (a queue page, an inflight entry at restore), under its store key
 * `seq` when it has one. What a store returns is the caller's own (persistence/types.ts): no copy.
 */
export function deliveryFromStore(d: PersistedDelivery, seq?: number): Delivery {
  const { message, qos, retain, subscriptionIds } = d;
  if (seq === undefined)
    return subscriptionIds === undefined ? { message, qos, retain } : { message, qos, retain, subscriptionIds };
  return subscriptionIds === undefined ? { message, qos, retain, seq } : { message, qos, retain, subscriptionIds, seq };
}

export function minQos(a: QoS, b: QoS): QoS {
  return a < b ? a : b;
}

/**
 * What a kept message counts towards max_queued_bytes and max_retained_bytes: topic, payload and the
 * variable-length v5 properties (user properties at their wire size), so a tiny payload carrying 64 KiB
 * of user properties is not counted as tiny. Topics count UTF-16 units: the same number every time it is
 * asked, without encoding. A message without properties costs one branch more than topic + payload.
 */
export function messageBytes(m: Message): number {
  const n = m.topic.length + m.payload.length;
  const p = m.properties;
  return p === undefined ? n : n + propertyBytes(p);
}

function propertyBytes(p: PublishProperties): number {
  let n = 0;
  if (p.responseTopic !== undefined) n += p.responseTopic.length;
  if (p.correlationData !== undefined) n += p.correlationData.length;
  if (p.contentType !== undefined) n += p.contentType.length;
  const user = p.userProperties;
  if (user !== undefined) {
    // Name and value plus the property id and two length prefixes.
    for (const pair of user) n += pair[0].length + pair[1].length + 5;
  }
  return n;
}
