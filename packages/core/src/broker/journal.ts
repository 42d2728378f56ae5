import type { Persistence } from '../persistence/types.js';
import type { Logger } from '../plugin-api/types.js';

/**
 * Write-through to the store: the broker's state changes reach persistence as they happen, not at
 * shutdown, so a kill -9 loses nothing the store had confirmed.
 *
 * Writes are issued in the order the broker changes its state, so per client id they reach the store in
 * order (the store applies them in that order). A failed write is logged; while a QoS 1/2 message is routed
 * (`begin` … `end`) the writes it causes are also collected, and its acknowledgement waits for them and
 * turns negative if one fails: a publisher is never told a message is safe before it is.
 */
export class Journal {
  readonly #services: { readonly log: Logger; readonly persistence: Persistence };
  /** The writes collected for the message being routed: the first one, and the others if there are (rarely). */
  #collected: Promise<void> | undefined;
  #collectedMore: Promise<void>[] | undefined;
  /** Nested `begin`s (a message published while another is routed joins the outer one's writes). */
  #depth = 0;
  /** The last write's promise while it is unsettled: a write handing in the same promise adds nothing to wait for. */
  #tracked: Promise<void> | undefined;
  /** How many writes share the tracked promise (counted off together when it settles). */
  #trackedWrites: { n: number } | undefined;
  /** Distinct write promises issued and not settled yet, and who waits for there to be none (shutdown). */
  #pending = 0;
  #idle: (() => void)[] = [];
  /** Writes issued and not settled yet (each write, not each promise). */
  #outstanding = 0;
  readonly #high: number;
  readonly #low: number;
  /** Work held back while the store was congested, run once it has caught up (`whenRelieved`). */
  #relieved: (() => void)[] = [];
  /** Writes issued, and failed, since start (for `storeStats`). */
  #issued = 0;
  #failed = 0;
  /** Why the last write failed, until one succeeds again. */
  #failing: string | undefined;

  /**
   * `congestion`: past `high` unsettled writes the journal is congested until they fall to `low`. The defaults
   * stay well below lmdb-js's own backpressure (it puts the main thread to sleep on every write past 300,000
   * outstanding ones, which also holds up its write thread whenever that waits for a callback).
   */
  constructor(
    services: { readonly log: Logger; readonly persistence: Persistence },
    congestion: { readonly high: number; readonly low: number } = { high: 50_000, low: 10_000 },
  ) {
    this.#services = services;
    this.#high = congestion.high;
    this.#low = congestion.low;
  }

  /**
   * More writes are waiting for the store than it keeps up with: work that can wait (sending a persistent
   * session's queue, which writes per message sent) should, until `whenRelieved` calls back. Acknowledgements
   * and new messages are not held back here: their writes are what the store is catching up with.
   */
  get congested(): boolean {
    return this.#outstanding > this.#high;
  }

  /** Calls `resume` once the unsettled writes are down to the low mark (at once if they are). */
  whenRelieved(resume: () => void): void {
    if (this.#outstanding <= this.#low) resume();
    else this.#relieved.push(resume);
  }

  /** What `BrokerApi.storeStats()` reports of the writes (the caller adds the store's kind). */
  figures(): {
    writes: number;
    writeFailures: number;
    pendingWrites: number;
    congested: boolean;
    failing: string | undefined;
  } {
    return {
      writes: this.#issued,
      writeFailures: this.#failed,
      pendingWrites: this.#outstanding,
      congested: this.congested,
      failing: this.#failing,
    };
  }

  /** The store (read on each use: the broker may pick it at start, after construction). */
  get store(): Persistence {
    return this.#services.persistence;
  }

  /**
   * Hands one write to the journal: logged if it fails, and collected while a publish is routed. Stores may
   * give the writes of one transaction the same promise (the LMDB store does, `MemoryPersistence` resolves
   * them all with one): a promise already being waited for is not waited for twice, so a turn's writes cost one
   * set of handlers, not one per write.
   */
  write(write: Promise<void>): void {
    this.collect(write);
    this.#outstanding++;
    this.#issued++;
    const shared = this.#trackedWrites;
    if (write === this.#tracked && shared !== undefined) {
      shared.n++;
      return;
    }
    const writes = { n: 1 };
    this.#tracked = write;
    this.#trackedWrites = writes;
    this.#pending++;
    write.then(
      () => {
        this.#failing = undefined;
        this.#settled(write, writes);
      },
      (err: unknown) => {
        this.#services.log.error({ err }, 'persistence write failed');
        this.#failed += writes.n;
        this.#failing = err instanceof Error ? err.message : String(err);
        this.#settled(write, writes);
      },
    );
  }

  #settled(write: Promise<void>, writes: { n: number }): void {
    if (this.#tracked === write) {
      this.#tracked = undefined;
      this.#trackedWrites = undefined;
    }
    this.#outstanding -= writes.n;
    if (this.#relieved.length > 0 && this.#outstanding <= this.#low) {
      const waiting = this.#relieved;
      this.#relieved = [];
      for (const resume of waiting) resume();
    }
    if (--this.#pending > 0 || this.#idle.length === 0) return;
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  }

  /** Resolves once every write issued so far has settled (shutdown waits for it before closing the store). */
  idle(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Starts collecting the writes of one QoS 1/2 message's routing. */
  begin(): void {
    this.#depth++;
  }

  /**
   * Ends what `begin` started: the writes the message caused, as one promise (rejecting if any failed), or
   * undefined when it caused none (nothing to wait for: the usual case without persistent sessions).
   */
  end(): Promise<void> | undefined {
    if (--this.#depth > 0) return undefined;
    const first = this.#collected;
    const more = this.#collectedMore;
    this.#collected = this.#collectedMore = undefined;
    return more === undefined ? first : Promise.all(more).then(noop);
  }

  /**
   * Collects a write for the message being routed even when it is not the journal's own (receive decisions).
   * The same promise handed in again in a row (the writes of one transaction) is collected once.
   */
  collect(pending: Promise<void>): void {
    if (this.#depth === 0) return;
    const first = this.#collected;
    if (first === undefined) {
      this.#collected = pending;
      return;
    }
    const more = this.#collectedMore;
    if (more === undefined) {
      if (pending !== first) this.#collectedMore = [first, pending];
    } else if (more[more.length - 1] !== pending) more.push(pending);
  }
}

function noop(): void {}
