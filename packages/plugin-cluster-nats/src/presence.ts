/**
 * Which nodes of the cluster are alive: every node says so on `<prefix>.presence.<node>` every
 * `intervalMs`, and counts the nodes it heard from within three intervals (itself included). The figure
 * behind `$SYS/broker/cluster/nodes`.
 */

export interface PresenceOptions {
  readonly node: string;
  readonly prefix: string;
  readonly intervalMs: number;
  /** Publishes on the cluster's connection (false when NATS is down). */
  readonly send: (subject: string, data: Uint8Array) => boolean;
  /** Subscribes on the cluster's connection; returns the unsubscribe. */
  readonly subscribe: (subject: string, onMessage: (data: Uint8Array) => void) => () => void;
  readonly now?: () => number;
}

/** Heard within this many intervals: alive. */
const ALIVE_INTERVALS = 3;

export function presenceSubject(prefix: string, node: string): string {
  return `${prefix}.presence.${node}`;
}

export class Presence {
  readonly #options: PresenceOptions;
  readonly #lastHeard = new Map<string, number>();
  readonly #timer: NodeJS.Timeout;
  readonly #unsubscribe: () => void;
  readonly #data: Uint8Array;

  constructor(options: PresenceOptions) {
    this.#options = options;
    this.#data = Buffer.from(options.node, 'utf8');
    this.#unsubscribe = options.subscribe(presenceSubject(options.prefix, '*'), (data) => {
      const node = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
      if (node !== options.node) this.#lastHeard.set(node, this.#now());
    });
    this.#timer = setInterval(() => this.announce(), options.intervalMs);
    this.#timer.unref();
    this.announce();
  }

  /** Says this node is alive (also right away at start, so the others count it at once). */
  announce(): void {
    this.#options.send(presenceSubject(this.#options.prefix, this.#options.node), this.#data);
  }

  /** The nodes heard from lately, this one included, sorted. */
  alive(): string[] {
    const since = this.#now() - ALIVE_INTERVALS * this.#options.intervalMs;
    const nodes = [this.#options.node];
    for (const [node, at] of this.#lastHeard) if (at >= since) nodes.push(node);
    return nodes.sort();
  }

  /** When `node` was last heard (epoch ms), if ever since this node started. */
  lastHeard(node: string): number | undefined {
    return this.#lastHeard.get(node);
  }

  close(): void {
    clearInterval(this.#timer);
    this.#unsubscribe();
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }
}
