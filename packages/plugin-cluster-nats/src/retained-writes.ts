/**
 * This node's own writes to the retained stream, so that reading them back costs nothing: every node
 * applies every record of the stream in stream order (that order is what makes the nodes agree), this
 * one included; a record of this node's that its retained store holds already is skipped.
 *
 * Each write carries `<incarnation>:<n>`: a random id of this process and a counter. For a topic, the
 * last write of this process not yet read back is kept: its own record is skipped (the store holds that
 * value), an older one too (the newer one follows in the stream). A record of anyone else (another node,
 * an earlier process of this node) is applied and forgets this node's write: when that write comes next
 * in the stream, it is applied again over it.
 */
import { randomBytes } from 'node:crypto';

export class OwnWrites {
  readonly incarnation = randomBytes(6).toString('hex');
  #next = 1;
  /** Topic → the counter of this process's last write of it not yet read back. */
  readonly #latest = new Map<string, number>();

  /** Notes a write of `topic`: returns the id it carries in the stream. */
  wrote(topic: string): string {
    const n = this.#next++;
    this.#latest.set(topic, n);
    return `${this.incarnation}:${n}`;
  }

  /** Whether a record of `topic` written as `id` (undefined: none said) is to be skipped. */
  skip(topic: string, id: string | undefined): boolean {
    const mine = this.#latest.get(topic);
    if (mine === undefined) return false;
    const n = id === undefined ? undefined : this.#counterOf(id);
    if (n === undefined) {
      // Someone else's value comes after this node's last write in the stream: that write is applied again when read.
      this.#latest.delete(topic);
      return false;
    }
    if (n === mine) this.#latest.delete(topic);
    return n <= mine;
  }

  /** Forgets every write (the stream is read again from its last values: each record is judged afresh). */
  clear(): void {
    this.#latest.clear();
  }

  /** Writes not read back yet. */
  get size(): number {
    return this.#latest.size;
  }

  #counterOf(id: string): number | undefined {
    const colon = id.indexOf(':');
    if (colon === -1 || id.slice(0, colon) !== this.incarnation) return undefined;
    const n = Number(id.slice(colon + 1));
    return Number.isSafeInteger(n) ? n : undefined;
  }
}
