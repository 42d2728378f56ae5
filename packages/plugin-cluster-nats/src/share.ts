/**
 * Shared subscriptions across the cluster: for each `$share/{group}/{filter}` with a member on this node,
 * a NATS subscription to the filter's subjects in a queue group named after the group and filter, the
 * same on every node. NATS hands each message to one member of a queue group, so one node in the whole
 * cluster gets it, and delivers it to one of its members. The subscriptions live on a connection of their
 * own: the messages this node publishes reach them too (the main connection does not echo), so a member
 * here is a candidate like any other.
 */
import { createHash } from 'node:crypto';
import { parseSharedFilter } from '@midge/mqtt-core';
import { MAX_SUBJECT_BYTES, filterSubjects, subjectBytes } from './subject.js';

/** Subscribes to `subject` in queue group `queue`; the function it returns ends the subscription. */
export type SubscribeQueue = (subject: string, queue: string, share: Share) => () => void;

export interface Share {
  readonly group: string;
  readonly filter: string;
}

interface Held {
  count: number;
  readonly ends: readonly (() => void)[];
}

/**
 * The queue group of `$share/{group}/{filter}`: the same on every node of a cluster (`prefix`), distinct
 * for each group and filter (`$share/g/a` and `$share/g/b` are two shared subscriptions), a plain token.
 */
export function shareQueue(prefix: string, share: Share): string {
  const digest = createHash('sha256').update(`${prefix}\n${share.group}\n${share.filter}`).digest('hex');
  return `share-${digest.slice(0, 32)}`;
}

export class ShareTable {
  readonly #root: string;
  readonly #prefix: string;
  readonly #subscribe: SubscribeQueue;
  readonly #held = new Map<string, Held>();

  /** `root`: the message subjects' common start (`<prefix>.msg`); `prefix`: the cluster's subject prefix. */
  constructor(root: string, prefix: string, subscribe: SubscribeQueue) {
    this.#root = root;
    this.#prefix = prefix;
    this.#subscribe = subscribe;
  }

  /** Shared subscriptions this node takes part in. */
  get size(): number {
    return this.#held.size;
  }

  /** A session of this node now holds `filter`; only `$share/...` filters concern this table. */
  add(filter: string): void {
    const share = parseSharedFilter(filter);
    if (share === undefined || share.filter.startsWith('$')) return;
    const key = `${share.group}\n${share.filter}`;
    const held = this.#held.get(key);
    if (held !== undefined) {
      held.count++;
      return;
    }
    const subjects = filterSubjects(this.#root, share.filter);
    // Too long for NATS: the group's members here get only what is published here (InterestTable warns alike).
    if (subjects.some((s) => subjectBytes(s) > MAX_SUBJECT_BYTES)) return;
    const queue = shareQueue(this.#prefix, share);
    this.#held.set(key, { count: 1, ends: subjects.map((subject) => this.#subscribe(subject, queue, share)) });
  }

  /** A session no longer holds `filter`; the last member here ends the node's part in the group. */
  remove(filter: string): void {
    const share = parseSharedFilter(filter);
    if (share === undefined) return;
    const key = `${share.group}\n${share.filter}`;
    const held = this.#held.get(key);
    if (held === undefined || --held.count > 0) return;
    this.#held.delete(key);
    for (const end of held.ends) end();
  }

  clear(): void {
    for (const held of this.#held.values()) for (const end of held.ends) end();
    this.#held.clear();
  }
}
