import type {
  AckProperties,
  AuthPacket,
  ConnackPacket,
  ConnectPacket,
  DisconnectPacket,
  Packet,
  ProtocolVersion,
  PublishPacket,
  QoS,
  SubackPacket,
  SubscribePacket,
  Subscription,
  UnsubackPacket,
  UnsubscribePacket,
  Will,
} from './packets.js';
import { malformed, protocolError, unsupportedProtocol } from './fail.js';
import { Reader } from './reader.js';
import { readProperties } from './properties-decode.js';
import { WILL_BIT } from './properties.js';
import { isKnownReasonCode, isReasonCodeAllowed } from './reason-codes.js';
import { internals } from './buffer-internals.js';

// Spec rule ids follow MQTT 3.1.1 numbering where 3.1.1 has the rule, MQTT 5.0 numbering otherwise.

// Carrier bits (1 << packet type) for readProperties.
const CONNECT = 1 << 1;
const CONNACK = 1 << 2;
const PUBLISH = 1 << 3;
const SUBSCRIBE = 1 << 8;
const SUBACK = 1 << 9;
const UNSUBSCRIBE = 1 << 10;
const UNSUBACK = 1 << 11;
const DISCONNECT = 1 << 14;
const AUTH = 1 << 15;

const ACK_TYPES = [undefined, undefined, undefined, undefined, 'puback', 'pubrec', 'pubrel', 'pubcomp'] as const;

const reader = new Reader();

/**
 * Decodes the packet whose first byte is `firstByte` and whose variable header and payload are
 * buffer[bodyStart, end). Views it returns (payloads, binary fields) point into `buffer`.
 */
export function decodeBody(
  buffer: Buffer,
  bodyStart: number,
  end: number,
  firstByte: number,
  version: ProtocolVersion,
): Packet {
  const r = reader;
  r.reset(buffer, bodyStart, end);
  const flags = firstByte & 0x0f;
  let packet: Packet;
  switch (firstByte >>> 4) {
    case 1:
      packet = decodeConnect(r, flags);
      break;
    case 2:
      packet = decodeConnack(r, flags, version);
      break;
    case 3:
      packet = decodePublish(r, flags, version);
      break;
    case 4:
    case 5:
    case 7:
      packet = decodeAck(r, (firstByte >>> 4) as 4 | 5 | 7, flags, 0, version);
      break;
    case 6:
      packet = decodeAck(r, 6, flags, 2, version);
      break;
    case 8:
      packet = decodeSubscribe(r, flags, version);
      break;
    case 9:
      packet = decodeSuback(r, flags, version);
      break;
    case 10:
      packet = decodeUnsubscribe(r, flags, version);
      break;
    case 11:
      packet = decodeUnsuback(r, flags, version);
      break;
    case 12:
      reservedFlags(flags, 0, 'PINGREQ');
      finish(r);
      packet = { type: 'pingreq' };
      break;
    case 13:
      reservedFlags(flags, 0, 'PINGRESP');
      finish(r);
      packet = { type: 'pingresp' };
      break;
    case 14:
      packet = decodeDisconnect(r, flags, version);
      break;
    case 15:
      packet = decodeAuth(r, flags, version);
      break;
    default:
      malformed('packet type 0 is reserved');
  }
  r.release();
  return packet;
}

function decodePublish(r: Reader, flags: number, version: ProtocolVersion): PublishPacket {
  const qos = (flags >>> 1) & 3;
  if (qos === 3) malformed('PUBLISH with QoS 3', 'MQTT-3.3.1-4');
  const dup = (flags & 8) !== 0;
  if (dup && qos === 0) malformed('PUBLISH with QoS 0 must not set DUP', 'MQTT-3.3.1-2');
  const topic = r.topicName();
  const packetId = qos === 0 ? undefined : readPacketId(r);
  const properties = version === 5 ? readProperties(r, PUBLISH) : undefined;
  if (topic.length === 0) {
    if (properties?.topicAlias === undefined) {
      protocolError(
        version === 5 ? 'PUBLISH with an empty topic needs a Topic Alias' : 'PUBLISH topic must not be empty',
        'MQTT-4.7.3-1',
      );
    }
  }
  const payload = r.buffer.subarray(r.pos, r.end);
  const retain = (flags & 1) !== 0;
  // One literal per variant: optional fields stay absent (the canonical form) and each variant keeps
  // a fixed hidden class, so consumers see at most four shapes.
  if (packetId === undefined) {
    return properties === undefined
      ? { type: 'publish', topic, payload, qos: 0, retain, dup }
      : { type: 'publish', topic, payload, qos: 0, retain, dup, properties };
  }
  return properties === undefined
    ? { type: 'publish', topic, payload, qos: qos as QoS, retain, dup, packetId }
    : { type: 'publish', topic, payload, qos: qos as QoS, retain, dup, packetId, properties };
}

