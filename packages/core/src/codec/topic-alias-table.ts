import type { PublishPacket } from './packets.js';

/** Why a Topic Alias could not be applied. */
export type TopicAliasProblem = 'above-maximum' | 'unset';

/**
 * The receiving side of MQTT 5 Topic Aliases (section 3.3.2.3.4), for one connection [MQTT-3.3.2-7]:
 * the broker keeps one per client connection for the aliases clients send, the client one for the
 * aliases a broker sends. Created on first use: most connections never see an alias.
 */
export class TopicAliasTable {
  readonly #topics: (string | undefined)[] = [];

  constructor(
    /** The Topic Alias Maximum this side announced (0: no alias allowed). */
    readonly maximum: number,
  ) {}

  /**
   * A topic name with an alias sets the alias; an empty topic name takes the name it was set to. Then the
   * alias is taken off the packet's properties, so what is passed on carries the name only. Returns the
   * problem when the sender broke the rules (the packet is then left as it was): an alias above the
   * maximum, or an empty topic name with an alias never set. Alias 0 is refused by the decoder.
   */
  resolve(packet: PublishPacket, alias: number): TopicAliasProblem | undefined {
    if (alias > this.maximum) return 'above-maximum';
    if (packet.topic.length === 0) {
      const topic = this.#topics[alias];
      if (topic === undefined) return 'unset';
      packet.topic = topic;
    } else {
      // The broker closes the connection right after this if the topic name is invalid.
      this.#topics[alias] = packet.topic;
    }
    const properties = packet.properties;
    if (properties !== undefined) {
      const { topicAlias: _alias, ...rest } = properties;
      packet.properties = Object.keys(rest).length === 0 ? undefined : rest;
    }
    return undefined;
  }
}
