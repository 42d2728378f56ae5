/**
 * Retained messages, one per topic name, in a trie keyed by topic level. A SUBSCRIBE walks the
 * trie following its filter, so its cost depends on the matching topics, not on how many retained
 * messages exist.
 *
 * The store keeps what it is given: callers copy messages whose buffers are views on socket chunks
 * before storing them.
 */

import { RetainedCursor } from './retained-cursor.js';

class Node<M> {
  children: Map<string, Node<M>> | undefined = undefined;
  /** The full topic name, set while this node holds a message (visitors receive it). */
  topic: string | undefined = undefined;
  message: M | undefined = undefined;

  constructor(
    readonly parent: Node<M> | undefined,
    readonly level: string,
  ) {}
}

export type RetainedVisitor<M, C> = (message: M, topic: string, ctx: C) => void;

export class RetainedStore<M> {
  readonly #root = new Node<M>(undefined, '');
  #size = 0;
  #nodes = 0;
  #bytes = 0;
  readonly #sizeOf: (message: M) => number;

  /** `sizeOf`: what a message counts towards `bytes` (max_retained_bytes); nothing by default. */
  constructor(sizeOf: (message: M) => number = () => 0) {
    this.#sizeOf = sizeOf;
  }

  /** Number of retained messages. */
  get size(): number {
    return this.#size;
  }

  /** Sum of `sizeOf` over the retained messages. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Number of level nodes below the root: shows that deletes leave no empty nodes behind. */
  get nodeCount(): number {
    return this.#nodes;
  }

  /** Stores `message` as the retained message of `topic` (a valid topic name), replacing any. */
  set(topic: string, message: M): void {
    let node = this.#root;
    let start = 0;
    for (;;) {
      let end = topic.indexOf('/', start);
      if (end < 0) end = topic.length;
      const level = topic.substring(start, end);
      node.children ??= new Map();
      let child = node.children.get(level);
      if (child === undefined) {
        child = new Node<M>(node, level);
        node.children.set(level, child);
        this.#nodes++;
      }
      node = child;
      if (end === topic.length) break;
      start = end + 1;
    }
    const replaced = node.message;
    if (replaced === undefined) this.#size++;
    else this.#bytes -= this.#sizeOf(replaced);
    this.#bytes += this.#sizeOf(message);
    node.topic = topic;
    node.message = message;
  }

  get(topic: string): M | undefined {
    return this.#find(topic)?.message;
  }

  /** Removes the retained message of `topic`, pruning empty nodes. Returns whether there was one. */
  delete(topic: string): boolean {
    const node = this.#find(topic);
    const message = node?.message;
    if (node === undefined || message === undefined) return false;
    this.#bytes -= this.#sizeOf(message);
    node.topic = undefined;
    node.message = undefined;
    this.#size--;
    let n = node;
    while (n.parent !== undefined && n.topic === undefined && n.children === undefined) {
      const parent = n.parent;
      parent.children?.delete(n.level);
      if (parent.children?.size === 0) parent.children = undefined;
      this.#nodes--;
      n = parent;
    }
    return true;
  }

  /**
   * Calls `visit(message, topic, ctx)` for every retained message whose topic matches `filter` (a
   * valid topic filter). Root wildcards skip `$` topics [MQTT-4.7.2-1]. The visitor must not modify
   * the store.
   */
  match<C>(filter: string, visit: RetainedVisitor<M, C>, ctx: C): void {
    // One walk serves both: the cursor, run to its end.
    const cursor = this.cursor(filter);
    for (let m = cursor.next(); m !== undefined; m = cursor.next()) visit(m, cursor.topic, ctx);
  }

  /**
   * The messages `match` would visit, one `next()` at a time: a delivery can stop after a chunk and
   * resume later, while the store keeps changing (see RetainedCursor).
   */
  cursor(filter: string): RetainedCursor<M> {
    return new RetainedCursor(this.#root, filter);
  }

  #find(topic: string): Node<M> | undefined {
    let node: Node<M> | undefined = this.#root;
    let start = 0;
    for (;;) {
      let end = topic.indexOf('/', start);
      if (end < 0) end = topic.length;
      node = node.children?.get(topic.substring(start, end));
      if (node === undefined || end === topic.length) return node;
      start = end + 1;
    }
  }
}
