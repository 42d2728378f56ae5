import type { AllProperties } from './packets.js';
import { unencodable } from './fail.js';
import { allowedIn, propertyById, repeatableIn } from './properties.js';
import { utf8Length, writeUtf8 } from './utf8.js';
import { MAX_VARINT, varintLength, writeVarint } from './varint.js';

// Named field checks rather than a loop over the table: with the object shapes the callers build,
// each check is an inline-cached load, where a keyed loop over 27 names would go megamorphic.

/**
 * The byte length of `p`'s property list (without its own length prefix), after checking that the
 * carrier may hold each property and that each value fits its wire type.
 */
export function measureProperties(p: AllProperties, carrier: number): number {
  let n = 0;
  if (p.payloadFormatIndicator !== undefined) n += allowed(0x01, carrier) + 2;
  if (p.messageExpiryInterval !== undefined) n += allowed(0x02, carrier) + fourByte(0x02, p.messageExpiryInterval, 0);
  if (p.contentType !== undefined) n += allowed(0x03, carrier) + 1 + stringSize(p.contentType);
  if (p.responseTopic !== undefined) n += allowed(0x08, carrier) + 1 + stringSize(p.responseTopic);
  if (p.correlationData !== undefined) n += allowed(0x09, carrier) + 1 + binarySize(p.correlationData);
  if (p.subscriptionIdentifier !== undefined)
    n += allowed(0x0b, carrier) + subscriptionIds(p.subscriptionIdentifier, carrier);
  if (p.sessionExpiryInterval !== undefined) n += allowed(0x11, carrier) + fourByte(0x11, p.sessionExpiryInterval, 0);
  if (p.assignedClientIdentifier !== undefined)
    n += allowed(0x12, carrier) + 1 + stringSize(p.assignedClientIdentifier);
  if (p.serverKeepAlive !== undefined) n += allowed(0x13, carrier) + twoByte(0x13, p.serverKeepAlive, 0);
  if (p.authenticationMethod !== undefined) n += allowed(0x15, carrier) + 1 + stringSize(p.authenticationMethod);
  if (p.authenticationData !== undefined) n += allowed(0x16, carrier) + 1 + binarySize(p.authenticationData);
  if (p.requestProblemInformation !== undefined) n += allowed(0x17, carrier) + 2;
  if (p.willDelayInterval !== undefined) n += allowed(0x18, carrier) + fourByte(0x18, p.willDelayInterval, 0);
  if (p.requestResponseInformation !== undefined) n += allowed(0x19, carrier) + 2;
  if (p.responseInformation !== undefined) n += allowed(0x1a, carrier) + 1 + stringSize(p.responseInformation);
  if (p.serverReference !== undefined) n += allowed(0x1c, carrier) + 1 + stringSize(p.serverReference);
  if (p.reasonString !== undefined) n += allowed(0x1f, carrier) + 1 + stringSize(p.reasonString);
  if (p.receiveMaximum !== undefined) n += allowed(0x21, carrier) + twoByte(0x21, p.receiveMaximum, 1);
  if (p.topicAliasMaximum !== undefined) n += allowed(0x22, carrier) + twoByte(0x22, p.topicAliasMaximum, 0);
  if (p.topicAlias !== undefined) n += allowed(0x23, carrier) + twoByte(0x23, p.topicAlias, 1);
  if (p.maximumQoS !== undefined) n += allowed(0x24, carrier) + maximumQoS(p.maximumQoS);
  if (p.retainAvailable !== undefined) n += allowed(0x25, carrier) + 2;
  if (p.userProperties !== undefined) n += allowed(0x26, carrier) + userProperties(p.userProperties);
  if (p.maximumPacketSize !== undefined) n += allowed(0x27, carrier) + fourByte(0x27, p.maximumPacketSize, 1);
  if (p.wildcardSubscriptionAvailable !== undefined) n += allowed(0x28, carrier) + 2;
  if (p.subscriptionIdentifierAvailable !== undefined) n += allowed(0x29, carrier) + 2;
  if (p.sharedSubscriptionAvailable !== undefined) n += allowed(0x2a, carrier) + 2;
  return n;
}

