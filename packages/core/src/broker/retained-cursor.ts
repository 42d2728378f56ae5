/**
 * A resumable walk over the retained messages matching one topic filter: `next()` returns them one at
 * a time, in depth-first, insertion order (`RetainedStore.match` runs one to its end), so a delivery can stop after a
 * chunk and go on in a later turn of the event loop. It keeps an explicit stack (topics may be deeper
 * than the call stack) and reads the live trie: a message set or deleted meanwhile may or may not be
 * seen, a deleted one is never returned after its deletion, and the walk never fails because of it.
 */

const DOLLAR = 0x24;
const PLUS = 0x2b;
const HASH = 0x23;

/** The shape of a retained-store trie node the walk reads. */
export interface RetainedTrieNode<M> {
  readonly children: Map<string, RetainedTrieNode<M>> | undefined;
  readonly topic: string | undefined;
  readonly message: M | undefined;
}

type Frame<M> =
  /** Return the node's message, if it still has one. */
  | { readonly kind: 'visit'; readonly node: RetainedTrieNode<M> }
  /** Match the filter levels from `start` against the node's children. */
  | { readonly kind: 'match'; readonly node: RetainedTrieNode<M>; readonly start: number }
  /** Every node below (`#`); `skipDollar` at the root [MQTT-4.7.2-1]. */
  | {
      readonly kind: 'subtree';
      readonly children: Iterator<[string, RetainedTrieNode<M>]>;
      readonly skipDollar: boolean;
    }
  /** One level of `+`: visit each child (`next` = -1) or match the rest of the filter from `next`. */
  | {
      readonly kind: 'plus';
      readonly children: Iterator<[string, RetainedTrieNode<M>]>;
      readonly skipDollar: boolean;
      readonly next: number;
    };

export class RetainedCursor<M> {
  readonly #filter: string;
  readonly #root: RetainedTrieNode<M>;
  readonly #stack: Frame<M>[];
  #topic = '';

  constructor(root: RetainedTrieNode<M>, filter: string) {
    this.#root = root;
    this.#filter = filter;
    this.#stack = [{ kind: 'match', node: root, start: 0 }];
  }

  /** The topic of the message `next()` returned last. */
  get topic(): string {
    return this.#topic;
  }

  /** The next matching retained message, or undefined when the walk is over. */
  next(): M | undefined {
    const stack = this.#stack;
    for (;;) {
      const top = stack.at(-1);
      if (top === undefined) return undefined;
      switch (top.kind) {
        case 'visit':
          stack.pop();
          if (top.node.topic !== undefined) {
            this.#topic = top.node.topic;
            return top.node.message;
          }
          break;
        case 'match':
          stack.pop();
          this.#match(top.node, top.start);
          break;
        case 'subtree': {
          const step = top.children.next();
          if (step.done === true) {
            stack.pop();
            break;
          }
          const [level, child] = step.value;
          if (top.skipDollar && level.charCodeAt(0) === DOLLAR) break;
          // The child's own message first, then its subtree.
          if (child.children !== undefined)
            stack.push({ kind: 'subtree', children: child.children.entries(), skipDollar: false });
          stack.push({ kind: 'visit', node: child });
          break;
        }
        case 'plus': {
          const step = top.children.next();
          if (step.done === true) {
            stack.pop();
            break;
          }
          const [level, child] = step.value;
          if (top.skipDollar && level.charCodeAt(0) === DOLLAR) break;
          stack.push(top.next < 0 ? { kind: 'visit', node: child } : { kind: 'match', node: child, start: top.next });
          break;
        }
      }
    }
  }

  /** Pushes the work of matching the filter level at `start` below `node`. */
  #match(node: RetainedTrieNode<M>, start: number): void {
    const filter = this.#filter;
    const stack = this.#stack;
    const atRoot = node === this.#root;
    let end = filter.indexOf('/', start);
    if (end < 0) end = filter.length;
    const last = end === filter.length;
    const single = end - start === 1;
    if (single && filter.charCodeAt(start) === HASH) {
      // `a/#` matches `a` itself [MQTT-4.7.1-2]; the root holds no message (topics are never empty).
      if (node.children !== undefined)
        stack.push({ kind: 'subtree', children: node.children.entries(), skipDollar: atRoot });
      stack.push({ kind: 'visit', node });
      return;
    }
    if (node.children === undefined) return;
    if (single && filter.charCodeAt(start) === PLUS) {
      stack.push({ kind: 'plus', children: node.children.entries(), skipDollar: atRoot, next: last ? -1 : end + 1 });
      return;
    }
    const child = node.children.get(filter.substring(start, end));
    if (child === undefined) return;
    stack.push(last ? { kind: 'visit', node: child } : { kind: 'match', node: child, start: end + 1 });
  }
}
