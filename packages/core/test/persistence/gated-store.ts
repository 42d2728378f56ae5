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
 * `release()`, `fail(err)` makes them reject (a full disk). Reads see every write issued before them, as
 * the interface asks (they wait for held writes). `writes` names each write in the order the broker issued
 * it; `reads` counts the queue pages read back (`listQueued`), with their sizes.
 */
export class GatedStore implements Persistence {
  readonly inner = new MemoryPersistence();
  readonly writes: string[] = [];
  private held: (() => void)[] | undefined;
  private failure: Error | undefined;
  /** The last write issued: reads wait for it (and for the writes before it). */
  private lastWrite: Promise<unknown> = Promise.resolve();
  readonly reads: { clientId: string; afterSeq: number; max: number; got: number }[] = [];

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
    const done = held === undefined ? apply() : new Promise<void>((resolve) => held.push(resolve)).then(apply);
    this.lastWrite = done.catch(() => undefined);
    return done;
  }

  /** Runs a read once the writes issued before it are applied. */
  private read<T>(body: () => Promise<T>): Promise<T> {
    return this.lastWrite.then(body);
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
    return this.read(() => this.inner.getSession(clientId));
  }
  deleteSession(clientId: string): Promise<void> {
    return this.write(`deleteSession ${clientId}`, () => this.inner.deleteSession(clientId));
  }
  listSessions(maxQueued?: number): Promise<PersistedSession[]> {
    return this.read(() => this.inner.listSessions(maxQueued));
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
    return this.read(async () => {
      const page = await this.inner.listQueued(clientId, afterSeq, max);
      this.reads.push({ clientId, afterSeq, max, got: page.length });
      return page;
    });
  }
  countQueued(clientId: string): Promise<number> {
    return this.read(() => this.inner.countQueued(clientId));
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
    return this.read(() => this.inner.listWills());
  }
  setRetained(message: PersistedMessage): Promise<void> {
    return this.write(`setRetained ${message.topic}`, () => this.inner.setRetained(message));
  }
  deleteRetained(topic: string): Promise<void> {
    return this.write(`deleteRetained ${topic}`, () => this.inner.deleteRetained(topic));
  }
  getRetained(topic: string): Promise<PersistedMessage | undefined> {
    return this.read(() => this.inner.getRetained(topic));
  }
  listRetained(): Promise<PersistedMessage[]> {
    return this.read(() => this.inner.listRetained());
  }
}
