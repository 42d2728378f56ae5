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
  /** Distinct write promises issued and not settled yet, and who waits for there to be none (shutdown). */
  #pending = 0;
  #idle: (() => void)[] = [];

  constructor(services: { readonly log: Logger; readonly persistence: Persistence }) {
    this.#services = services;
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
    if (write === this.#tracked) return;
    this.#tracked = write;
    this.#pending++;
    write.then(
      () => this.#settled(write),
      (err: unknown) => {
        this.#services.log.error({ err }, 'persistence write failed');
        this.#settled(write);
      },
    );
  }

  #settled(write: Promise<void>): void {
    if (this.#tracked === write) this.#tracked = undefined;
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
