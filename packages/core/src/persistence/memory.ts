import type {
  PersistedDelivery,
  PersistedInflight,
  PersistedMessage,
  PersistedQueued,
  PersistedSession,
  PersistedSubscription,
  PersistedWill,
  Persistence,
  SessionUpdate,
} from './types.js';
import type { ProtocolVersion, PublishProperties } from '../codec/packets.js';

interface SessionRecord {
  clientId: string;
  subscriptions: Map<string, PersistedSubscription>;
  /** By sequence number; a Map keeps insertion order, and the broker queues in increasing order. */
  queue: Map<number, PersistedDelivery>;
  inflight: Map<number, PersistedInflight>;
  inboundQos2: Set<number>;
  disconnectedAt: number | undefined;
  expiryInterval: number | undefined;
  username: string | null | undefined;
  protocolVersion: ProtocolVersion | undefined;
}

function copyMessage(m: PersistedMessage): PersistedMessage {
  let c: PersistedMessage = { topic: m.topic, payload: Buffer.from(m.payload), qos: m.qos, retain: m.retain };
  if (m.properties !== undefined) c = { ...c, properties: copyProperties(m.properties) };
  if (m.expiresAt !== undefined) c = { ...c, expiresAt: m.expiresAt };
  return c;
}

/** A deep copy that keeps Buffers Buffers (structuredClone would hand back plain Uint8Arrays). */
function copyProperties(p: PublishProperties): PublishProperties {
  const c: PublishProperties = { ...p };
  if (p.correlationData !== undefined) c.correlationData = Buffer.from(p.correlationData);
  if (p.userProperties !== undefined) c.userProperties = p.userProperties.map(([k, v]) => [k, v]);
  if (p.subscriptionIdentifier !== undefined) c.subscriptionIdentifier = [...p.subscriptionIdentifier];
  return c;
}

function copyDelivery(d: PersistedDelivery): PersistedDelivery {
  const c: PersistedDelivery = { message: copyMessage(d.message), qos: d.qos, retain: d.retain };
  return d.subscriptionIds === undefined ? c : { ...c, subscriptionIds: [...d.subscriptionIds] };
}

/**
 * Whether `d` is the delivery the store keeps as `kept` (its own copy), by value: then the store can share
 * `kept` rather than copy `d` again. Deliveries with v5 properties are not compared (they are copied).
 */
function sameDelivery(kept: PersistedDelivery | undefined, d: PersistedDelivery): kept is PersistedDelivery {
  if (kept === undefined) return false;
  const a = kept.message;
  const b = d.message;
  return (
    kept.qos === d.qos &&
    kept.retain === d.retain &&
    a.topic === b.topic &&
    a.qos === b.qos &&
    a.retain === b.retain &&
    a.expiresAt === b.expiresAt &&
    a.properties === undefined &&
    b.properties === undefined &&
    sameIds(kept.subscriptionIds, d.subscriptionIds) &&
    a.payload.equals(b.payload)
  );
}