function decodeAck(
  r: Reader,
  type: 4 | 5 | 6 | 7,
  flags: number,
  expectedFlags: number,
  version: ProtocolVersion,
): Packet {
  const name = ACK_TYPES[type];
  reservedFlags(flags, expectedFlags, name.toUpperCase());
  const packetId = readPacketId(r);
  if (version !== 5) {
    finish(r);
    return { type: name, packetId };
  }
  // Short forms: remaining length 2 means Success, 3 a reason code without properties.
  let reasonCode = 0;
  let properties: AckProperties | undefined;
  if (r.pos < r.end) {
    reasonCode = readReasonCode(r, type);
    if (r.pos < r.end) properties = readProperties(r, 1 << type);
  }
  finish(r);
  return properties === undefined
    ? { type: name, packetId, reasonCode }
    : { type: name, packetId, reasonCode, properties };
}

function decodeConnect(r: Reader, flags: number): ConnectPacket {
  reservedFlags(flags, 0, 'CONNECT');
  const protocolName = readProtocolName(r);
  const level = r.u8();
  if (protocolName === 'MQTT' ? level !== 4 && level !== 5 : level !== 3) {
    unsupportedProtocol(`protocol ${protocolName} level ${level} is not supported`, 'MQTT-3.1.2-2', level);
  }
  const version = level as ProtocolVersion;
  const connectFlags = r.u8();
  if ((connectFlags & 1) !== 0) malformed('the reserved CONNECT flag must be 0', 'MQTT-3.1.2-3');
  const willFlag = (connectFlags & 0x04) !== 0;
  const willQoS = (connectFlags >>> 3) & 3;
  const willRetain = (connectFlags & 0x20) !== 0;
  const passwordFlag = (connectFlags & 0x40) !== 0;
  const usernameFlag = (connectFlags & 0x80) !== 0;
  if (willFlag) {
    if (willQoS === 3) malformed('will QoS 3', 'MQTT-3.1.2-14');
  } else {
    if (willQoS !== 0) malformed('will QoS must be 0 without the will flag', 'MQTT-3.1.2-13');
    if (willRetain) malformed('will retain must be 0 without the will flag', 'MQTT-3.1.2-15');
  }
  if (version < 5 && passwordFlag && !usernameFlag) {
    malformed('the password flag needs the user name flag before MQTT 5', 'MQTT-3.1.2-22');
  }
  const keepalive = r.u16();
  const properties = version === 5 ? readProperties(r, CONNECT) : undefined;
  const clientId = r.utf8();
  let will: Will | undefined;
  if (willFlag) {
    const willProperties = version === 5 ? readProperties(r, WILL_BIT) : undefined;
    const topic = r.utf8();
    const payload = r.binary();
    will = { topic, payload, qos: willQoS as QoS, retain: willRetain };
    if (willProperties !== undefined) will.properties = willProperties;
  }
  const username = usernameFlag ? r.utf8() : undefined;
  const password = passwordFlag ? r.binary() : undefined;
  finish(r);
  const packet: ConnectPacket = {
    type: 'connect',
    protocolName,
    protocolVersion: version,
    clean: (connectFlags & 0x02) !== 0,
    keepalive,
    clientId,
  };
  // Absent, not undefined: the canonical form.
  if (will !== undefined) packet.will = will;
  if (username !== undefined) packet.username = username;
  if (password !== undefined) packet.password = password;
  if (properties !== undefined) packet.properties = properties;
  return packet;
}

