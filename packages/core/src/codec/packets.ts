/**
 * MQTT control packets of 3.1 (level 3, "MQIsdp"), 3.1.1 (level 4) and 5.0 (level 5).
 *
 * One discriminated union, `Packet`, keyed by `type`. Fields that exist only in MQTT 5.0
 * (properties, reason codes on acks, subscription options) are optional and are only read or
 * written when the connection's protocol version is 5.
 *
 * Decoder conventions (the encoder accepts the same shapes, so decode(encode(p)) equals p):
 * - `properties` is absent when the packet carries no property (v5 property length 0) and for v3/v4.
 * - v5 acks (PUBACK, PUBREC, PUBREL, PUBCOMP), DISCONNECT and AUTH always get a `reasonCode` when
 *   decoded at level 5 (0 when the short form omitted it); at levels 3/4 `reasonCode` is absent.
 * - v5 SUBSCRIBE entries always carry `noLocal`, `retainAsPublished` and `retainHandling`; v3/v4 ones never do.
 * - PUBLISH `topic` is a string; `payload` is a view (`subarray`) on the socket chunk. The view stays
 *   valid (nothing writes to the chunk again), but it keeps the whole chunk alive: copy before keeping it.
 */

export type ProtocolVersion = 3 | 4 | 5;
export type QoS = 0 | 1 | 2;

export const PacketType = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  unsubscribe: 10,
  unsuback: 11,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
  auth: 15,
} as const;
export type PacketTypeName = keyof typeof PacketType;

/** A v5 user property: name and value, repeatable, order preserved [MQTT-3.1.3-10]. */
export type UserProperty = readonly [name: string, value: string];

/** Every MQTT 5.0 property by name (section 2.2.2.2). Which ones a packet may carry: see the per-packet types. */
export interface AllProperties {
  /** 0x01, byte 0/1: payload is UTF-8 text when true. */
  payloadFormatIndicator?: boolean;
  /** 0x02, four-byte integer, seconds. */
  messageExpiryInterval?: number;
  /** 0x03, UTF-8 string. */
  contentType?: string;
  /** 0x08, UTF-8 string (a topic name, no wildcards). */
  responseTopic?: string;
  /** 0x09, binary data. */
  correlationData?: Buffer;
  /**
   * 0x0B, variable byte integer 1..268,435,455. PUBLISH may carry several (one per matching
   * subscription), SUBSCRIBE at most one: always an array here, in wire order.
   */
  subscriptionIdentifier?: number[];
  /** 0x11, four-byte integer, seconds. */
  sessionExpiryInterval?: number;
  /** 0x12, UTF-8 string. */
  assignedClientIdentifier?: string;
  /** 0x13, two-byte integer, seconds. */
  serverKeepAlive?: number;
  /** 0x15, UTF-8 string. */
  authenticationMethod?: string;
  /** 0x16, binary data. */
  authenticationData?: Buffer;
  /** 0x17, byte 0/1. */
  requestProblemInformation?: boolean;
  /** 0x18, four-byte integer, seconds. */
  willDelayInterval?: number;
  /** 0x19, byte 0/1. */
  requestResponseInformation?: boolean;
  /** 0x1A, UTF-8 string. */
  responseInformation?: string;
  /** 0x1C, UTF-8 string. */
  serverReference?: string;
  /** 0x1F, UTF-8 string. */
  reasonString?: string;
  /** 0x21, two-byte integer, 1..65535 (0 is a protocol error). */
  receiveMaximum?: number;
  /** 0x22, two-byte integer. */
  topicAliasMaximum?: number;
  /** 0x23, two-byte integer, 1..65535 (0 is a protocol error). */
  topicAlias?: number;
  /** 0x24, byte 0/1. */
  maximumQoS?: 0 | 1;
  /** 0x25, byte 0/1. */
  retainAvailable?: boolean;
  /** 0x26, UTF-8 string pair; repeatable, order preserved. */
  userProperties?: UserProperty[];
  /** 0x27, four-byte integer, 1..2^32-1 (0 is a protocol error). */
  maximumPacketSize?: number;
  /** 0x28, byte 0/1. */
  wildcardSubscriptionAvailable?: boolean;
  /** 0x29, byte 0/1. */
  subscriptionIdentifierAvailable?: boolean;
  /** 0x2A, byte 0/1. */
  sharedSubscriptionAvailable?: boolean;
}
export type PropertyName = keyof AllProperties;

export type ConnectProperties = Pick<
  AllProperties,
  | 'sessionExpiryInterval'
  | 'receiveMaximum'
  | 'maximumPacketSize'
  | 'topicAliasMaximum'
  | 'requestResponseInformation'
  | 'requestProblemInformation'
  | 'userProperties'
  | 'authenticationMethod'
  | 'authenticationData'
>;
export type WillProperties = Pick<
  AllProperties,
  | 'willDelayInterval'
  | 'payloadFormatIndicator'
  | 'messageExpiryInterval'
  | 'contentType'
  | 'responseTopic'
  | 'correlationData'
  | 'userProperties'
