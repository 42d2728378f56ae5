import type {
  AllProperties,
  AuthPacket,
  ConnackPacket,
  ConnectPacket,
  DisconnectPacket,
  Packet,
  ProtocolVersion,
  PublishPacket,
  SubackPacket,
  SubscribePacket,
  UnsubackPacket,
  UnsubscribePacket,
} from './packets.js';
import { tooLarge, unencodable } from './fail.js';
import { binarySize, measureProperties, stringSize, writeProperties } from './properties-encode.js';
import { WILL_BIT } from './properties.js';
import { isReasonCodeAllowed } from './reason-codes.js';
import { writeUtf8 } from './utf8.js';
import { MAX_VARINT, writeVarint } from './varint.js';

// Encoding is two passes over the packet: measure (which validates) and write. Measuring stores the
// property list lengths here so writing does not measure them again; nothing runs between the two.
let propertiesLength = 0;
let willPropertiesLength = 0;
/** Where the last writePublish put the packet identifier, -1 for QoS 0. */
export let lastPacketIdOffset = -1;

// Carrier bits (1 << packet type) for the property checks.
const CONNECT = 1 << 1;
const CONNACK = 1 << 2;
const PUBLISH = 1 << 3;
const SUBSCRIBE = 1 << 8;
const SUBACK = 1 << 9;
const UNSUBSCRIBE = 1 << 10;
const UNSUBACK = 1 << 11;

/** The remaining length of `packet`; throws CodecError when it cannot be encoded. */
export function measure(packet: Packet, version: ProtocolVersion): number {
  let n: number;
  switch (packet.type) {
    case 'publish':
      n = measurePublish(packet, version, true);
      break;
    case 'puback':
      n = measureAck(packet.packetId, packet.reasonCode, packet.properties, 4, version);
      break;
    case 'pubrec':
      n = measureAck(packet.packetId, packet.reasonCode, packet.properties, 5, version);
      break;
    case 'pubrel':
      n = measureAck(packet.packetId, packet.reasonCode, packet.properties, 6, version);
      break;
    case 'pubcomp':
      n = measureAck(packet.packetId, packet.reasonCode, packet.properties, 7, version);
      break;
    case 'connect':
      n = measureConnect(packet);
      break;
    case 'connack':
      n = measureConnack(packet, version);
      break;
    case 'subscribe':
      n = measureSubscribe(packet, version);
      break;
    case 'suback':
      n = measureSuback(packet, version);
      break;
    case 'unsubscribe':
      n = measureUnsubscribe(packet, version);
      break;
    case 'unsuback':
      n = measureUnsuback(packet, version);
      break;
    case 'pingreq':
    case 'pingresp':
      n = 0;
      break;
    case 'disconnect':
      n = measureDisconnect(packet, version);
      break;
    case 'auth':
      n = measureAuth(packet, version);
      break;
    default:
      return unencodable(`unknown packet type ${JSON.stringify((packet as { type: unknown }).type)}`);
  }
  if (n > MAX_VARINT) tooLarge(`a remaining length of ${n} bytes exceeds the MQTT limit of ${MAX_VARINT}`);
  return n;
}

/** Writes `packet`, measured by `measure` as `remaining` bytes, at `o`; returns the end offset. */
export function write(packet: Packet, b: Buffer, o: number, remaining: number, version: ProtocolVersion): number {
  switch (packet.type) {
    case 'publish':
      return writePublish(packet, b, o, remaining, version, packet.packetId ?? 0);
    case 'puback':
      return writeAck(0x40, packet.packetId, packet.reasonCode, packet.properties, b, o, remaining);
    case 'pubrec':
      return writeAck(0x50, packet.packetId, packet.reasonCode, packet.properties, b, o, remaining);
    case 'pubrel':
      return writeAck(0x62, packet.packetId, packet.reasonCode, packet.properties, b, o, remaining);
    case 'pubcomp':
      return writeAck(0x70, packet.packetId, packet.reasonCode, packet.properties, b, o, remaining);
    case 'connect':
      return writeConnect(packet, b, o, remaining);
    case 'connack':
      return writeConnack(packet, b, o, remaining, version);
    case 'subscribe':
      return writeSubscribe(packet, b, o, remaining, version);
    case 'suback':
      return writeSuback(packet, b, o, remaining, version);
    case 'unsubscribe':
      return writeUnsubscribe(packet, b, o, remaining, version);
    case 'unsuback':
      return writeUnsuback(packet, b, o, remaining, version);
    case 'pingreq':
      b[o] = 0xc0;
      b[o + 1] = 0;
      return o + 2;
    case 'pingresp':
      b[o] = 0xd0;
      b[o + 1] = 0;
      return o + 2;
    case 'disconnect':
      return writeReasonOnly(0xe0, packet.reasonCode, packet.properties, b, o, remaining);
    case 'auth':
      return writeReasonOnly(0xf0, packet.reasonCode, packet.properties, b, o, remaining);
  }
}