function readProtocolName(r: Reader): 'MQTT' | 'MQIsdp' {
  const name = r.binary();
  if (name.length === 4 && name[0] === 0x4d && name[1] === 0x51 && name[2] === 0x54 && name[3] === 0x54) {
    return 'MQTT';
  }
  if (name.length === 6 && internals(name).latin1Slice(0, 6) === 'MQIsdp') return 'MQIsdp';
  const shown = JSON.stringify(internals(name).latin1Slice(0, name.length));
  return unsupportedProtocol(`protocol name ${shown} is neither "MQTT" nor "MQIsdp"`, 'MQTT-3.1.2-1');
}

function decodeConnack(r: Reader, flags: number, version: ProtocolVersion): ConnackPacket {
  reservedFlags(flags, 0, 'CONNACK');
  const ackFlags = r.u8();
  if ((ackFlags & 0xfe) !== 0) malformed('CONNACK acknowledge flags bits 7-1 are reserved');
  const reasonCode = r.u8();
  let properties;
  if (version === 5) {
    checkReasonCode(reasonCode, 2);
    properties = readProperties(r, CONNACK);
  } else if (reasonCode > 5) {
    malformed(`CONNACK return code ${reasonCode} is reserved`);
  }
  finish(r);
  const sessionPresent = (ackFlags & 1) !== 0;
  return properties === undefined
    ? { type: 'connack', sessionPresent, reasonCode }
    : { type: 'connack', sessionPresent, reasonCode, properties };
}

function decodeSubscribe(r: Reader, flags: number, version: ProtocolVersion): SubscribePacket {
  reservedFlags(flags, 2, 'SUBSCRIBE');
  const packetId = readPacketId(r);
  const properties = version === 5 ? readProperties(r, SUBSCRIBE) : undefined;
  const subscriptions: Subscription[] = [];
  while (r.pos < r.end) {
    const topic = r.utf8();
    if (topic.length === 0) protocolError('SUBSCRIBE with a zero-length topic filter', 'MQTT-4.7.3-1');
    const options = r.u8();
    const qos = options & 3;
    if (qos === 3) malformed('subscription QoS 3', 'MQTT-3.8.3-4');
    if (version === 5) {
      if ((options & 0xc0) !== 0) malformed('subscription options bits 6-7 are reserved', 'MQTT-3.8.3-5');
      const retainHandling = (options >>> 4) & 3;
      if (retainHandling === 3) protocolError('retain handling 3 is reserved');
      subscriptions.push({
        topic,
        qos: qos as QoS,
        noLocal: (options & 0x04) !== 0,
        retainAsPublished: (options & 0x08) !== 0,
        retainHandling: retainHandling as 0 | 1 | 2,
      });
    } else {
      if ((options & 0xfc) !== 0) malformed('the upper 6 bits of the requested QoS byte are reserved', 'MQTT-3.8.3-4');
      subscriptions.push({ topic, qos: qos as QoS });
    }
  }
  if (subscriptions.length === 0) protocolError('SUBSCRIBE needs at least one topic filter', 'MQTT-3.8.3-3');
  return properties === undefined
    ? { type: 'subscribe', packetId, subscriptions }
    : { type: 'subscribe', packetId, subscriptions, properties };
}

function decodeSuback(r: Reader, flags: number, version: ProtocolVersion): SubackPacket {
  reservedFlags(flags, 0, 'SUBACK');
  const packetId = readPacketId(r);
  const properties = version === 5 ? readProperties(r, SUBACK) : undefined;
  const reasonCodes: number[] = [];
  while (r.pos < r.end) {
    if (version === 5) {
      reasonCodes.push(readReasonCode(r, 9));
    } else {
      const code = r.u8();
      if (code > 2 && code !== 0x80) malformed(`SUBACK return code 0x${code.toString(16)} is reserved`, 'MQTT-3.9.3-2');
      reasonCodes.push(code);
    }
  }
  if (reasonCodes.length === 0) protocolError('SUBACK needs at least one return code');
  return properties === undefined
    ? { type: 'suback', packetId, reasonCodes }
    : { type: 'suback', packetId, reasonCodes, properties };
}

