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
    return (
      this.children === undefined && this.plus === undefined && this.hash === undefined && this.exact === undefined
    );
  }
}

export type TrieVisitor<V, C> = (value: V, key: string, ctx: C) => void;

export interface TopicTrieOptions {
  /**
   * Most topic names whose match result is cached (default 4096; 0 disables the cache). When full,
   * the cache is cleared rather than evicted entry by entry: O(1) amortised, and a flood of unique
   * topics (random topics from a misbehaving or hostile client) costs a bounded amount of memory.
   */
  readonly matchCacheSize?: number;
  /**
   * Most characters of topic names held by the cache (default 256 per cached topic). The count
   * alone does not bound memory: a topic name may be up to 65,535 bytes long.
   */
  readonly matchCacheChars?: number;
}

export class TopicTrie<V> {
  readonly #root = new Node<V>(undefined, '');
  #size = 0;
  #nodes = 0;

  /**
   * Topic name → the Entries the trie walk visits for it, in walk order. Publishing re-uses a small
   * set of topics over and over; a hit replaces the walk (and its substring per level) with one Map
   * lookup and allocates nothing. The Entries are iterated live, so adding, replacing or removing a
   * key inside an existing Entries (clients (un)subscribing to an already subscribed filter, the
   * common case) needs no invalidation. The cache is cleared only when the set of reachable Entries
   * changes (see `#invalidate`): a filter's first key creates its Entries, its last key drops it.
   */
  readonly #cache = new Map<string, Entries<V>[]>();
  readonly #cacheSize: number;
  readonly #cacheChars: number;
  #cachedChars = 0;
  /** The walk's output, reused: a miss that is not cached (cache disabled) allocates no array. */
  #scratch: Entries<V>[] | undefined = [];

  constructor(options: TopicTrieOptions = {}) {
    this.#cacheSize = Math.max(0, options.matchCacheSize ?? 4096);
    this.#cacheChars = Math.max(0, options.matchCacheChars ?? this.#cacheSize * 256);
  }

