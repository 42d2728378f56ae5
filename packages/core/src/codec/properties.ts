import type { PacketTypeName, PropertyName } from './packets.js';
import { PacketType } from './packets.js';

/** How a property value is laid out on the wire (MQTT 5.0 section 1.5). */
export type PropertyWireType = 'byte' | 'boolean' | 'twoByte' | 'fourByte' | 'varint' | 'utf8' | 'binary' | 'utf8Pair';

/** A packet type that may carry properties, or the will properties inside CONNECT. */
export type PropertyCarrier = PacketTypeName | 'will';

export interface PropertyDefinition {
  readonly id: number;
  readonly name: PropertyName;
  readonly wireType: PropertyWireType;
  /** Where the property may appear (section 2.2.2.2). */
  readonly carriers: readonly PropertyCarrier[];
  /** Where it may appear more than once; everywhere else a second copy is a protocol error. */
  readonly repeatableIn: readonly PropertyCarrier[];
}

const ACKS = ['puback', 'pubrec', 'pubrel', 'pubcomp', 'suback', 'unsuback'] as const;

/** Every MQTT 5.0 property, in identifier order (the order the encoder writes them). */
export const PROPERTIES: readonly PropertyDefinition[] = [
  def(0x01, 'payloadFormatIndicator', 'boolean', ['publish', 'will']),
  def(0x02, 'messageExpiryInterval', 'fourByte', ['publish', 'will']),
  def(0x03, 'contentType', 'utf8', ['publish', 'will']),
  def(0x08, 'responseTopic', 'utf8', ['publish', 'will']),
  def(0x09, 'correlationData', 'binary', ['publish', 'will']),
  def(0x0b, 'subscriptionIdentifier', 'varint', ['publish', 'subscribe'], ['publish']),
  def(0x11, 'sessionExpiryInterval', 'fourByte', ['connect', 'connack', 'disconnect']),
  def(0x12, 'assignedClientIdentifier', 'utf8', ['connack']),
  def(0x13, 'serverKeepAlive', 'twoByte', ['connack']),
  def(0x15, 'authenticationMethod', 'utf8', ['connect', 'connack', 'auth']),
  def(0x16, 'authenticationData', 'binary', ['connect', 'connack', 'auth']),
  def(0x17, 'requestProblemInformation', 'boolean', ['connect']),
  def(0x18, 'willDelayInterval', 'fourByte', ['will']),
  def(0x19, 'requestResponseInformation', 'boolean', ['connect']),
  def(0x1a, 'responseInformation', 'utf8', ['connack']),
  def(0x1c, 'serverReference', 'utf8', ['connack', 'disconnect']),
  def(0x1f, 'reasonString', 'utf8', ['connack', ...ACKS, 'disconnect', 'auth']),
  def(0x21, 'receiveMaximum', 'twoByte', ['connect', 'connack']),
  def(0x22, 'topicAliasMaximum', 'twoByte', ['connect', 'connack']),
  def(0x23, 'topicAlias', 'twoByte', ['publish']),
  def(0x24, 'maximumQoS', 'byte', ['connack']),
  def(0x25, 'retainAvailable', 'boolean', ['connack']),
  def(
    0x26,
    'userProperties',
    'utf8Pair',
    ['connect', 'connack', 'publish', 'will', ...ACKS, 'subscribe', 'unsubscribe', 'disconnect', 'auth'],
    ['connect', 'connack', 'publish', 'will', ...ACKS, 'subscribe', 'unsubscribe', 'disconnect', 'auth'],
  ),
  def(0x27, 'maximumPacketSize', 'fourByte', ['connect', 'connack']),
  def(0x28, 'wildcardSubscriptionAvailable', 'boolean', ['connack']),
  def(0x29, 'subscriptionIdentifierAvailable', 'boolean', ['connack']),
  def(0x2a, 'sharedSubscriptionAvailable', 'boolean', ['connack']),
];

function def(
  id: number,
  name: PropertyName,
  wireType: PropertyWireType,
  carriers: readonly PropertyCarrier[],
  repeatableIn: readonly PropertyCarrier[] = [],
): PropertyDefinition {
  return { id, name, wireType, carriers, repeatableIn };
}

/**
 * One bit per carrier: packet types use bit `type` (1..15); will properties use bit 0, which no
 * packet type occupies.
 */
export function carrierBit(carrier: PropertyCarrier): number {
  return carrier === 'will' ? 1 : 1 << PacketType[carrier];
}

export const WILL_BIT = 1;

/** Indexed by property id: the carriers' bits (0 for an unknown id). */
export const allowedIn = new Uint16Array(128);
/** Indexed by property id: the bits of carriers where it may repeat. */
export const repeatableIn = new Uint16Array(128);
const byId: Array<PropertyDefinition | undefined> = [];
const byName = new Map<string, PropertyDefinition>();

for (const p of PROPERTIES) {
  for (const c of p.carriers) allowedIn[p.id] = (allowedIn[p.id] ?? 0) | carrierBit(c);
  for (const c of p.repeatableIn) repeatableIn[p.id] = (repeatableIn[p.id] ?? 0) | carrierBit(c);
  byId[p.id] = p;
  byName.set(p.name, p);
}

export function propertyById(id: number): PropertyDefinition | undefined {
  return byId[id];
}

export function propertyByName(name: PropertyName): PropertyDefinition {
  const p = byName.get(name);
  // PropertyName is the union of the names in PROPERTIES, so every one is in the map.
  if (p === undefined) throw new Error(`internal error: no property named ${name}`);
  return p;
}
