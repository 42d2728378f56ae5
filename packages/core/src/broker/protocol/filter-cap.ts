import { ReasonCode } from '../../codec/reason-codes.js';
import type { BrokerContext } from '../context.js';
import type { ConnectedPeer } from '../peer.js';

/**
 * `max_filters_per_subscribe`: a SUBSCRIBE or UNSUBSCRIBE with more topic filters closes the connection
 * (v5: DISCONNECT 0x97 Quota exceeded first: legal in DISCONNECT, and says which side's limit it is).
 * Refusing only the excess filters in the SUBACK would still make the broker walk and answer every one of
 * them. Returns true when the connection was closed.
 */
export function overFilterCap(
  ctx: BrokerContext,
  conn: ConnectedPeer,
  filters: number,
  packetName: 'SUBSCRIBE' | 'UNSUBSCRIBE',
): boolean {
  const max = ctx.config.max_filters_per_subscribe;
  if (filters <= max) return false;
  ctx.limits.hit('max_filters_per_subscribe', `${packetName} with too many topic filters; connection closed`, {
    clientId: conn.client.clientId,
    filters,
  });
  conn.close(`${packetName} with ${filters} topic filters (max_filters_per_subscribe ${max})`, false, {
    reasonCode: ReasonCode.quotaExceeded,
  });
  return true;
}