// PUBLISH

/** `checkPacketId` is false for the fan-out, which writes a placeholder identifier. */
function hasWildcard(topic: string): boolean {
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === 0x2b || c === 0x23) return true;
  }
  return false;
}

export function measurePublish(p: PublishPacket, version: ProtocolVersion, checkPacketId: boolean): number {
  const qos = p.qos;
  // A receiver must treat a wildcard in a topic name as malformed: refuse to send one.
  if (hasWildcard(p.topic)) unencodable(`PUBLISH topic '${p.topic}' must not contain + or #`, 0x90, 'MQTT-3.3.2-2');
  let n = stringSize(p.topic) + p.payload.length;
  if (qos !== 0) {
    if (qos !== 1 && qos !== 2) unencodable(`PUBLISH QoS ${String(qos)} is not 0, 1 or 2`, 0x81, 'MQTT-3.3.1-4');
    if (checkPacketId) checkId(p.packetId, 'PUBLISH with QoS > 0');
    n += 2;
  } else if (p.dup) {
    unencodable('PUBLISH with QoS 0 must not set DUP', 0x81, 'MQTT-3.3.1-2');
  }
  if (version === 5) {
    const properties = p.properties;
    const length = properties === undefined ? 0 : measureProperties(properties, PUBLISH);
    if (p.topic.length === 0 && properties?.topicAlias === undefined) {
      unencodable('PUBLISH with an empty topic needs a Topic Alias', 0x82, 'MQTT-4.7.3-1');
    }
    propertiesLength = length;
    n += propertySize(length);
  } else if (p.topic.length === 0) {
    unencodable('PUBLISH topic must not be empty', 0x82, 'MQTT-4.7.3-1');
  }
  return n;
}

export function writePublish(
  p: PublishPacket,
  b: Buffer,
  o: number,
  remaining: number,
  version: ProtocolVersion,
  packetId: number,
): number {
  const qos = p.qos;
  b[o] = 0x30 | (p.dup ? 8 : 0) | (qos << 1) | (p.retain ? 1 : 0);
  o = writeUtf8(b, writeVarint(b, o + 1, remaining), p.topic);
  if (qos !== 0) {
    lastPacketIdOffset = o;
    b[o] = packetId >>> 8;
    b[o + 1] = packetId & 0xff;
    o += 2;
  } else {
    lastPacketIdOffset = -1;
  }
  if (version === 5) o = writeProperties(b, o, p.properties, propertiesLength);
  const payload = p.payload;
  b.set(payload, o);
  return o + payload.length;
}

// PUBACK, PUBREC, PUBREL, PUBCOMP

function measureAck(
  packetId: number,
  reasonCode: number | undefined,
  properties: AllProperties | undefined,
  type: number,
  version: ProtocolVersion,
): number {
  checkId(packetId, 'an acknowledgement');
  if (version !== 5) return 2;
  return 2 + measureReasonAndProperties(reasonCode, properties, type);
}

function writeAck(
  firstByte: number,
  packetId: number,
  reasonCode: number | undefined,
  properties: AllProperties | undefined,
  b: Buffer,
  o: number,
  remaining: number,
): number {
  b[o] = firstByte;
  o = writeVarint(b, o + 1, remaining);
  b[o] = packetId >>> 8;
  b[o + 1] = packetId & 0xff;
  return writeReasonAndProperties(reasonCode, properties, b, o + 2, remaining - 2);
}

