/**
 * The decision cache: bounded (least recently used entries go first), with separate lifetimes for
 * allow and deny answers, and one request in flight per key (a burst of identical CONNECTs or a
 * client publishing fast to one topic asks the endpoint once).
 */

export interface CacheOptions {
  readonly maxEntries: number;
  /** Milliseconds an allow (or ignore) answer is kept; 0 = not cached. */
  readonly allowTtlMs: number;
  /** Milliseconds a deny answer is kept; 0 = not cached. */
  readonly denyTtlMs: number;
  readonly now?: () => number;
}

interface Entry<V> {
  readonly value: V;
  readonly expires: number;
}

export class DecisionCache<V> {
  readonly #entries = new Map<string, Entry<V>>();
  readonly #inFlight = new Map<string, Promise<V>>();
  readonly #options: CacheOptions;
  readonly #now: () => number;
  /** Bumped by clear(): an answer that arrives for a request started before it is not stored. */
  #generation = 0;
  hits = 0;
  misses = 0;

  constructor(options: CacheOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The cached value for `key`, else the in-flight request's, else `load()`'s. `isDeny` picks the TTL;
   * `cacheable` false (an endpoint failure) keeps the value out, so the next request asks again.
   */
  get(key: string, load: () => Promise<V>, isDeny: (v: V) => boolean, cacheable: (v: V) => boolean): Promise<V> {
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      if (entry.expires > this.#now()) {
        // Map keeps insertion order: re-inserting makes it the most recently used.
        this.#entries.delete(key);
        this.#entries.set(key, entry);
        this.hits++;
        return Promise.resolve(entry.value);
      }
      this.#entries.delete(key);
    }
    const pending = this.#inFlight.get(key);
    if (pending !== undefined) {
      this.hits++;
      return pending;
    }
    this.misses++;
    const generation = this.#generation;
    const p = load().then(
      (value) => {
        this.#inFlight.delete(key);
        if (generation === this.#generation && cacheable(value)) this.#store(key, value, isDeny(value));
        return value;
      },
      (err: unknown) => {
        this.#inFlight.delete(key);
        throw err;
      },
    );
    this.#inFlight.set(key, p);
    return p;
  }

  /** Forgets every answer (plugin reload: the endpoint's rules may have changed). */
  clear(): void {
    this.#entries.clear();
    this.#inFlight.clear();
    this.#generation++;
  }

  #store(key: string, value: V, deny: boolean): void {
    const ttl = deny ? this.#options.denyTtlMs : this.#options.allowTtlMs;
    if (ttl <= 0 || this.#options.maxEntries <= 0) return;
    this.#entries.set(key, { value, expires: this.#now() + ttl });
    while (this.#entries.size > this.#options.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }
}
