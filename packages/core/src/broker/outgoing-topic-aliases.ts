import type { PublishPacket } from '../codec/packets.js';

/**
 * The sending side of MQTT 5 Topic Aliases (section 3.3.2.3.4) for one broker → client connection
 * [MQTT-3.3.2-7]: created at CONNECT when `outgoing_topic_alias_maximum` > 0 and the client's Topic Alias
 * Maximum allows aliases, holding at most the smaller of the two [MQTT-3.3.2-11]. The first PUBLISH on
 * a topic carries the name and a new alias, later ones an empty name and the alias. When every alias
 * is taken, the least recently used one is re-pointed to the new topic (the client accepts a new
 * mapping for an alias at any time).
 */
export class OutgoingTopicAliases {
  /** Topic → alias, in order of last use (a Map keeps insertion order: delete + set moves to the end). */
  readonly #byTopic = new Map<string, number>();
  /** Aliases given back by `forget`, reused before new ones. */
  readonly #free: number[] = [];
  #next = 1;

  constructor(
    /** min(outgoing_topic_alias_maximum, the client's Topic Alias Maximum), at least 1. */
    readonly maximum: number,
  ) {}

  /** Number of topics holding an alias. */
  get size(): number {
    return this.#byTopic.size;
  }

  /**
   * Rewrites `packet` (a per-receiver copy, never a shared one) to use an alias: a known topic becomes
   * the empty name plus its alias, a new topic keeps its name and gets an alias. Returns the topic,
   * for `forget` if the packet is not sent after all.
   */
  apply(packet: PublishPacket): string {
    const topic = packet.topic;
    const byTopic = this.#byTopic;
    let alias = byTopic.get(topic);
    if (alias !== undefined) {
      byTopic.delete(topic);
      packet.topic = '';
    } else {
      alias = this.#free.pop();
      if (alias === undefined) {
        if (this.#next <= this.maximum) alias = this.#next++;
        else {
          // Every alias is in use: take the least recently used one over.
          const [oldest, oldestAlias] = byTopic.entries().next().value as [string, number];
          byTopic.delete(oldest);
          alias = oldestAlias;
        }
      }
    }
    byTopic.set(topic, alias);
    packet.properties =
      packet.properties === undefined ? { topicAlias: alias } : { ...packet.properties, topicAlias: alias };
    return topic;
  }

  /**
   * The PUBLISH that `apply` prepared was not sent (too large for the client, say): drop the topic's
   * alias, so the next PUBLISH on it sends the name again. Safe whether or not the client knew it.
   */
  forget(topic: string): void {
    const alias = this.#byTopic.get(topic);
    if (alias === undefined) return;
    this.#byTopic.delete(topic);
    this.#free.push(alias);
  }
}