// DISCONNECT and AUTH: a reason code and properties, both omitted when Success and empty.

function measureDisconnect(p: DisconnectPacket, version: ProtocolVersion): number {
  return version === 5 ? measureReasonAndProperties(p.reasonCode, p.properties, 14) : 0;
}

function measureAuth(p: AuthPacket, version: ProtocolVersion): number {
  if (version !== 5) unencodable('AUTH exists only in MQTT 5', 0x81);
  const size = measureReasonAndProperties(p.reasonCode, p.properties, 15);
  // AUTH may drop the reason code and property length only together (3.15.2.1): no one-byte form.
  return size === 1 ? 2 : size;
}

function writeReasonOnly(
  firstByte: number,
  reasonCode: number | undefined,
  properties: AllProperties | undefined,
  b: Buffer,
  o: number,
  remaining: number,
): number {
  b[o] = firstByte;
  return writeReasonAndProperties(reasonCode, properties, b, writeVarint(b, o + 1, remaining), remaining);
}

/** The shortest form: nothing for Success without properties, one byte without properties. */
function measureReasonAndProperties(
  reasonCode: number | undefined,
  properties: AllProperties | undefined,
  type: number,
): number {
  const code = reasonCode ?? 0;
  checkReasonCode(code, type);
  const length = properties === undefined ? 0 : measureProperties(properties, 1 << type);
  propertiesLength = length;
  if (length === 0) return code === 0 ? 0 : 1;
  return 1 + propertySize(length);
}

/** `size` is the byte count measureReasonAndProperties gave: it says which form to write. */
function writeReasonAndProperties(
  reasonCode: number | undefined,
  properties: AllProperties | undefined,
  b: Buffer,
  o: number,
  size: number,
): number {
  if (size === 0) return o;
  b[o] = reasonCode ?? 0;
  if (size === 1) return o + 1;
  // propertiesLength 0 here is AUTH's reason code with an empty property list.
  return writeProperties(b, o + 1, properties, propertiesLength);
}

// CONNECT

function measureConnect(p: ConnectPacket): number {
  const version = p.protocolVersion;
  if (p.protocolName !== (version === 3 ? 'MQIsdp' : 'MQTT') || (version !== 3 && version !== 4 && version !== 5)) {
    unencodable(`protocol ${String(p.protocolName)} level ${String(version)} does not exist`, 0x84, 'MQTT-3.1.2-1');
  }
  // Protocol name, level, flags, keepalive.
  let n = (version === 3 ? 8 : 6) + 4;
  checkTwoByte(p.keepalive, 'keepalive');
  if (version === 5) {
    const length = p.properties === undefined ? 0 : measureProperties(p.properties, CONNECT);
    propertiesLength = length;
    n += propertySize(length);
  }
  n += stringSize(p.clientId);
  const will = p.will;
  if (will !== undefined) {
    if (will.qos !== 0 && will.qos !== 1 && will.qos !== 2) {
      unencodable(`will QoS ${String(will.qos)} is not 0, 1 or 2`, 0x81, 'MQTT-3.1.2-14');
    }
    if (version === 5) {
      const length = will.properties === undefined ? 0 : measureProperties(will.properties, WILL_BIT);
      willPropertiesLength = length;
      n += propertySize(length);
    }
    n += stringSize(will.topic) + binarySize(will.payload);
  }
  if (p.username !== undefined) n += stringSize(p.username);
  if (p.password !== undefined) {
    if (version !== 5 && p.username === undefined) {
      unencodable('a password needs a user name before MQTT 5', 0x81, 'MQTT-3.1.2-22');
    }
    n += binarySize(p.password);
  }
  return n;
}

