/**
 * The subscription index: one node per filter level, with `+` and `#` in dedicated slots so that
 * matching a topic follows at most three edges per level instead of scanning subscriptions.
 *
 * Filters must be valid (see `validateTopicFilter`); the trie does not re-check them.
 */

const DOLLAR = 0x24;

/**
 * Entries (key → value) stored as parallel arrays so that `match` iterates them with an indexed
 * loop (no iterator objects), plus an index for O(1) replace and delete (swap with the last).
 */
class Entries<V> {
  readonly keys: string[] = [];
  readonly values: V[] = [];
  readonly index = new Map<string, number>();

  get size(): number {
    return this.keys.length;
  }

  get(key: string): V | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.values[i];
  }

  /** Returns whether the key was new, and the previous value when it was not. */
  set(key: string, value: V): { added: boolean; previous: V | undefined } {
    const i = this.index.get(key);
    if (i !== undefined) {
      const previous = this.values[i];
      this.values[i] = value;
      return { added: false, previous };
    }
    this.index.set(key, this.keys.length);
    this.keys.push(key);
    this.values.push(value);
    return { added: true, previous: undefined };
  }

  delete(key: string): boolean {
    const i = this.index.get(key);
    if (i === undefined) return false;
    const last = this.keys.length - 1;
    if (i !== last) {
      const lastKey = this.keys[last] as string;
      this.keys[i] = lastKey;
      this.values[i] = this.values[last] as V;
      this.index.set(lastKey, i);
    }
    this.keys.pop();
    this.values.pop();
    this.index.delete(key);
    return true;
  }
}

class Node<V> {
  /** Literal child levels. Created on first use: most leaf nodes never have children. */
  children: Map<string, Node<V>> | undefined = undefined;
  /** The `+` child. */
  plus: Node<V> | undefined = undefined;
  /** Filters that end with `#` right below this node (`#` is always last, so it needs no node). */
  hash: Entries<V> | undefined = undefined;
  /** Filters that end at this node. */
  exact: Entries<V> | undefined = undefined;

  constructor(
    readonly parent: Node<V> | undefined,
    /** The level leading here from the parent ('+' for the plus slot). */
    readonly level: string,
  ) {}

  isEmpty(): boolean {
    return this.children === undefined && this.plus === undefined && this.hash === undefined && this.exact === undefined;
  }
}

export type TrieVisitor<V, C> = (value: V, key: string, ctx: C) => void;

export class TopicTrie<V> {
  readonly #root = new Node<V>(undefined, '');
  #size = 0;
  #nodes = 0;

  /** Number of (filter, key) entries. */
  get size(): number {
    return this.#size;
  }

  /** Number of level nodes below the root: shows that deletes leave no empty nodes behind. */
  get nodeCount(): number {
    return this.#nodes;
  }

  /** Adds or replaces the entry (filter, key). Returns the previous value or undefined. */
  set(filter: string, key: string, value: V): V | undefined {
    let node = this.#root;
    let start = 0;
    for (;;) {
      let end = filter.indexOf('/', start);
      if (end < 0) end = filter.length;
      if (end - start === 1 && filter.charCodeAt(start) === 0x23 /* # */) {
        node.hash ??= new Entries<V>();
        return this.#put(node.hash, key, value);
      }
      node = this.#childFor(node, filter, start, end);
      if (end === filter.length) break;
      start = end + 1;
    }
    node.exact ??= new Entries<V>();
    return this.#put(node.exact, key, value);
  }

  get(filter: string, key: string): V | undefined {
    const found = this.#find(filter);
    if (found === undefined) return undefined;
    const entries = found.isHash ? found.node.hash : found.node.exact;
    return entries?.get(key);
  }

  /** Removes the entry (filter, key) and prunes nodes left empty. Returns whether it existed. */
  delete(filter: string, key: string): boolean {
    const found = this.#find(filter);
    if (found === undefined) return false;
    const { node, isHash } = found;
    const entries = isHash ? node.hash : node.exact;
    if (entries === undefined || !entries.delete(key)) return false;
    this.#size--;
    if (entries.size === 0) {
      if (isHash) node.hash = undefined;
      else node.exact = undefined;
    }
    this.#nodes -= prune(node);
    return true;
  }

