/**
 * The messages this node received lately from each other node, by id, so that a copy sent again (the
 * sender's NATS server died before confirming it, nats-link.ts) or read back from the stored messages
 * after this node's own outage (sessions.ts) is routed only if the first never came.
 *
 * Recording is on the hot path: one write into a ring of the last RING_SIZE sequence numbers per sender.
 * A lookup (rare: after an outage somewhere) builds a set from the ring, kept up to date while lookups
 * go on and dropped after a quiet minute.
 */
import type { MessageId } from './wire.js';

export const RING_SIZE = 65_536;
const LOOKUPS_QUIET_MS = 60_000;
/** How many records pass between two looks at the clock (whether lookups went quiet). */
const CLOCK_EVERY = 4096;

class Sender {
  readonly incarnation: number;
  readonly ring = new Float64Array(RING_SIZE);
  /** Sequence numbers recorded so far (the ring holds the last RING_SIZE of them). */
  count = 0;
  set: Set<number> | undefined;
  lastLookup = 0;

  constructor(incarnation: number) {
    this.incarnation = incarnation;
  }

  record(seq: number): void {
    const slot = this.count % RING_SIZE;
    const set = this.set;
    if (set !== undefined) {
      if (this.count >= RING_SIZE) set.delete(this.ring[slot] as number);
      set.add(seq);
      if (this.count % CLOCK_EVERY === 0 && Date.now() - this.lastLookup > LOOKUPS_QUIET_MS) this.set = undefined;
    }
    this.ring[slot] = seq;
    this.count++;
  }

  has(seq: number): boolean {
    this.lastLookup = Date.now();
    let set = this.set;
    if (set === undefined) {
      set = new Set();
      const n = Math.min(this.count, RING_SIZE);
      for (let i = 0; i < n; i++) set.add(this.ring[i] as number);
      this.set = set;
    }
    return set.has(seq);
  }
}

export class SeenMessages {
  readonly #senders = new Map<string, Sender>();

  /** `node` sent the message `id` and it reached this node. */
  record(node: string, id: MessageId): void {
    let sender = this.#senders.get(node);
    // A new incarnation: the node restarted, and nothing of its previous run is sent again.
    if (sender === undefined || sender.incarnation !== id.incarnation) {
      sender = new Sender(id.incarnation);
      this.#senders.set(node, sender);
    }
    sender.record(id.seq);
  }

  /** Whether message `id` of `node` reached this node (among its last RING_SIZE from that node). */
  has(node: string, id: MessageId): boolean {
    const sender = this.#senders.get(node);
    if (sender === undefined || sender.incarnation !== id.incarnation) return false;
    return sender.has(id.seq);
  }
}
