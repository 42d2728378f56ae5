/**
 * Retained messages, one per topic name, in a trie keyed by topic level. A SUBSCRIBE walks the
 * trie following its filter, so its cost depends on the matching topics, not on how many retained
 * messages exist.
 *
 * The store keeps what it is given: callers copy messages whose buffers are views on socket chunks
 * before storing them.
 */

const DOLLAR = 0x24;
const PLUS = 0x2b;
const HASH = 0x23;

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

  /** Number of retained messages. */
  get size(): number {
    return this.#size;
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
    if (node.topic === undefined) this.#size++;
    node.topic = topic;
    node.message = message;
  }

  get(topic: string): M | undefined {
    return this.#find(topic)?.message;
  }

  /** Removes the retained message of `topic`, pruning empty nodes. Returns whether there was one. */
  delete(topic: string): boolean {
    const node = this.#find(topic);
    if (node?.topic === undefined) return false;
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
    matchFrom(this.#root, filter, 0, true, visit, ctx);
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

function visitNode<M, C>(node: Node<M>, visit: RetainedVisitor<M, C>, ctx: C): void {
  if (node.topic !== undefined) visit(node.message as M, node.topic, ctx);
}

/** Visits every message in the subtree of `node`, `node` included. */
function visitSubtree<M, C>(node: Node<M>, visit: RetainedVisitor<M, C>, ctx: C): void {
  visitNode(node, visit, ctx);
  if (node.children === undefined) return;
  for (const child of node.children.values()) visitSubtree(child, visit, ctx);
}

/**
 * Matches the filter levels from index `start` against the children of `node` (the levels
 * consumed so far). `atRoot` applies the $-topic rule to wildcards at the first level.
 */
function matchFrom<M, C>(
  node: Node<M>,
  filter: string,
  start: number,
  atRoot: boolean,
  visit: RetainedVisitor<M, C>,
  ctx: C,
): void {
  let end = filter.indexOf('/', start);
  if (end < 0) end = filter.length;
  const last = end === filter.length;
  const single = end - start === 1;
  if (single && filter.charCodeAt(start) === HASH) {
    // `a/#` matches `a` itself [MQTT-4.7.1-2]; the root holds no message (topics are never empty).
    visitNode(node, visit, ctx);
    if (node.children === undefined) return;
    for (const [level, child] of node.children) {
      if (atRoot && level.charCodeAt(0) === DOLLAR) continue;
      visitSubtree(child, visit, ctx);
    }
    return;
  }
  if (node.children === undefined) return;
  if (single && filter.charCodeAt(start) === PLUS) {
    for (const [level, child] of node.children) {
      if (atRoot && level.charCodeAt(0) === DOLLAR) continue;
      if (last) visitNode(child, visit, ctx);
      else matchFrom(child, filter, end + 1, false, visit, ctx);
    }
    return;
  }
  const child = node.children.get(filter.substring(start, end));
  if (child === undefined) return;
  if (last) visitNode(child, visit, ctx);
  else matchFrom(child, filter, end + 1, false, visit, ctx);
}
