/**
 * A counted set of MQTT topic filters that answers "does any of them match this topic?" by following
 * the topic's levels (at most three edges per level: the level, `+` and `#`), not by scanning the filters.
 * The cluster keeps one of the filters of every persistent session in the cluster, so each node knows
 * which QoS 1/2 messages a session somewhere may need after its node is gone.
 *
 * Filters must be valid and not `$share/...` (the caller takes the shared form apart or leaves it out).
 */

interface Level {
  count: number;
  children: Map<string, Level> | undefined;
}

const DOLLAR = 0x24;

export class FilterSet {
  readonly #root: Level = { count: 0, children: undefined };
  #size = 0;

  /** Distinct filters held. */
  get size(): number {
    return this.#size;
  }

  add(filter: string): void {
    let node = this.#root;
    for (const level of filter.split('/')) {
      node.children ??= new Map();
      let child = node.children.get(level);
      if (child === undefined) {
        child = { count: 0, children: undefined };
        node.children.set(level, child);
      }
      node = child;
    }
    if (node.count++ === 0) this.#size++;
  }

  /** Removes one count of `filter`; a filter never added is ignored. */
  remove(filter: string): void {
    const path: [Level, string][] = [];
    let node = this.#root;
    for (const level of filter.split('/')) {
      const child = node.children?.get(level);
      if (child === undefined) return;
      path.push([node, level]);
      node = child;
    }
    if (node.count === 0) return;
    if (--node.count === 0) this.#size--;
    // Prune the levels nothing passes through any more.
    for (let i = path.length - 1; i >= 0; i--) {
      const [parent, level] = path[i] as [Level, string];
      const child = parent.children?.get(level);
      if (child === undefined || child.count > 0 || (child.children?.size ?? 0) > 0) break;
      parent.children?.delete(level);
    }
  }

  /** Whether a filter of the set matches `topic` [MQTT-4.7]; `$` topics only by filters naming their first level [MQTT-4.7.2-1]. */
  matches(topic: string): boolean {
    if (this.#size === 0) return false;
    return matchFrom(this.#root, topic.split('/'), 0, topic.charCodeAt(0) === DOLLAR);
  }
}

function matchFrom(node: Level, levels: string[], i: number, dollar: boolean): boolean {
  if (i === levels.length) return node.count > 0 || hashBelow(node);
  const children = node.children;
  if (children === undefined) return false;
  // No wildcard matches the first level of a `$` topic.
  const first = i === 0 && dollar;
  if (!first && (children.get('#')?.count ?? 0) > 0) return true;
  const exact = children.get(levels[i] as string);
  if (exact !== undefined && matchFrom(exact, levels, i + 1, dollar)) return true;
  if (first) return false;
  const plus = children.get('+');
  return plus !== undefined && matchFrom(plus, levels, i + 1, dollar);
}

/** A `#` right below `node` matches the topic that ends at `node` ("a/#" matches "a"). */
function hashBelow(node: Level): boolean {
  return (node.children?.get('#')?.count ?? 0) > 0;
}
