import type {
  PersistedDelivery,
  PersistedInflight,
  PersistedMessage,
  PersistedSession,
  PersistedSubscription,
  Persistence,
} from './types.js';

interface SessionRecord {
  clientId: string;
  subscriptions: Map<string, PersistedSubscription>;
  queue: PersistedDelivery[];
  inflight: Map<number, PersistedInflight>;
  inboundQos2: number[];
  disconnectedAt: number | undefined;
  expiryInterval: number | undefined;
  username: string | null | undefined;
}

function copyMessage(m: PersistedMessage): PersistedMessage {
  let c: PersistedMessage = { topic: m.topic, payload: Buffer.from(m.payload), qos: m.qos, retain: m.retain };
  if (m.properties !== undefined) c = { ...c, properties: structuredClone(m.properties) };
  if (m.expiresAt !== undefined) c = { ...c, expiresAt: m.expiresAt };
  return c;
}

function copyDelivery(d: PersistedDelivery): PersistedDelivery {
  const c: PersistedDelivery = { message: copyMessage(d.message), qos: d.qos, retain: d.retain };
  return d.subscriptionIds === undefined ? c : { ...c, subscriptionIds: [...d.subscriptionIds] };
}

function copyInflight(i: PersistedInflight): PersistedInflight {
  return { packetId: i.packetId, delivery: copyDelivery(i.delivery), state: i.state };
}

function toRecord(s: PersistedSession): SessionRecord {
  return {
    clientId: s.clientId,
    subscriptions: new Map(s.subscriptions.map((sub) => [sub.topic, { ...sub }])),
    queue: s.queue.map(copyDelivery),
    inflight: new Map(s.inflight.map((i) => [i.packetId, copyInflight(i)])),
    inboundQos2: [...s.inboundQos2],
    disconnectedAt: s.disconnectedAt,
    expiryInterval: s.expiryInterval,
    username: s.username,
  };
}

function fromRecord(r: SessionRecord): PersistedSession {
  let s: PersistedSession = {
    clientId: r.clientId,
    subscriptions: [...r.subscriptions.values()].map((sub) => ({ ...sub })),
    queue: r.queue.map(copyDelivery),
    inflight: [...r.inflight.values()].map(copyInflight),
    inboundQos2: [...r.inboundQos2],
  };
  if (r.disconnectedAt !== undefined) s = { ...s, disconnectedAt: r.disconnectedAt };
  if (r.expiryInterval !== undefined) s = { ...s, expiryInterval: r.expiryInterval };
  if (r.username !== undefined) s = { ...s, username: r.username };
  return s;
}

/** The default store: everything in maps, copied in and out so callers never share buffers with it. */
export class MemoryPersistence implements Persistence {
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly retained = new Map<string, PersistedMessage>();

  close(): Promise<void> {
    return Promise.resolve();
  }

  saveSession(session: PersistedSession): Promise<void> {
    this.sessions.set(session.clientId, toRecord(session));
    return Promise.resolve();
  }

  getSession(clientId: string): Promise<PersistedSession | undefined> {
    const r = this.sessions.get(clientId);
    return Promise.resolve(r === undefined ? undefined : fromRecord(r));
  }

  deleteSession(clientId: string): Promise<void> {
    this.sessions.delete(clientId);
    return Promise.resolve();
  }

  listSessions(): Promise<PersistedSession[]> {
    return Promise.resolve([...this.sessions.values()].map(fromRecord));
  }

  setSubscription(clientId: string, subscription: PersistedSubscription): Promise<void> {
    this.sessions.get(clientId)?.subscriptions.set(subscription.topic, { ...subscription });
    return Promise.resolve();
  }

  deleteSubscription(clientId: string, topic: string): Promise<void> {
    this.sessions.get(clientId)?.subscriptions.delete(topic);
    return Promise.resolve();
  }

  pushQueued(clientId: string, delivery: PersistedDelivery): Promise<void> {
    this.sessions.get(clientId)?.queue.push(copyDelivery(delivery));
    return Promise.resolve();
  }

  takeQueued(clientId: string, max: number): Promise<PersistedDelivery[]> {
    const r = this.sessions.get(clientId);
    if (r === undefined || max <= 0) return Promise.resolve([]);
    return Promise.resolve(r.queue.splice(0, max));
  }

  setInflight(clientId: string, inflight: PersistedInflight): Promise<void> {
    this.sessions.get(clientId)?.inflight.set(inflight.packetId, copyInflight(inflight));
    return Promise.resolve();
  }

  deleteInflight(clientId: string, packetId: number): Promise<void> {
    this.sessions.get(clientId)?.inflight.delete(packetId);
    return Promise.resolve();
  }

  setRetained(message: PersistedMessage): Promise<void> {
    this.retained.set(message.topic, copyMessage(message));
    return Promise.resolve();
  }

  deleteRetained(topic: string): Promise<void> {
    this.retained.delete(topic);
    return Promise.resolve();
  }

  getRetained(topic: string): Promise<PersistedMessage | undefined> {
    const m = this.retained.get(topic);
    return Promise.resolve(m === undefined ? undefined : copyMessage(m));
  }

  listRetained(): Promise<PersistedMessage[]> {
    return Promise.resolve([...this.retained.values()].map(copyMessage));
  }
}
