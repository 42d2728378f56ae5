import type { Subscriber } from './session.js';

/**
 * The members of one shared subscription, `$share/{name}/{filter}` (MQTT 5.0 section 4.8.2): each
 * matching message goes to one member, chosen in turn. A connected member is preferred; when every
 * member is offline (persistent sessions keep their shared subscriptions), the message is queued in
 * the next member's session, which delivers it when that client comes back [MQTT-4.8.2-4].
 */
export class SharedGroup {
  /** Members in insertion order (a removed member's slot takes the last one). */
  readonly members: Subscriber[] = [];
  readonly #index = new Map<string, number>();
  /** Position of the member to try first for the next message. */
  #next = 0;

  constructor(
    /** The ShareName. */
    readonly name: string,
    /** The filter the members subscribed to, without `$share/{name}/`. */
    readonly filter: string,
  ) {}

  get size(): number {
    return this.members.length;
  }

  /** Adds a member or replaces its subscription (new options, QoS). Returns true when it is new. */
  set(sub: Subscriber): boolean {
    const clientId = sub.session.clientId;
    const i = this.#index.get(clientId);
    if (i !== undefined) {
      this.members[i] = sub;
      return false;
    }
    this.#index.set(clientId, this.members.length);
    this.members.push(sub);
    return true;
  }

  delete(clientId: string): boolean {
    const i = this.#index.get(clientId);
    if (i === undefined) return false;
    // The last member takes the removed one's slot (or is the removed one).
    const moved = this.members.pop();
    if (moved !== undefined && i < this.members.length) {
      this.members[i] = moved;
      this.#index.set(moved.session.clientId, i);
    }
    this.#index.delete(clientId);
    if (this.#next >= this.members.length) this.#next = 0;
    return true;
  }

  /**
   * The member for the next message: the first connected one from the rotating start, else the one at
   * the start (offline: the message waits in its session). Undefined only for an empty group.
   */
  pick(): Subscriber | undefined {
    const members = this.members;
    const n = members.length;
    if (n === 0) return undefined;
    const start = this.#next < n ? this.#next : 0;
    for (let k = 0; k < n; k++) {
      const i = start + k < n ? start + k : start + k - n;
      const m = members[i];
      if (m !== undefined && m.session.connection !== undefined) {
        this.#next = i + 1 < n ? i + 1 : 0;
        return m;
      }
    }
    this.#next = start + 1 < n ? start + 1 : 0;
    return members[start];
  }
}
