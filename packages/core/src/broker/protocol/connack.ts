import type { ConnackPacket } from '../../codec/packets.js';
import type { Peer } from '../peer.js';

/** v3/v4 CONNACK return codes. */
export const ConnackCode = {
  accepted: 0x00,
  unacceptableProtocolVersion: 0x01,
  identifierRejected: 0x02,
  serverUnavailable: 0x03,
  badUsernameOrPassword: 0x04,
  notAuthorized: 0x05,
} as const;

/** v5 CONNACK reason codes used here. */
export const V5 = {
  clientIdentifierNotValid: 0x85,
  badUserNameOrPassword: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  badAuthenticationMethod: 0x8c,
  topicNameInvalid: 0x90,
  quotaExceeded: 0x97,
} as const;

/** Refuses the CONNECT with CONNACK `code`, then closes. */
export function refuse(conn: Peer, code: number, reason: string, reasonString?: string): void {
  const packet: ConnackPacket = { type: 'connack', sessionPresent: false, reasonCode: code };
  if (conn.protocolVersion === 5 && reasonString !== undefined) packet.properties = { reasonString };
  conn.send(packet);
  conn.close(reason, false);
}

/**
 * A plugin's refusal code for this protocol version: v3/v4 return codes (1..5) and v5 reason codes
 * (>= 0x80) map onto each other, so one plugin serves every client.
 */
export function refusalCode(version: number, requested: number | undefined): number {
  if (version === 5) {
    if (requested === undefined) return V5.notAuthorized;
    if (requested >= 0x80) return requested;
    const fromV4: Record<number, number> = {
      1: 0x84,
      2: V5.clientIdentifierNotValid,
      3: V5.serverUnavailable,
      4: V5.badUserNameOrPassword,
      5: V5.notAuthorized,
    };
    return fromV4[requested] ?? V5.notAuthorized;
  }
  if (requested !== undefined && requested >= 1 && requested <= 5) return requested;
  if (requested === V5.badUserNameOrPassword) return ConnackCode.badUsernameOrPassword;
  if (requested === V5.clientIdentifierNotValid) return ConnackCode.identifierRejected;
  if (requested === V5.serverUnavailable) return ConnackCode.serverUnavailable;
  return ConnackCode.notAuthorized;
}
