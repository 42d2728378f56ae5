/**
 * Which NATS subjects this node subscribes to: those of the filters its sessions hold, each once however
 * many sessions hold filters that map to it (reference-counted), so that NATS sends this node only the
 * messages one of its sessions wants, and nothing at all while it has no subscriber.
 */
import { effectiveFilter, parseSharedFilter } from '@midge/mqtt-core';
import type { Logger } from '@midge/mqtt-core';
import { MAX_SUBJECT_BYTES, filterSubjects, subjectBytes } from './subject.js';

/** Subscribes to one subject in NATS; the function it returns ends that subscription. */
export type SubscribeSubject = (subject: string) => () => void;

interface Held {
  count: number;
  readonly end: () => void;
}

/** Filters too long to map are warned about once each; the memory of them is bounded. */
const MAX_WARNED_FILTERS = 1000;

export class InterestTable {
  readonly #root: string;
  readonly #subscribe: SubscribeSubject;
  readonly #logger: Logger;
  readonly #held = new Map<string, Held>();
  readonly #warned = new Set<string>();

  /** `root`: the subjects' common start (`<prefix>.msg`). */
  constructor(root: string, subscribe: SubscribeSubject, logger: Logger) {
    this.#root = root;
    this.#subscribe = subscribe;
    this.#logger = logger;
  }

  /** How many subjects this node subscribes to in NATS. */
  get size(): number {
    return this.#held.size;
  }

  /** The subjects this node subscribes to, sorted. */
  subjects(): string[] {
    return [...this.#held.keys()].sort();
  }

  /** A session now holds `filter` (as subscribed: `$share/{group}/...` included). */
  add(filter: string): void {
    for (const subject of this.#subjectsOf(filter, true)) {
      const held = this.#held.get(subject);
      if (held !== undefined) held.count++;
      else this.#held.set(subject, { count: 1, end: this.#subscribe(subject) });
    }
  }

  /** A session no longer holds `filter`; the last one to let a subject go ends its NATS subscription. */
  remove(filter: string): void {
    for (const subject of this.#subjectsOf(filter, false)) {
      const held = this.#held.get(subject);
      if (held === undefined) continue;
      if (--held.count > 0) continue;
      this.#held.delete(subject);
      held.end();
    }
  }

  /** Ends every NATS subscription (the connection is closing). */
  clear(): void {
    for (const held of this.#held.values()) held.end();
    this.#held.clear();
  }

  /**
   * The subjects messages matching `filter` come from. A shared subscription has none here: its messages
   * come through its queue group across the cluster (share.ts). `$` topics never travel, so a `$` filter
   * needs no subject.
   */
  #subjectsOf(filter: string, adding: boolean): string[] {
    if (parseSharedFilter(filter) !== undefined) return [];
    const effective = effectiveFilter(filter);
    if (effective.startsWith('$')) return [];
    const subjects = filterSubjects(this.#root, effective);
    if (subjects.every((s) => subjectBytes(s) <= MAX_SUBJECT_BYTES)) return subjects;
    if (adding && !this.#warned.has(filter)) {
      if (this.#warned.size >= MAX_WARNED_FILTERS) this.#warned.clear();
      this.#warned.add(filter);
      this.#logger.warn(
        { filter: filter.slice(0, 200), maxSubjectBytes: MAX_SUBJECT_BYTES },
        'a subscription filter is too long to ask other nodes for its messages: it receives only messages published on this node',
      );
    }
    return [];
  }
}
