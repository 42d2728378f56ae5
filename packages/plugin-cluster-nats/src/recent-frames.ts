/**
 * The QoS 1/2 messages this node sent in the last RECENT_MS, for a node that lost its link to NATS and
 * asks the others to send again what it may have missed (resend-requests.ts): NATS forgot about a node
 * while it was away, so what was published meanwhile never reached it. A ring: recording is two array
 * writes and a clock read per message; bounded by count and bytes, oldest out first.
 */
export const RECENT_MS = 10_000;
/** Below the receivers' memory of ids per sender (seen-messages.ts RING_SIZE): copies they had are dropped. */
export const MAX_RECENT = 50_000;
export const MAX_RECENT_BYTES = 32 * 1024 * 1024;

export class RecentFrames {
  readonly #at = new Float64Array(MAX_RECENT);
  readonly #subjects: (string | undefined)[] = new Array<string | undefined>(MAX_RECENT);
  readonly #frames: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(MAX_RECENT);
  #head = 0;
  #size = 0;
  #bytes = 0;

  get size(): number {
    return this.#size;
  }

  add(subject: string, frame: Uint8Array, now: number): void {
    while (this.#size > 0 && (this.#size === MAX_RECENT || this.#bytes + frame.length > MAX_RECENT_BYTES)) this.#drop();
    while (this.#size > 0 && (this.#at[this.#head] as number) < now - RECENT_MS) this.#drop();
    const slot = (this.#head + this.#size) % MAX_RECENT;
    this.#at[slot] = now;
    this.#subjects[slot] = subject;
    this.#frames[slot] = frame;
    this.#size++;
    this.#bytes += frame.length;
  }

  /** Calls `each` for every message sent at or after `since` (and within RECENT_MS of `now`), oldest first. */
  since(since: number, now: number, each: (subject: string, frame: Uint8Array) => void): number {
    const from = Math.max(since, now - RECENT_MS);
    let n = 0;
    for (let i = 0; i < this.#size; i++) {
      const slot = (this.#head + i) % MAX_RECENT;
      if ((this.#at[slot] as number) < from) continue;
      each(this.#subjects[slot] as string, this.#frames[slot] as Uint8Array);
      n++;
    }
    return n;
  }

  #drop(): void {
    const slot = this.#head;
    this.#bytes -= this.#frames[slot]?.length ?? 0;
    this.#subjects[slot] = undefined;
    this.#frames[slot] = undefined;
    this.#head = (slot + 1) % MAX_RECENT;
    this.#size--;
  }
}
