import { PacketType } from './packets.js';

/** MQTT 5.0 reason codes (section 2.4). Some values have two names, one per packet family. */
export const ReasonCode = {
  success: 0x00,
  normalDisconnection: 0x00,
  grantedQoS0: 0x00,
  grantedQoS1: 0x01,
  grantedQoS2: 0x02,
  disconnectWithWillMessage: 0x04,
  noMatchingSubscribers: 0x10,
  noSubscriptionExisted: 0x11,
  continueAuthentication: 0x18,
  reAuthenticate: 0x19,
  unspecifiedError: 0x80,
  malformedPacket: 0x81,
  protocolError: 0x82,
  implementationSpecificError: 0x83,
  unsupportedProtocolVersion: 0x84,
  clientIdentifierNotValid: 0x85,
  badUserNameOrPassword: 0x86,
  notAuthorized: 0x87,
  serverUnavailable: 0x88,
  serverBusy: 0x89,
  banned: 0x8a,
  serverShuttingDown: 0x8b,
  badAuthenticationMethod: 0x8c,
  keepAliveTimeout: 0x8d,
  sessionTakenOver: 0x8e,
  topicFilterInvalid: 0x8f,
  topicNameInvalid: 0x90,
  packetIdentifierInUse: 0x91,
  packetIdentifierNotFound: 0x92,
  receiveMaximumExceeded: 0x93,
  topicAliasInvalid: 0x94,
  packetTooLarge: 0x95,
  messageRateTooHigh: 0x96,
  quotaExceeded: 0x97,
  administrativeAction: 0x98,
  payloadFormatInvalid: 0x99,
  retainNotSupported: 0x9a,
  qosNotSupported: 0x9b,
  useAnotherServer: 0x9c,
  serverMoved: 0x9d,
  sharedSubscriptionsNotSupported: 0x9e,
  connectionRateExceeded: 0x9f,
  maximumConnectTime: 0xa0,
  subscriptionIdentifiersNotSupported: 0xa1,
  wildcardSubscriptionsNotSupported: 0xa2,
} as const;

/** MQTT 3.1 / 3.1.1 CONNACK return codes (section 3.2.2.3). */
export const ConnackReturnCode = {
  accepted: 0,
  unacceptableProtocolVersion: 1,
  identifierRejected: 2,
  serverUnavailable: 3,
  badUserNameOrPassword: 4,
  notAuthorized: 5,
} as const;

/** MQTT 3.1 / 3.1.1 SUBACK return codes (section 3.9.3). */
export const SubackReturnCode = {
  maximumQoS0: 0x00,
  maximumQoS1: 0x01,
  maximumQoS2: 0x02,
  failure: 0x80,
} as const;

const { connack, puback, pubrec, pubrel, pubcomp, suback, unsuback, disconnect, auth } = PacketType;

// Which v5 packets may carry each reason code (spec table 2-6), one bit per packet type.
const ALLOWED: ReadonlyArray<readonly [code: number, types: readonly number[]]> = [
  [0x00, [connack, puback, pubrec, pubrel, pubcomp, suback, unsuback, disconnect, auth]],
  [0x01, [suback]],
  [0x02, [suback]],
  [0x04, [disconnect]],
  [0x10, [puback, pubrec]],
  [0x11, [unsuback]],
  [0x18, [auth]],
  [0x19, [auth]],
  [0x80, [connack, puback, pubrec, suback, unsuback, disconnect]],
  [0x81, [connack, disconnect]],
  [0x82, [connack, disconnect]],
  [0x83, [connack, puback, pubrec, suback, unsuback, disconnect]],
  [0x84, [connack]],
  [0x85, [connack]],
  [0x86, [connack]],
  [0x87, [connack, puback, pubrec, suback, unsuback, disconnect]],
  [0x88, [connack]],
  [0x89, [connack, disconnect]],
  [0x8a, [connack]],
  [0x8b, [disconnect]],
  [0x8c, [connack, disconnect]],
  [0x8d, [disconnect]],
  [0x8e, [disconnect]],
  [0x8f, [suback, unsuback, disconnect]],
  [0x90, [connack, puback, pubrec, disconnect]],
  [0x91, [puback, pubrec, suback, unsuback]],
  [0x92, [pubrel, pubcomp]],
  [0x93, [disconnect]],
  [0x94, [disconnect]],
  [0x95, [connack, disconnect]],
  [0x96, [disconnect]],
  [0x97, [connack, puback, pubrec, suback, disconnect]],
  [0x98, [disconnect]],
  [0x99, [connack, puback, pubrec, disconnect]],
  [0x9a, [connack, disconnect]],
  [0x9b, [connack, disconnect]],
  [0x9c, [connack, disconnect]],
  [0x9d, [connack, disconnect]],
  [0x9e, [suback, disconnect]],
  [0x9f, [connack, disconnect]],
  [0xa0, [disconnect]],
  [0xa1, [suback, disconnect]],
  [0xa2, [suback, disconnect]],
];

const packetsByCode = new Uint16Array(256);
for (const [code, types] of ALLOWED) {
  for (const type of types) packetsByCode[code] = (packetsByCode[code] ?? 0) | (1 << type);
}

/** True when `code` is a reason code MQTT 5.0 defines for any packet. */
export function isKnownReasonCode(code: number): boolean {
  return code >>> 0 === code && code <= 0xff && packetsByCode[code] !== 0;
}

/** True when a v5 packet of numeric type `packetType` may carry reason code `code`. */
export function isReasonCodeAllowed(packetType: number, code: number): boolean {
  return code >>> 0 === code && code <= 0xff && ((packetsByCode[code] ?? 0) & (1 << packetType)) !== 0;
}

/**
 * What a server closing a v5 connection may say in DISCONNECT for a failure `code`: the code itself when
 * DISCONNECT may carry it, otherwise the nearest code DISCONNECT allows. A decoder error or a plugin can
 * name a CONNACK-only code (0x84 Unsupported Protocol Version for a second CONNECT, 0x86 Bad User Name or
 * Password...) or an ack code (0x92); encoding that DISCONNECT would throw, so every close maps through here.
 */
export function toDisconnectReasonCode(code: number): number {
  if (isReasonCodeAllowed(PacketType.disconnect, code)) return code;
  switch (code) {
    // A CONNECT that should not have come, or a packet identifier the flow does not know: rule breaches.
    case ReasonCode.unsupportedProtocolVersion:
    case ReasonCode.clientIdentifierNotValid:
    case ReasonCode.packetIdentifierInUse:
    case ReasonCode.packetIdentifierNotFound:
      return ReasonCode.protocolError;
    // Authentication and authorization failures keep their meaning.
    case ReasonCode.badUserNameOrPassword:
    case ReasonCode.banned:
      return ReasonCode.notAuthorized;
    case ReasonCode.serverUnavailable:
      return ReasonCode.serverBusy;
    // Success codes, or codes MQTT 5 does not define: closing with them is a broker bug.
    default:
      return ReasonCode.unspecifiedError;
  }
}
