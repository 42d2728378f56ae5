import { createHash } from 'node:crypto';
import type {
  PersistedDelivery,
  PersistedInflight,
  PersistedMessage,
  PersistedSession,
  PersistedSubscription,
  PersistedWill,
  ProtocolVersion,
  SessionUpdate,
} from '@midge/mqtt-core';

/**
 * How records look in the tables, and the keys they are stored under. Values are what lmdb-js encodes
 * (MessagePack; Buffers come back as Buffers of their own, byte-exact), but for queue and inflight records,
 * which have a binary layout of their own (binary-records.ts).
 */

/** A session's header: what `updateSession` changes. Subscriptions, queue, inflight and ids have their own tables. */
export interface SessionHeader {
  /** Kept in the value: the key may be a digest of it (`keyOf`). */
  readonly clientId: string;
  readonly disconnectedAt?: number;
  readonly expiryInterval?: number;
  readonly username?: string | null;
  readonly protocolVersion?: ProtocolVersion;
}

/** An inflight message with its place in the send order (packet ids wrap around, so they do not give it); format 1 stored it as this object. */
export interface StoredInflight {
  readonly packetId: number;
  readonly delivery: PersistedDelivery;
  readonly state: 'publish' | 'pubrel';
  readonly seq?: number;
  readonly order: number;
}

export interface StoredWill extends PersistedWill {
  readonly clientId: string;
}

/**
 * LMDB keys are at most 1,978 bytes, MQTT client ids and topics up to 65,535: a longer string is stored under
 * a digest of it, marked by a leading U+0000 (which MQTT forbids in client ids and topics, so no real name
 * looks like one). The records keep the string itself.
 */
const MAX_KEY_STRING_BYTES = 480;

export function keyOf(name: string): string {
  if (name.length * 3 <= MAX_KEY_STRING_BYTES || Buffer.byteLength(name) <= MAX_KEY_STRING_BYTES) return name;
  return `\u0000${createHash('sha256').update(name).digest('base64url')}`;
}

export function headerOf(s: PersistedSession): SessionHeader {
  return withHeaderFields({ clientId: s.clientId }, s);
}

export function updatedHeader(h: SessionHeader, u: SessionUpdate): SessionHeader {
  const next: { -readonly [K in keyof SessionHeader]: SessionHeader[K] } = { ...h };
  if (u.disconnectedAt === null) delete next.disconnectedAt;
  else if (u.disconnectedAt !== undefined) next.disconnectedAt = u.disconnectedAt;
  if (u.expiryInterval === null) delete next.expiryInterval;
  else if (u.expiryInterval !== undefined) next.expiryInterval = u.expiryInterval;
  if (u.username !== undefined) next.username = u.username;
  if (u.protocolVersion !== undefined) next.protocolVersion = u.protocolVersion;
  return next;
}

/** The session as the interface gives it back: header fields only when stored. */
export function sessionOf(
  h: SessionHeader,
  parts: Pick<PersistedSession, 'subscriptions' | 'queue' | 'inflight' | 'inboundQos2'>,
): PersistedSession {
  return withHeaderFields({ clientId: h.clientId, ...parts }, h);
}

function withHeaderFields<T extends object>(
  base: T,
  from: Omit<SessionHeader, 'clientId'>,
): T & Omit<SessionHeader, 'clientId'> {
  let out: T & Omit<SessionHeader, 'clientId'> = base;
  if (from.disconnectedAt !== undefined) out = { ...out, disconnectedAt: from.disconnectedAt };
  if (from.expiryInterval !== undefined) out = { ...out, expiryInterval: from.expiryInterval };
  if (from.username !== undefined) out = { ...out, username: from.username };
  if (from.protocolVersion !== undefined) out = { ...out, protocolVersion: from.protocolVersion };
  return out;
}

export function inflightOf(s: StoredInflight): PersistedInflight {
  const c: PersistedInflight = { packetId: s.packetId, delivery: s.delivery, state: s.state };
  return s.seq === undefined ? c : { ...c, seq: s.seq };
}

export function storedWill(clientId: string, w: PersistedWill): StoredWill {
  const c: StoredWill = {
    clientId,
    message: plainMessage(w.message),
    delay: w.delay,
    username: w.username,
    protocolVersion: w.protocolVersion,
  };
  return w.publishAt === undefined ? c : { ...c, publishAt: w.publishAt };
}

export function willOf(s: StoredWill): PersistedWill {
  const c: PersistedWill = {
    message: s.message,
    delay: s.delay,
    username: s.username,
    protocolVersion: s.protocolVersion,
  };
  return s.publishAt === undefined ? c : { ...c, publishAt: s.publishAt };
}

export function plainSubscription(s: PersistedSubscription): PersistedSubscription {
  let c: PersistedSubscription = { topic: s.topic, qos: s.qos };
  if (s.noLocal !== undefined) c = { ...c, noLocal: s.noLocal };
  if (s.retainAsPublished !== undefined) c = { ...c, retainAsPublished: s.retainAsPublished };
  if (s.subscriptionId !== undefined) c = { ...c, subscriptionId: s.subscriptionId };
  return c;
}

export function plainMessage(m: PersistedMessage): PersistedMessage {
  let c: PersistedMessage = { topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain };
  if (m.properties !== undefined) c = { ...c, properties: m.properties };
  if (m.expiresAt !== undefined) c = { ...c, expiresAt: m.expiresAt };
  return c;
}