  /**
   * Calls `visit(value, key, ctx)` for every (filter, key) whose filter matches `topic` (a valid
   * topic name). A key subscribed with overlapping filters is visited once per filter; the router
   * merges. Filters starting with a wildcard are not matched against `$` topics [MQTT-4.7.2-1].
   * Pass state through `ctx` rather than a closure so that a match allocates nothing of its own.
   * The visitor must not modify the trie.
   */
  match<C>(topic: string, visit: TrieVisitor<V, C>, ctx: C): void {
    const root = this.#root;
    if (topic.charCodeAt(0) === DOLLAR) {
      // Only literal first levels may match a $ topic: skip the root's '+' and '#' slots.
      const children = root.children;
      if (children === undefined) return;
      let end = topic.indexOf('/');
      if (end < 0) end = topic.length;
      const child = children.get(topic.substring(0, end));
      if (child !== undefined) matchFrom(child, topic, end + 1, visit, ctx);
      return;
    }
    matchFrom(root, topic, 0, visit, ctx);
  }

  #childFor(node: Node<V>, filter: string, start: number, end: number): Node<V> {
    if (end - start === 1 && filter.charCodeAt(start) === 0x2b /* + */) {
      if (node.plus === undefined) {
        node.plus = new Node<V>(node, '+');
        this.#nodes++;
      }
      return node.plus;
    }
    const level = filter.substring(start, end);
    node.children ??= new Map();
    let child = node.children.get(level);
    if (child === undefined) {
      child = new Node<V>(node, level);
      node.children.set(level, child);
      this.#nodes++;
    }
    return child;
  }

  #put(entries: Entries<V>, key: string, value: V): V | undefined {
    const { added, previous } = entries.set(key, value);
    if (added) this.#size++;
    return previous;
  }

  /** The node holding `filter`'s entries: the last level's node, or its parent for a `#` filter. */
  #find(filter: string): { node: Node<V>; isHash: boolean } | undefined {
    let node: Node<V> | undefined = this.#root;
    let start = 0;
    for (;;) {
      let end = filter.indexOf('/', start);
      if (end < 0) end = filter.length;
      if (end - start === 1 && filter.charCodeAt(start) === 0x23) return { node, isHash: true };
      node = end - start === 1 && filter.charCodeAt(start) === 0x2b
        ? node.plus
        : node.children?.get(filter.substring(start, end));
      if (node === undefined) return undefined;
      if (end === filter.length) return { node, isHash: false };
      start = end + 1;
    }
  }
}

/**
 * Detaches empty nodes from the leaf upwards, so deleted subscriptions leave no garbage.
 * Returns how many nodes were detached.
 */
function prune<V>(start: Node<V>): number {
  let node = start;
  let removed = 0;
  while (node.parent !== undefined && node.isEmpty()) {
    removed++;
    const parent = node.parent;
    if (parent.plus === node) parent.plus = undefined;
    else if (parent.children !== undefined) {
      parent.children.delete(node.level);
      if (parent.children.size === 0) parent.children = undefined;
    }
    node = parent;
  }
  return removed;
}

function visitAll<V, C>(entries: Entries<V>, visit: TrieVisitor<V, C>, ctx: C): void {
  const { keys, values } = entries;
  for (let i = 0; i < keys.length; i++) visit(values[i] as V, keys[i] as string, ctx);
}

/**
 * Matches the levels of `topic` from index `start` against the subtree of `node`.
 * `start > topic.length` means every level has been consumed.
 */
function matchFrom<V, C>(node: Node<V>, topic: string, start: number, visit: TrieVisitor<V, C>, ctx: C): void {
  // `#` matches the remaining levels, including none (`a/#` matches `a`).
  if (node.hash !== undefined) visitAll(node.hash, visit, ctx);
  if (start > topic.length) {
    if (node.exact !== undefined) visitAll(node.exact, visit, ctx);
    return;
  }
  let end = topic.indexOf('/', start);
  if (end < 0) end = topic.length;
  if (node.children !== undefined) {
    // The one allocation per level: a Map lookup needs the level as a string.
    const child = node.children.get(topic.substring(start, end));
    if (child !== undefined) matchFrom(child, topic, end + 1, visit, ctx);
  }
  if (node.plus !== undefined) matchFrom(node.plus, topic, end + 1, visit, ctx);
}