function writeConnect(p: ConnectPacket, b: Buffer, o: number, remaining: number): number {
  const version = p.protocolVersion;
  const will = p.will;
  b[o] = 0x10;
  o = writeUtf8(b, writeVarint(b, o + 1, remaining), p.protocolName);
  b[o] = version;
  b[o + 1] =
    (p.username !== undefined ? 0x80 : 0) |
    (p.password !== undefined ? 0x40 : 0) |
    (will !== undefined ? 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0) : 0) |
    (p.clean ? 0x02 : 0);
  b[o + 2] = p.keepalive >>> 8;
  b[o + 3] = p.keepalive & 0xff;
  o += 4;
  if (version === 5) o = writeProperties(b, o, p.properties, propertiesLength);
  o = writeUtf8(b, o, p.clientId);
  if (will !== undefined) {
    if (version === 5) o = writeProperties(b, o, will.properties, willPropertiesLength);
    o = writeBinary(b, writeUtf8(b, o, will.topic), will.payload);
  }
  if (p.username !== undefined) o = writeUtf8(b, o, p.username);
  if (p.password !== undefined) o = writeBinary(b, o, p.password);
  return o;
}

// CONNACK

function measureConnack(p: ConnackPacket, version: ProtocolVersion): number {
  if (version !== 5) {
    if (!(p.reasonCode >>> 0 === p.reasonCode && p.reasonCode <= 5)) {
      unencodable(`CONNACK return code ${p.reasonCode} is not 0..5`);
    }
    return 2;
  }
  checkReasonCode(p.reasonCode, 2);
  const length = p.properties === undefined ? 0 : measureProperties(p.properties, CONNACK);
  propertiesLength = length;
  return 2 + propertySize(length);
}

function writeConnack(p: ConnackPacket, b: Buffer, o: number, remaining: number, version: ProtocolVersion): number {
  b[o] = 0x20;
  o = writeVarint(b, o + 1, remaining);
  b[o] = p.sessionPresent ? 1 : 0;
  b[o + 1] = p.reasonCode;
  o += 2;
  if (version === 5) o = writeProperties(b, o, p.properties, propertiesLength);
  return o;
}

// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK

function measureSubscribe(p: SubscribePacket, version: ProtocolVersion): number {
  checkId(p.packetId, 'SUBSCRIBE');
  const subscriptions = p.subscriptions;
  if (subscriptions.length === 0) unencodable('SUBSCRIBE needs at least one topic filter', 0x82, 'MQTT-3.8.3-3');
  let n = 2 + measureOptionalProperties(p.properties, SUBSCRIBE, version);
  for (const s of subscriptions) {
    if (s.qos !== 0 && s.qos !== 1 && s.qos !== 2) {
      unencodable(`subscription QoS ${String(s.qos)} is not 0, 1 or 2`, 0x81, 'MQTT-3.8.3-4');
    }
    const rh = s.retainHandling;
    if (version === 5 && rh !== undefined && rh !== 0 && rh !== 1 && rh !== 2) {
      unencodable(`retain handling ${String(rh)} is not 0, 1 or 2`, 0x82);
    }
    n += stringSize(s.topic) + 1;
  }
  return n;
}

function writeSubscribe(p: SubscribePacket, b: Buffer, o: number, remaining: number, version: ProtocolVersion): number {
  o = writeIdAndProperties(0x82, p.packetId, p.properties, b, o, remaining, version);
  const subscriptions = p.subscriptions;
  for (const s of subscriptions) {
    o = writeUtf8(b, o, s.topic);
    b[o++] =
      version === 5
        ? s.qos | (s.noLocal ? 0x04 : 0) | (s.retainAsPublished ? 0x08 : 0) | ((s.retainHandling ?? 0) << 4)
        : s.qos;
  }
  return o;
}

function measureSuback(p: SubackPacket, version: ProtocolVersion): number {
  checkId(p.packetId, 'SUBACK');
  const codes = p.reasonCodes;
  if (codes.length === 0) unencodable('SUBACK needs at least one return code', 0x82);
  for (const code of codes) {
    if (version === 5) checkReasonCode(code, 9);
    else if (code !== 0 && code !== 1 && code !== 2 && code !== 0x80) {
      unencodable(`SUBACK return code ${code} is not 0, 1, 2 or 0x80`, 0x81, 'MQTT-3.9.3-2');
    }
  }
  return 2 + measureOptionalProperties(p.properties, SUBACK, version) + codes.length;
}

function writeSuback(p: SubackPacket, b: Buffer, o: number, remaining: number, version: ProtocolVersion): number {
  o = writeIdAndProperties(0x90, p.packetId, p.properties, b, o, remaining, version);
  const codes = p.reasonCodes;
  for (const code of codes) b[o++] = code;
  return o;
}