function sameIds(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/**
 * The store's own inflight entry for `i`. A message sent from the queue (`seq`), or one whose state changes
 * (publish -> pubrel), is the delivery the store already holds: that copy is shared rather than made again.
 * Shared copies are never changed and never handed out (reads copy), so sharing them keeps the store's
 * values its own.
 */
function keptInflight(r: SessionRecord, i: PersistedInflight): PersistedInflight {
  const queued = i.seq === undefined ? undefined : r.queue.get(i.seq);
  const previous = r.inflight.get(i.packetId)?.delivery;
  const delivery = sameDelivery(queued, i.delivery)
    ? queued
    : sameDelivery(previous, i.delivery)
      ? previous
      : copyDelivery(i.delivery);
  const c: PersistedInflight = { packetId: i.packetId, delivery, state: i.state };
  return i.seq === undefined ? c : { ...c, seq: i.seq };
}

function copyInflight(i: PersistedInflight): PersistedInflight {
  const c: PersistedInflight = { packetId: i.packetId, delivery: copyDelivery(i.delivery), state: i.state };
  return i.seq === undefined ? c : { ...c, seq: i.seq };
}

function copyWill(w: PersistedWill): PersistedWill {
  const c: PersistedWill = {
    message: copyMessage(w.message),
    delay: w.delay,
    username: w.username,
    protocolVersion: w.protocolVersion,
  };
  return w.publishAt === undefined ? c : { ...c, publishAt: w.publishAt };
}

function toRecord(s: PersistedSession): SessionRecord {
  return {
    clientId: s.clientId,
    subscriptions: new Map(s.subscriptions.map((sub) => [sub.topic, { ...sub }])),
    queue: new Map([...s.queue].sort((a, b) => a.seq - b.seq).map((e) => [e.seq, copyDelivery(e.delivery)])),
    inflight: new Map(s.inflight.map((i) => [i.packetId, copyInflight(i)])),
    inboundQos2: new Set(s.inboundQos2),
    disconnectedAt: s.disconnectedAt,
    expiryInterval: s.expiryInterval,
    username: s.username,
    protocolVersion: s.protocolVersion,
  };
}

function queued(r: SessionRecord, afterSeq: number, max: number): PersistedQueued[] {
  const out: PersistedQueued[] = [];
  if (max <= 0) return out;
  for (const [seq, delivery] of r.queue) {
    if (seq <= afterSeq) continue;
    out.push({ seq, delivery: copyDelivery(delivery) });
    if (out.length >= max) break;
  }
  return out;
}

function fromRecord(r: SessionRecord, maxQueued = Infinity): PersistedSession {
  let s: PersistedSession = {
    clientId: r.clientId,
    subscriptions: [...r.subscriptions.values()].map((sub) => ({ ...sub })),
    queue: queued(r, -1, maxQueued),
    inflight: [...r.inflight.values()].map(copyInflight),
    inboundQos2: [...r.inboundQos2],
  };
  if (r.disconnectedAt !== undefined) s = { ...s, disconnectedAt: r.disconnectedAt };
  if (r.expiryInterval !== undefined) s = { ...s, expiryInterval: r.expiryInterval };
  if (r.username !== undefined) s = { ...s, username: r.username };
  if (r.protocolVersion !== undefined) s = { ...s, protocolVersion: r.protocolVersion };
  return s;
}

const DONE = Promise.resolve();

/**
 * The default store: everything in maps, copied in and out so callers never share buffers with it. It
 * outlives `close()` (a second broker in the same process can start on it), not the process.
 */
export class MemoryPersistence implements Persistence {
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly retained = new Map<string, PersistedMessage>();
  private readonly wills = new Map<string, PersistedWill>();

  close(): Promise<void> {
    return DONE;
  }

  saveSession(session: PersistedSession): Promise<void> {
    this.sessions.set(session.clientId, toRecord(session));
    return DONE;
  }

  updateSession(clientId: string, update: SessionUpdate): Promise<void> {
    const r = this.sessions.get(clientId);
    if (r === undefined) return DONE;
    if (update.disconnectedAt !== undefined) r.disconnectedAt = update.disconnectedAt ?? undefined;
    if (update.expiryInterval !== undefined) r.expiryInterval = update.expiryInterval ?? undefined;
    if (update.username !== undefined) r.username = update.username;
    if (update.protocolVersion !== undefined) r.protocolVersion = update.protocolVersion;
    return DONE;
  }

  getSession(clientId: string): Promise<PersistedSession | undefined> {
    const r = this.sessions.get(clientId);
    return Promise.resolve(r === undefined ? undefined : fromRecord(r));
  }

  deleteSession(clientId: string): Promise<void> {
    this.sessions.delete(clientId);
    return DONE;
  }

  listSessions(maxQueued?: number): Promise<PersistedSession[]> {
    return Promise.resolve([...this.sessions.values()].map((r) => fromRecord(r, maxQueued)));
  }

  setSubscription(clientId: string, subscription: PersistedSubscription): Promise<void> {
    this.sessions.get(clientId)?.subscriptions.set(subscription.topic, { ...subscription });
    return DONE;
  }

  deleteSubscription(clientId: string, topic: string): Promise<void> {
    this.sessions.get(clientId)?.subscriptions.delete(topic);
    return DONE;
  }

  pushQueued(clientId: string, entry: PersistedQueued): Promise<void> {
    this.sessions.get(clientId)?.queue.set(entry.seq, copyDelivery(entry.delivery));
    return DONE;
  }

  deleteQueued(clientId: string, seq: number): Promise<void> {
    this.sessions.get(clientId)?.queue.delete(seq);
    return DONE;
  }

  listQueued(clientId: string, afterSeq: number, max: number): Promise<PersistedQueued[]> {
    const r = this.sessions.get(clientId);
    return Promise.resolve(r === undefined ? [] : queued(r, afterSeq, max));
  }

  countQueued(clientId: string): Promise<number> {
    return Promise.resolve(this.sessions.get(clientId)?.queue.size ?? 0);
  }

  setInflight(clientId: string, inflight: PersistedInflight): Promise<void> {
    const r = this.sessions.get(clientId);
    if (r === undefined) return DONE;
    const kept = keptInflight(r, inflight);
    // A message just sent goes last in the send order (a Map keeps a replaced key's place).
    if (inflight.state === 'publish') r.inflight.delete(inflight.packetId);
    r.inflight.set(inflight.packetId, kept);
    return DONE;
  }

  deleteInflight(clientId: string, packetId: number): Promise<void> {
    this.sessions.get(clientId)?.inflight.delete(packetId);
    return DONE;
  }

  addInboundQos2(clientId: string, packetId: number): Promise<void> {
    this.sessions.get(clientId)?.inboundQos2.add(packetId);
    return DONE;
  }

  deleteInboundQos2(clientId: string, packetId: number): Promise<void> {
    this.sessions.get(clientId)?.inboundQos2.delete(packetId);
    return DONE;
  }

  setWill(clientId: string, will: PersistedWill): Promise<void> {
    this.wills.set(clientId, copyWill(will));
    return DONE;
  }

  deleteWill(clientId: string): Promise<void> {
    this.wills.delete(clientId);
    return DONE;
  }

  listWills(): Promise<Map<string, PersistedWill>> {
    return Promise.resolve(new Map([...this.wills].map(([id, w]) => [id, copyWill(w)])));
  }

  setRetained(message: PersistedMessage): Promise<void> {
    this.retained.set(message.topic, copyMessage(message));
    return DONE;
  }

  deleteRetained(topic: string): Promise<void> {
    this.retained.delete(topic);
    return DONE;
  }

  getRetained(topic: string): Promise<PersistedMessage | undefined> {
    const m = this.retained.get(topic);
    return Promise.resolve(m === undefined ? undefined : copyMessage(m));
  }

  listRetained(): Promise<PersistedMessage[]> {
    return Promise.resolve([...this.retained.values()].map(copyMessage));
  }
}
