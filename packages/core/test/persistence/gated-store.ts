import { MemoryPersistence } from '../../src/persistence/memory.js';
import type {
  PersistedInflight,
  PersistedMessage,
  PersistedQueued,
  PersistedSession,
  PersistedSubscription,
  PersistedWill,
  Persistence,
  SessionUpdate,
} from '../../src/persistence/types.js';

/**
 * A MemoryPersistence whose writes the test controls: `hold()` makes every later write wait until
 * `release()`, `fail(err)` makes them reject (a full disk). Reads pass straight through. `writes` names
 * each write in the order the broker issued it.
 */
export class GatedStore implements Persistence {
  readonly inner = new MemoryPersistence();
  readonly writes: string[] = [];
  private held: (() => void)[] | undefined;
  private failure: Error | undefined;

  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const go of held) go();
  }

  fail(err: Error | undefined): void {
    this.failure = err;
  }

  private write(name: string, apply: () => Promise<void>): Promise<void> {
    this.writes.push(name);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const held = this.held;
    if (held === undefined) return apply();
    return new Promise<void>((resolve) => held.push(resolve)).then(apply);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
  saveSession(s: PersistedSession): Promise<void> {
    return this.write(`saveSession ${s.clientId}`, () => this.inner.saveSession(s));
  }
  updateSession(clientId: string, update: SessionUpdate): Promise<void> {
    return this.write(`updateSession ${clientId}`, () => this.inner.updateSession(clientId, update));
  }
  getSession(clientId: string): Promise<PersistedSession | undefined> {
    return this.inner.getSession(clientId);
  }
  deleteSession(clientId: string): Promise<void> {
    return this.write(`deleteSession ${clientId}`, () => this.inner.deleteSession(clientId));
  }
  listSessions(maxQueued?: number): Promise<PersistedSession[]> {
    return this.inner.listSessions(maxQueued);
  }
  setSubscription(clientId: string, sub: PersistedSubscription): Promise<void> {
    return this.write(`setSubscription ${clientId} ${sub.topic}`, () => this.inner.setSubscription(clientId, sub));
  }
  deleteSubscription(clientId: string, topic: string): Promise<void> {
    return this.write(`deleteSubscription ${clientId} ${topic}`, () => this.inner.deleteSubscription(clientId, topic));
  }
  pushQueued(clientId: string, entry: PersistedQueued): Promise<void> {
    return this.write(`pushQueued ${clientId} ${entry.seq}`, () => this.inner.pushQueued(clientId, entry));
  }
  deleteQueued(clientId: string, seq: number): Promise<void> {
    return this.write(`deleteQueued ${clientId} ${seq}`, () => this.inner.deleteQueued(clientId, seq));
  }
  listQueued(clientId: string, afterSeq: number, max: number): Promise<PersistedQueued[]> {
    return this.inner.listQueued(clientId, afterSeq, max);
  }
  countQueued(clientId: string): Promise<number> {
    return this.inner.countQueued(clientId);
  }
  setInflight(clientId: string, inflight: PersistedInflight): Promise<void> {
    return this.write(`setInflight ${clientId} ${inflight.packetId} ${inflight.state}`, () =>
      this.inner.setInflight(clientId, inflight),
    );
  }
  deleteInflight(clientId: string, packetId: number): Promise<void> {
    return this.write(`deleteInflight ${clientId} ${packetId}`, () => this.inner.deleteInflight(clientId, packetId));
  }
  addInboundQos2(clientId: string, packetId: number): Promise<void> {
    return this.write(`addInboundQos2 ${clientId} ${packetId}`, () => this.inner.addInboundQos2(clientId, packetId));
  }
  deleteInboundQos2(clientId: string, packetId: number): Promise<void> {
    return this.write(`deleteInboundQos2 ${clientId} ${packetId}`, () =>
      this.inner.deleteInboundQos2(clientId, packetId),
    );
  }
  setWill(clientId: string, will: PersistedWill): Promise<void> {
    return this.write(`setWill ${clientId}`, () => this.inner.setWill(clientId, will));
  }
  deleteWill(clientId: string): Promise<void> {
    return this.write(`deleteWill ${clientId}`, () => this.inner.deleteWill(clientId));
  }
  listWills(): Promise<Map<string, PersistedWill>> {
    return this.inner.listWills();
  }
  setRetained(message: PersistedMessage): Promise<void> {
    return this.write(`setRetained ${message.topic}`, () => this.inner.setRetained(message));
  }
  deleteRetained(topic: string): Promise<void> {
    return this.write(`deleteRetained ${topic}`, () => this.inner.deleteRetained(topic));
  }
  getRetained(topic: string): Promise<PersistedMessage | undefined> {
    return this.inner.getRetained(topic);
  }
  listRetained(): Promise<PersistedMessage[]> {
    return this.inner.listRetained();
  }
}