>;
export type ConnackProperties = Pick<
  AllProperties,
  | 'sessionExpiryInterval'
  | 'receiveMaximum'
  | 'maximumQoS'
  | 'retainAvailable'
  | 'maximumPacketSize'
  | 'assignedClientIdentifier'
  | 'topicAliasMaximum'
  | 'reasonString'
  | 'userProperties'
  | 'wildcardSubscriptionAvailable'
  | 'subscriptionIdentifierAvailable'
  | 'sharedSubscriptionAvailable'
  | 'serverKeepAlive'
  | 'responseInformation'
  | 'serverReference'
  | 'authenticationMethod'
  | 'authenticationData'
>;
export type PublishProperties = Pick<
  AllProperties,
  | 'payloadFormatIndicator'
  | 'messageExpiryInterval'
  | 'topicAlias'
  | 'responseTopic'
  | 'correlationData'
  | 'userProperties'
  | 'subscriptionIdentifier'
  | 'contentType'
>;
/** PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK. */
export type AckProperties = Pick<AllProperties, 'reasonString' | 'userProperties'>;
export type SubscribeProperties = Pick<AllProperties, 'subscriptionIdentifier' | 'userProperties'>;
export type UnsubscribeProperties = Pick<AllProperties, 'userProperties'>;
export type DisconnectProperties = Pick<
  AllProperties,
  'sessionExpiryInterval' | 'reasonString' | 'userProperties' | 'serverReference'
>;
export type AuthProperties = Pick<
  AllProperties,
  'authenticationMethod' | 'authenticationData' | 'reasonString' | 'userProperties'
>;

export interface Will {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** v5 only. */
  properties?: WillProperties | undefined;
}

export interface ConnectPacket {
  type: 'connect';
  /** 'MQIsdp' with level 3, 'MQTT' with levels 4 and 5 [MQTT-3.1.2-1]. */
  protocolName: 'MQTT' | 'MQIsdp';
  protocolVersion: ProtocolVersion;
  /** Clean Session (3.1/3.1.1) or Clean Start (5.0). */
  clean: boolean;
  /** Seconds; 0 disables keepalive. */
  keepalive: number;
  /** May be empty (the server assigns one or refuses). */
  clientId: string;
  will?: Will | undefined;
  username?: string | undefined;
  password?: Buffer | undefined;
  properties?: ConnectProperties | undefined;
}

export interface ConnackPacket {
  type: 'connack';
  sessionPresent: boolean;
  /** v3/v4: the CONNACK return code (0..5); v5: the reason code. */
  reasonCode: number;
  properties?: ConnackProperties | undefined;
}

export interface PublishPacket {
  type: 'publish';
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Present iff qos > 0 [MQTT-2.3.1-5]. */
  packetId?: number | undefined;
  properties?: PublishProperties | undefined;
}

interface AckBase {
  packetId: number;
  /** v5 only; decoded as 0 when the short form omits it. */
  reasonCode?: number | undefined;
  properties?: AckProperties | undefined;
}
export interface PubackPacket extends AckBase {
  type: 'puback';
}
export interface PubrecPacket extends AckBase {
  type: 'pubrec';
}
export interface PubrelPacket extends AckBase {
  type: 'pubrel';
}
export interface PubcompPacket extends AckBase {
  type: 'pubcomp';
}

export interface Subscription {
  /** A topic filter (may contain + and #). */
  topic: string;
  /** Maximum QoS requested. */
  qos: QoS;
  /** v5 subscription options. */
  noLocal?: boolean | undefined;
  retainAsPublished?: boolean | undefined;
  retainHandling?: 0 | 1 | 2 | undefined;
}

export interface SubscribePacket {
  type: 'subscribe';
  packetId: number;
  /** At least one [MQTT-3.8.3-3]. */
  subscriptions: Subscription[];
  properties?: SubscribeProperties | undefined;
}

export interface SubackPacket {
  type: 'suback';
  packetId: number;
  /** One per subscription: v3/v4 return codes 0, 1, 2, 0x80; v5 reason codes. */
  reasonCodes: number[];
  properties?: AckProperties | undefined;
}

export interface UnsubscribePacket {
  type: 'unsubscribe';
  packetId: number;
  /** At least one [MQTT-3.10.3-2]. */
  topics: string[];
  properties?: UnsubscribeProperties | undefined;
}

export interface UnsubackPacket {
  type: 'unsuback';
  packetId: number;
  /** v5 only: one reason code per topic filter. */
  reasonCodes?: number[] | undefined;
  properties?: AckProperties | undefined;
}

export interface PingreqPacket {
  type: 'pingreq';
}
export interface PingrespPacket {
  type: 'pingresp';
}

export interface DisconnectPacket {
  type: 'disconnect';
  /** v5 only; decoded as 0 when omitted. */
  reasonCode?: number | undefined;
  properties?: DisconnectProperties | undefined;
}

/** v5 only. */
export interface AuthPacket {
  type: 'auth';
  reasonCode: number;
  properties?: AuthProperties | undefined;
}

export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | PubackPacket
  | PubrecPacket
  | PubrelPacket
  | PubcompPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | AuthPacket;

export type PacketOf<T extends Packet['type']> = Extract<Packet, { type: T }>;