function decodeUnsubscribe(r: Reader, flags: number, version: ProtocolVersion): UnsubscribePacket {
  reservedFlags(flags, 2, 'UNSUBSCRIBE');
  const packetId = readPacketId(r);
  const properties = version === 5 ? readProperties(r, UNSUBSCRIBE) : undefined;
  const topics: string[] = [];
  while (r.pos < r.end) {
    const topic = r.utf8();
    if (topic.length === 0) protocolError('UNSUBSCRIBE with a zero-length topic filter', 'MQTT-4.7.3-1');
    topics.push(topic);
  }
  if (topics.length === 0) protocolError('UNSUBSCRIBE needs at least one topic filter', 'MQTT-3.10.3-2');
  return properties === undefined
    ? { type: 'unsubscribe', packetId, topics }
    : { type: 'unsubscribe', packetId, topics, properties };
}

function decodeUnsuback(r: Reader, flags: number, version: ProtocolVersion): UnsubackPacket {
  reservedFlags(flags, 0, 'UNSUBACK');
  const packetId = readPacketId(r);
  if (version !== 5) {
    finish(r);
    return { type: 'unsuback', packetId };
  }
  const properties = readProperties(r, UNSUBACK);
  const reasonCodes: number[] = [];
  while (r.pos < r.end) reasonCodes.push(readReasonCode(r, 11));
  if (reasonCodes.length === 0) protocolError('UNSUBACK needs at least one reason code');
  return properties === undefined
    ? { type: 'unsuback', packetId, reasonCodes }
    : { type: 'unsuback', packetId, reasonCodes, properties };
}

function decodeDisconnect(r: Reader, flags: number, version: ProtocolVersion): DisconnectPacket {
  reservedFlags(flags, 0, 'DISCONNECT');
  if (version !== 5) {
    finish(r);
    return { type: 'disconnect' };
  }
  // Remaining length 0 means Normal disconnection, 1 a reason code without properties.
  let reasonCode = 0;
  let properties;
  if (r.pos < r.end) {
    reasonCode = readReasonCode(r, 14);
    if (r.pos < r.end) properties = readProperties(r, DISCONNECT);
  }
  finish(r);
  return properties === undefined ? { type: 'disconnect', reasonCode } : { type: 'disconnect', reasonCode, properties };
}

function decodeAuth(r: Reader, flags: number, version: ProtocolVersion): AuthPacket {
  if (version !== 5) malformed('AUTH exists only in MQTT 5');
  reservedFlags(flags, 0, 'AUTH');
  // Remaining length 0 means Success; otherwise the property length is not optional (3.15.2.1).
  let reasonCode = 0;
  let properties;
  if (r.pos < r.end) {
    reasonCode = readReasonCode(r, 15);
    properties = readProperties(r, AUTH);
  }
  finish(r);
  return properties === undefined ? { type: 'auth', reasonCode } : { type: 'auth', reasonCode, properties };
}

function readPacketId(r: Reader): number {
  const id = r.u16();
  // A Malformed Packet (0x81) for MQTT 5 [MQTT-2.2.1-3]; 3.1.1 numbers the rule MQTT-2.3.1-1.
  if (id === 0) malformed('packet identifier 0 is not allowed', 'MQTT-2.3.1-1');
  return id;
}

function readReasonCode(r: Reader, packetType: number): number {
  const code = r.u8();
  checkReasonCode(code, packetType);
  return code;
}

function checkReasonCode(code: number, packetType: number): void {
  if (!isReasonCodeAllowed(packetType, code)) {
    const hex = `0x${code.toString(16).padStart(2, '0')}`;
    if (isKnownReasonCode(code)) protocolError(`reason code ${hex} is not allowed in this packet`);
    malformed(`reason code ${hex} is not defined`);
  }
}

function reservedFlags(flags: number, expected: number, name: string): void {
  if (flags !== expected) {
    malformed(`${name} fixed header flags must be ${expected.toString(2).padStart(4, '0')}`, 'MQTT-2.2.2-1');
  }
}

/** A packet must use every byte its remaining length announces. */
function finish(r: Reader): void {
  if (r.pos !== r.end) malformed(`${r.end - r.pos} unexpected bytes at the end of the packet`);
}
