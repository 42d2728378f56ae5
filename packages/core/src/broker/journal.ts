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
  #collected: Promise<void>[] | undefined;
  /** Nested `begin`s (a message published while another is routed joins the outer one's writes). */
  #depth = 0;
  /** Writes issued and not settled yet, and who waits for there to be none (shutdown). */
  #pending = 0;
  #idle: (() => void)[] = [];

  constructor(services: { readonly log: Logger; readonly persistence: Persistence }) {
    this.#services = services;
  }

  /** The store (read on each use: the broker may pick it at start, after construction). */
  get store(): Persistence {
    return this.#services.persistence;
  }

  /** Hands one write to the journal: logged if it fails, and collected while a publish is routed. */
  write(write: Promise<void>): void {
    this.collect(write);
    this.#pending++;
    write.then(this.#settled, (err: unknown) => {
      this.#services.log.error({ err }, 'persistence write failed');
      this.#settled();
    });
  }

  readonly #settled = (): void => {
    if (--this.#pending > 0 || this.#idle.length === 0) return;
    const waiting = this.#idle;
    this.#idle = [];
    for (const resolve of waiting) resolve();
  };

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
    const collected = this.#collected;
    if (collected === undefined) return undefined;
    this.#collected = undefined;
    return collected.length === 1 ? collected[0] : Promise.all(collected).then(noop);
  }

  /** Collects a write for the message being routed even when it is not the journal's own (receive decisions). */
  collect(pending: Promise<void>): void {
    if (this.#depth === 0) return;
    (this.#collected ??= []).push(pending);
  }
}

function noop(): void {}
