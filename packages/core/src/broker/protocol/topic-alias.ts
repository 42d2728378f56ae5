import type { PublishPacket } from '../../codec/packets.js';
import { TopicAliasTable } from '../../codec/topic-alias-table.js';
import type { Peer } from '../peer.js';

const PROTOCOL_ERROR = 0x82;
const TOPIC_ALIAS_INVALID = 0x94;

/**
 * v5 Topic Alias on an inbound PUBLISH: resolved with the connection's table (up to `maximum`, the
 * `topic_alias_maximum` sent in CONNACK). Subscribers get the topic name, never the alias. Returns false
 * when the connection was closed: an alias above the maximum (0x94) [MQTT-3.3.2-12], or an empty topic
 * name with an alias never set on this connection (Protocol Error).
 */
export function resolveTopicAlias(peer: Peer, packet: PublishPacket, alias: number, maximum: number): boolean {
  const problem = (peer.topicAliases ??= new TopicAliasTable(maximum)).resolve(packet, alias);
  if (problem === undefined) return true;
  if (problem === 'above-maximum') {
    peer.close(
      `Topic Alias ${String(alias)} is above the Topic Alias Maximum ${String(maximum)} [MQTT-3.3.2-12]`,
      false,
      { reasonCode: TOPIC_ALIAS_INVALID },
    );
  } else {
    peer.close(`Topic Alias ${String(alias)} used with an empty topic before it was set`, false, {
      reasonCode: PROTOCOL_ERROR,
    });
  }
  return false;
}
