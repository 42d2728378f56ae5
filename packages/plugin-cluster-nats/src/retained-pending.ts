/**
 * The topics whose retained value changed on this node while it could not write to the cluster's
 * retained stream (NATS down, a publish not acknowledged): their current value is written once NATS is
 * back. Topics, not values: a topic changed ten times during an outage is written once, with its value
 * then. Bounded: past `max` topics a change is counted and not kept (that topic then takes the stream's
 * value when the node reads it again).
 */
export class PendingTopics {
  readonly #max: number;
  readonly #topics = new Set<string>();
  /** Changes not kept because the set was full, since start. */
  #overflowed = 0;

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#topics.size;
  }

  /** Changes not kept because the set was full, since start. */
  get overflowed(): number {
    return this.#overflowed;
  }

  has(topic: string): boolean {
    return this.#topics.has(topic);
  }

  /** Notes a change of `topic`; false when the set is full (counted) and the topic was not in it. */
  add(topic: string): boolean {
    if (this.#topics.has(topic)) return true;
    if (this.#topics.size >= this.#max) {
      this.#overflowed++;
      return false;
    }
    this.#topics.add(topic);
    return true;
  }

  /** The topics noted so far, in the order they were first noted; the set is empty afterwards. */
  drain(): string[] {
    const topics = [...this.#topics];
    this.#topics.clear();
    return topics;
  }
}