  /** Number of topic names whose match result is cached. */
  get cachedTopics(): number {
    return this.#cache.size;
  }

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
        if (node.hash === undefined) {
          node.hash = new Entries<V>();
          this.#invalidate();
        }
        return this.#put(node.hash, key, value);
      }
      node = this.#childFor(node, filter, start, end);
      if (end === filter.length) break;
      start = end + 1;
    }
    if (node.exact === undefined) {
      node.exact = new Entries<V>();
      this.#invalidate();
    }
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
      // Not needed for correctness (a detached, empty Entries visits nothing, and re-adding the
      // filter creates a new Entries, which invalidates), but it lets the detached objects go.
      this.#invalidate();
    }
    const pruned = prune(node);
    if (pruned > 0) {
      this.#nodes -= pruned;
      this.#invalidate();
    }
    return true;
  }

  /**
   * Calls `visit(value, key, ctx)` for every (filter, key) whose filter matches `topic` (a valid
   * topic name). A key subscribed with overlapping filters is visited once per filter; the router
   * merges. Filters starting with a wildcard are not matched against `$` topics [MQTT-4.7.2-1].
   * Pass state through `ctx` rather than a closure so that a match allocates nothing of its own
   * when `topic` is cached (a miss walks the trie: a substring per level, plus one array when the
   * result is cached). The visitor must not modify the trie.
   */
  match<C>(topic: string, visit: TrieVisitor<V, C>, ctx: C): void {
    // The cache relies on the visitor not modifying the trie: the walk result is stored before
    // visiting, and Entries are iterated live.
    const cache = this.#cache;
    const hit = cache.get(topic);
    if (hit !== undefined) {
      visitEach(hit, visit, ctx);
      return;
    }
    // Take the scratch array, kept empty between matches (a nested match, if a visitor ever did one,
    // gets its own).
    const found = this.#scratch ?? [];
    this.#scratch = undefined;
    collect(this.#root, topic, found);
    if (this.#cacheSize > 0 && topic.length <= this.#cacheChars) {
      if (cache.size >= this.#cacheSize || this.#cachedChars + topic.length > this.#cacheChars) {
        cache.clear();
        this.#cachedChars = 0;
      }
      // slice: an exactly sized copy, the one allocation per newly cached topic.
      cache.set(topic, found.slice());
      this.#cachedChars += topic.length;
    }
    visitEach(found, visit, ctx);
    found.length = 0; // do not keep Entries alive from the scratch
    this.#scratch = found;
  }

  /**
   * Drops every cached match result: called whenever the set of Entries objects (or of nodes) that
   * a walk can reach changes. Changes of keys inside an existing Entries need no call.
   */
  #invalidate(): void {
    if (this.#cache.size > 0) this.#cache.clear();
    this.#cachedChars = 0;
  }

  #childFor(node: Node<V>, filter: string, start: number, end: number): Node<V> {
    if (end - start === 1 && filter.charCodeAt(start) === 0x2b /* + */) {
      if (node.plus === undefined) {
        node.plus = new Node<V>(node, '+');
        this.#nodes++;
        this.#invalidate();
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
      this.#invalidate();
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
      node =
        end - start === 1 && filter.charCodeAt(start) === 0x2b
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

function visitEach<V, C>(found: readonly Entries<V>[], visit: TrieVisitor<V, C>, ctx: C): void {
  for (let e = 0; e < found.length; e++) {
    const { keys, values } = found[e] as Entries<V>;
    for (let i = 0; i < keys.length; i++) visit(values[i] as V, keys[i] as string, ctx);
  }
}

/**
 * Appends to `out` the Entries whose filters match `topic` (a valid topic name), in the order a
 * match visits them. Filters starting with a wildcard do not match `$` topics [MQTT-4.7.2-1].
 */
function collect<V>(root: Node<V>, topic: string, out: Entries<V>[]): void {
  if (topic.charCodeAt(0) === DOLLAR) {
    // Only literal first levels may match a $ topic: skip the root's '+' and '#' slots.
    const children = root.children;
    if (children === undefined) return;
    let end = topic.indexOf('/');
    if (end < 0) end = topic.length;
    const child = children.get(topic.substring(0, end));
    if (child !== undefined) collectFrom(child, topic, end + 1, out);
    return;
  }
  collectFrom(root, topic, 0, out);
}

/**
 * The walk's pending (node, start) pairs. A loop over this stack instead of recursion: a topic may
 * have 32,768 levels ('/' only, 65,535 bytes) when max_topic_levels allows it, which would overflow
 * the call stack. Shared, because a walk never calls out (no re-entry); emptied after each walk.
 */
const pendingNodes: (Node<unknown> | undefined)[] = [];
const pendingStarts: number[] = [];

/**
 * Matches the levels of `topic` from index `start` against the subtree of `node`, depth first with
 * the literal child before `+` (the order of the recursive walk this replaces).
 * `start > topic.length` means every level has been consumed.
 */
function collectFrom<V>(root: Node<V>, topic: string, rootStart: number, out: Entries<V>[]): void {
  const nodes = pendingNodes as (Node<V> | undefined)[];
  const starts = pendingStarts;
  nodes[0] = root;
  starts[0] = rootStart;
  let depth = 1;
  let used = 1;
  while (depth > 0) {
    const node = nodes[--depth];
    const start = starts[depth];
    if (node === undefined || start === undefined)
      throw new Error('internal error: the topic trie walk lost its place');
    // `#` matches the remaining levels, including none (`a/#` matches `a`).
    if (node.hash !== undefined) out.push(node.hash);
    if (start > topic.length) {
      if (node.exact !== undefined) out.push(node.exact);
      continue;
    }
    let end = topic.indexOf('/', start);
    if (end < 0) end = topic.length;
    // Pushed first, popped last: '+' after the literal child.
    if (node.plus !== undefined) {
      nodes[depth] = node.plus;
      starts[depth++] = end + 1;
    }
    if (node.children !== undefined) {
      // The one allocation per level on a cache miss: a Map lookup needs the level as a string.
      const child = node.children.get(topic.substring(start, end));
      if (child !== undefined) {
        nodes[depth] = child;
        starts[depth++] = end + 1;
      }
    }
    if (depth > used) used = depth;
  }
  // No node stays reachable from the stack after the walk; a very deep walk gives its memory back.
  if (used > 1024) {
    nodes.length = 0;
    starts.length = 0;
  } else {
    for (let i = 0; i < used; i++) nodes[i] = undefined;
  }
}