/** Writes the property length `length` (from measureProperties) and the properties, in identifier order. */
export function writeProperties(b: Buffer, o: number, p: AllProperties | undefined, length: number): number {
  o = writeVarint(b, o, length);
  if (length === 0) return o;
  if (p === undefined) throw new Error('internal error: a property length measured without properties');
  let v;
  if ((v = p.payloadFormatIndicator) !== undefined) o = byte(b, byte(b, o, 0x01), v ? 1 : 0);
  if ((v = p.messageExpiryInterval) !== undefined) o = u32(b, byte(b, o, 0x02), v);
  if ((v = p.contentType) !== undefined) o = writeUtf8(b, byte(b, o, 0x03), v);
  if ((v = p.responseTopic) !== undefined) o = writeUtf8(b, byte(b, o, 0x08), v);
  if ((v = p.correlationData) !== undefined) o = binary(b, byte(b, o, 0x09), v);
  if ((v = p.subscriptionIdentifier) !== undefined) {
    for (const id of v) o = writeVarint(b, byte(b, o, 0x0b), id);
  }
  if ((v = p.sessionExpiryInterval) !== undefined) o = u32(b, byte(b, o, 0x11), v);
  if ((v = p.assignedClientIdentifier) !== undefined) o = writeUtf8(b, byte(b, o, 0x12), v);
  if ((v = p.serverKeepAlive) !== undefined) o = u16(b, byte(b, o, 0x13), v);
  if ((v = p.authenticationMethod) !== undefined) o = writeUtf8(b, byte(b, o, 0x15), v);
  if ((v = p.authenticationData) !== undefined) o = binary(b, byte(b, o, 0x16), v);
  if ((v = p.requestProblemInformation) !== undefined) o = byte(b, byte(b, o, 0x17), v ? 1 : 0);
  if ((v = p.willDelayInterval) !== undefined) o = u32(b, byte(b, o, 0x18), v);
  if ((v = p.requestResponseInformation) !== undefined) o = byte(b, byte(b, o, 0x19), v ? 1 : 0);
  if ((v = p.responseInformation) !== undefined) o = writeUtf8(b, byte(b, o, 0x1a), v);
  if ((v = p.serverReference) !== undefined) o = writeUtf8(b, byte(b, o, 0x1c), v);
  if ((v = p.reasonString) !== undefined) o = writeUtf8(b, byte(b, o, 0x1f), v);
  if ((v = p.receiveMaximum) !== undefined) o = u16(b, byte(b, o, 0x21), v);
  if ((v = p.topicAliasMaximum) !== undefined) o = u16(b, byte(b, o, 0x22), v);
  if ((v = p.topicAlias) !== undefined) o = u16(b, byte(b, o, 0x23), v);
  if ((v = p.maximumQoS) !== undefined) o = byte(b, byte(b, o, 0x24), v);
  if ((v = p.retainAvailable) !== undefined) o = byte(b, byte(b, o, 0x25), v ? 1 : 0);
  if ((v = p.userProperties) !== undefined) {
    for (const pair of v) o = writeUtf8(b, writeUtf8(b, byte(b, o, 0x26), pair[0]), pair[1]);
  }
  if ((v = p.maximumPacketSize) !== undefined) o = u32(b, byte(b, o, 0x27), v);
  if ((v = p.wildcardSubscriptionAvailable) !== undefined) o = byte(b, byte(b, o, 0x28), v ? 1 : 0);
  if ((v = p.subscriptionIdentifierAvailable) !== undefined) o = byte(b, byte(b, o, 0x29), v ? 1 : 0);
  if ((v = p.sharedSubscriptionAvailable) !== undefined) o = byte(b, byte(b, o, 0x2a), v ? 1 : 0);
  return o;
}

function byte(b: Buffer, o: number, value: number): number {
  b[o] = value;
  return o + 1;
}

function u16(b: Buffer, o: number, value: number): number {
  b[o] = value >>> 8;
  b[o + 1] = value & 0xff;
  return o + 2;
}

function u32(b: Buffer, o: number, value: number): number {
  b[o] = value >>> 24;
  b[o + 1] = (value >>> 16) & 0xff;
  b[o + 2] = (value >>> 8) & 0xff;
  b[o + 3] = value & 0xff;
  return o + 4;
}

function binary(b: Buffer, o: number, value: Buffer): number {
  const n = value.length;
  b[o] = n >>> 8;
  b[o + 1] = n & 0xff;
  b.set(value, o + 2);
  return o + 2 + n;
}

/** 0, so it can be added to a size: the check is the point. */
function allowed(id: number, carrier: number): number {
  if (((allowedIn[id] ?? 0) & carrier) === 0) unencodable(`property ${nameOf(id)} is not allowed here`, 0x81);
  return 0;
}

/** The size of an MQTT string, length prefix included. */
export function stringSize(value: string): number {
  const n = utf8Length(value);
  if (n > 0xffff) unencodable(`a string of ${n} bytes exceeds the 65,535-byte limit`);
  return 2 + n;
}

/** The size of MQTT binary data, length prefix included. */
export function binarySize(value: Buffer): number {
  const n = value.length;
  if (n > 0xffff) unencodable(`binary data of ${n} bytes exceeds the 65,535-byte limit`);
  return 2 + n;
}

function twoByte(id: number, value: number, min: number): number {
  if (!(Number.isInteger(value) && value >= min && value <= 0xffff)) outOfRange(id, value);
  return 3;
}

function fourByte(id: number, value: number, min: number): number {
  if (!(Number.isInteger(value) && value >= min && value <= 0xffffffff)) outOfRange(id, value);
  return 5;
}

function maximumQoS(value: number): number {
  if (value !== 0 && value !== 1) outOfRange(0x24, value);
  return 2;
}

function subscriptionIds(ids: readonly number[], carrier: number): number {
  if (ids.length > 1 && ((repeatableIn[0x0b] ?? 0) & carrier) === 0) {
    unencodable('only PUBLISH may carry more than one subscription identifier', 0x82);
  }
  let n = 0;
  for (const id of ids) {
    if (!(Number.isInteger(id) && id >= 1 && id <= MAX_VARINT)) outOfRange(0x0b, id);
    n += 1 + varintLength(id);
  }
  return n;
}

function userProperties(pairs: readonly (readonly [string, string])[]): number {
  let n = 0;
  for (const pair of pairs) {
    n += 1 + stringSize(pair[0]) + stringSize(pair[1]);
  }
  return n;
}

function outOfRange(id: number, value: number): never {
  return unencodable(`property ${nameOf(id)} value ${value} is out of range`, 0x82);
}

function nameOf(id: number): string {
  return propertyById(id)?.name ?? `0x${id.toString(16)}`;
}