function measureUnsubscribe(p: UnsubscribePacket, version: ProtocolVersion): number {
  checkId(p.packetId, 'UNSUBSCRIBE');
  const topics = p.topics;
  if (topics.length === 0) unencodable('UNSUBSCRIBE needs at least one topic filter', 0x82, 'MQTT-3.10.3-2');
  let n = 2 + measureOptionalProperties(p.properties, UNSUBSCRIBE, version);
  for (const topic of topics) n += stringSize(topic);
  return n;
}

function writeUnsubscribe(
  p: UnsubscribePacket,
  b: Buffer,
  o: number,
  remaining: number,
  version: ProtocolVersion,
): number {
  o = writeIdAndProperties(0xa2, p.packetId, p.properties, b, o, remaining, version);
  const topics = p.topics;
  for (const topic of topics) o = writeUtf8(b, o, topic);
  return o;
}

function measureUnsuback(p: UnsubackPacket, version: ProtocolVersion): number {
  checkId(p.packetId, 'UNSUBACK');
  if (version !== 5) return 2;
  const codes = p.reasonCodes;
  if (codes === undefined || codes.length === 0) unencodable('an MQTT 5 UNSUBACK needs at least one reason code', 0x82);
  for (const code of codes) checkReasonCode(code, 11);
  return 2 + measureOptionalProperties(p.properties, UNSUBACK, version) + codes.length;
}

function writeUnsuback(p: UnsubackPacket, b: Buffer, o: number, remaining: number, version: ProtocolVersion): number {
  o = writeIdAndProperties(0xb0, p.packetId, p.properties, b, o, remaining, version);
  if (version === 5) {
    // measureUnsuback refused a v5 UNSUBACK without reason codes before the buffer was allocated.
    const codes = p.reasonCodes;
    if (codes === undefined) throw new Error('internal error: an MQTT 5 UNSUBACK without reason codes');
    for (const code of codes) b[o++] = code;
  }
  return o;
}

// Shared pieces

/** Property length and properties in v5 (always present in these packets), nothing before. */
function measureOptionalProperties(
  properties: AllProperties | undefined,
  carrier: number,
  version: ProtocolVersion,
): number {
  if (version !== 5) return 0;
  const length = properties === undefined ? 0 : measureProperties(properties, carrier);
  propertiesLength = length;
  return propertySize(length);
}

function writeIdAndProperties(
  firstByte: number,
  packetId: number,
  properties: AllProperties | undefined,
  b: Buffer,
  o: number,
  remaining: number,
  version: ProtocolVersion,
): number {
  b[o] = firstByte;
  o = writeVarint(b, o + 1, remaining);
  b[o] = packetId >>> 8;
  b[o + 1] = packetId & 0xff;
  o += 2;
  return version === 5 ? writeProperties(b, o, properties, propertiesLength) : o;
}

/** A property list of `length` bytes with its variable byte integer length prefix. */
function propertySize(length: number): number {
  return length + (length < 128 ? 1 : length < 16_384 ? 2 : length < 2_097_152 ? 3 : 4);
}

function writeBinary(b: Buffer, o: number, value: Buffer): number {
  const n = value.length;
  b[o] = n >>> 8;
  b[o + 1] = n & 0xff;
  b.set(value, o + 2);
  return o + 2 + n;
}

function checkId(packetId: number | undefined, what: string): void {
  if (!(packetId !== undefined && packetId >>> 0 === packetId && packetId !== 0 && packetId <= 0xffff)) {
    unencodable(`${what} needs a packet identifier 1..65535, got ${String(packetId)}`, 0x82, 'MQTT-2.3.1-1');
  }
}

function checkTwoByte(value: number, what: string): void {
  if (!(value >>> 0 === value && value <= 0xffff)) unencodable(`${what} ${value} is not 0..65535`);
}

function checkReasonCode(code: number, packetType: number): void {
  if (!isReasonCodeAllowed(packetType, code)) {
    unencodable(`reason code ${String(code)} is not allowed in this packet`, 0x82);
  }
}
