import type { PacketDecoderOptions } from '../codec/decoder.js';
import type { BrokerConfig } from '../config/types.js';
import type { BrokerContext } from './context.js';

/**
 * Limits on connections that have no CONNACK yet. Until CONNACK a client is anonymous and may be one of
 * thousands of sockets opened by one attacker, so it gets a small packet size
 * (`max_packet_size_before_connack`), and all of them together may hold at most
 * `max_unauthenticated_bytes` (decoder buffers and packets held while authentication is pending).
 */

/** Decoder options of a new connection: the pre-CONNACK packet size, and the User Property caps. */
export function connectionDecoderOptions(config: BrokerConfig): PacketDecoderOptions {
  return {
    maxPacketSize: Math.min(config.max_packet_size, config.max_packet_size_before_connack),
    maxUserProperties: config.max_user_properties,
    maxUserPropertiesBytes: config.max_user_properties_bytes,
  };
}

/**
 * A connection without CONNACK now holds `held` bytes, `previous` of which are already counted in
 * `stats.unauthenticatedBytes`. Counts the difference and returns true, or returns false (counting
 * nothing, the limit hit reported) when growing would pass `max_unauthenticated_bytes`.
 */
export function chargeUnauthenticated(
  ctx: BrokerContext,
  previous: number,
  held: number,
  remoteAddress: string,
): boolean {
  const stats = ctx.stats;
  const max = ctx.config.max_unauthenticated_bytes;
  const total = stats.unauthenticatedBytes - previous + held;
  if (held > previous && max > 0 && total > max) {
    ctx.limits.hit(
      'max_unauthenticated_bytes',
      'connection without CONNACK closed: bytes held by unauthenticated connections over the limit',
      {
        remoteAddress,
        held,
        total: stats.unauthenticatedBytes,
      },
    );
    return false;
  }
  stats.unauthenticatedBytes = total;
  return true;
}
