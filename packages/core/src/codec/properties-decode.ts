import type { AllProperties } from './packets.js';
import { PacketType } from './packets.js';
import type { Reader } from './reader.js';
import { malformed, protocolError, topicAliasInvalid } from './fail.js';
import { allowedIn, propertyById, repeatableIn, WILL_BIT } from './properties.js';
import { countUserProperty } from './user-property-limits.js';

/**
 * Reads a v5 property length and the properties after it, for the carrier `carrier` (a bit from
 * `carrierBit`). Returns undefined for an empty property list.
 *
 * Unknown identifiers, identifiers the packet's grammar does not list and lengths past the end are
 * malformed (0x81); a second copy of a single-valued property and out-of-range values are protocol
 * errors (0x82).
 */
export function readProperties(r: Reader, carrier: number): AllProperties | undefined {
  const length = r.varint();
  if (length === 0) return undefined;
  const end = r.pos + length;
  const frameEnd = r.end;
  if (end > frameEnd) malformed('the property length runs past the end of the packet');
  // Narrowing the reader's end makes a value that straddles the property length fail its bounds check.
  r.end = end;
  const p: AllProperties = {};
  while (r.pos < end) {
    // Identifiers are variable byte integers, but every defined one is below 0x80 and so one byte.
    const id = r.u8();
    const allowed = id < 0x80 ? (allowedIn[id] ?? 0) : 0;
    if (allowed === 0) malformed(`unknown property identifier 0x${id.toString(16)}`);
    if ((allowed & carrier) === 0) notAllowed(id, carrier);
    switch (id) {
      case 0x01:
        if (p.payloadFormatIndicator !== undefined) duplicate(id);
        p.payloadFormatIndicator = readBoolean(r, id);
        break;
      case 0x02:
        if (p.messageExpiryInterval !== undefined) duplicate(id);
        p.messageExpiryInterval = r.u32();
        break;
      case 0x03:
        if (p.contentType !== undefined) duplicate(id);
        p.contentType = r.utf8();
        break;
      case 0x08:
        if (p.responseTopic !== undefined) duplicate(id);
        p.responseTopic = readResponseTopic(r);
        break;
      case 0x09:
        if (p.correlationData !== undefined) duplicate(id);
        p.correlationData = r.binary();
        break;
      case 0x0b: {
        const value = r.varint();
        if (value === 0) protocolError('a subscription identifier of 0 is not allowed');
        if (p.subscriptionIdentifier === undefined) p.subscriptionIdentifier = [value];
        else if (((repeatableIn[id] ?? 0) & carrier) === 0) duplicate(id);
        else p.subscriptionIdentifier.push(value);
        break;
      }
      case 0x11:
        if (p.sessionExpiryInterval !== undefined) duplicate(id);
        p.sessionExpiryInterval = r.u32();
        break;
      case 0x12:
        if (p.assignedClientIdentifier !== undefined) duplicate(id);
        p.assignedClientIdentifier = r.utf8();
        break;
      case 0x13:
        if (p.serverKeepAlive !== undefined) duplicate(id);
        p.serverKeepAlive = r.u16();
        break;
      case 0x15:
        if (p.authenticationMethod !== undefined) duplicate(id);
        p.authenticationMethod = r.utf8();
        break;
      case 0x16:
        if (p.authenticationData !== undefined) duplicate(id);
        p.authenticationData = r.binary();
        break;
      case 0x17:
        if (p.requestProblemInformation !== undefined) duplicate(id);
        p.requestProblemInformation = readBoolean(r, id);
        break;
      case 0x18:
        if (p.willDelayInterval !== undefined) duplicate(id);
        p.willDelayInterval = r.u32();
        break;
      case 0x19:
        if (p.requestResponseInformation !== undefined) duplicate(id);
        p.requestResponseInformation = readBoolean(r, id);
        break;
      case 0x1a:
        if (p.responseInformation !== undefined) duplicate(id);
        p.responseInformation = r.utf8();
        break;
      case 0x1c:
        if (p.serverReference !== undefined) duplicate(id);
        p.serverReference = r.utf8();
        break;
      case 0x1f:
        if (p.reasonString !== undefined) duplicate(id);
        p.reasonString = r.utf8();
        break;
      case 0x21:
        if (p.receiveMaximum !== undefined) duplicate(id);
        p.receiveMaximum = readNonZeroTwoByte(r, id);
        break;
      case 0x22:
        if (p.topicAliasMaximum !== undefined) duplicate(id);
        p.topicAliasMaximum = r.u16();
        break;
      case 0x23:
        if (p.topicAlias !== undefined) duplicate(id);
        p.topicAlias = r.u16();
        // A Protocol Error the spec answers with its own reason code, 0x94 Topic Alias invalid.
        if (p.topicAlias === 0) topicAliasInvalid('a Topic Alias must not be 0', 'MQTT-3.3.2-8');
        break;
      case 0x24:
        if (p.maximumQoS !== undefined) duplicate(id);
        p.maximumQoS = readBoolean(r, id) ? 1 : 0;
        break;
      case 0x25:
        if (p.retainAvailable !== undefined) duplicate(id);
        p.retainAvailable = readBoolean(r, id);
        break;
      case 0x26: {
        const start = r.pos;
        const name = r.utf8();
        const value = r.utf8();
        // Two length prefixes are not content; counted before the pair is kept.
        countUserProperty(r.pos - start - 4);
        if (p.userProperties === undefined) p.userProperties = [[name, value]];
        else p.userProperties.push([name, value]);
        break;
      }
      case 0x27: {
        if (p.maximumPacketSize !== undefined) duplicate(id);
        const value = r.u32();
        if (value === 0) protocolError('a maximum packet size of 0 is not allowed');
        p.maximumPacketSize = value;
        break;
      }
      case 0x28:
        if (p.wildcardSubscriptionAvailable !== undefined) duplicate(id);
        p.wildcardSubscriptionAvailable = readBoolean(r, id);
        break;
      case 0x29:
        if (p.subscriptionIdentifierAvailable !== undefined) duplicate(id);
        p.subscriptionIdentifierAvailable = readBoolean(r, id);
        break;
      case 0x2a:
        if (p.sharedSubscriptionAvailable !== undefined) duplicate(id);
        p.sharedSubscriptionAvailable = readBoolean(r, id);
        break;
      default:
        // Unreachable while the table and this switch agree; kept so a mismatch cannot loop forever.
        malformed(`unknown property identifier 0x${id.toString(16)}`);
    }
  }
  r.end = frameEnd;
  return p;
}

function readBoolean(r: Reader, id: number): boolean {
  const value = r.u8();
  if (value > 1) protocolError(`property ${nameOf(id)} must be 0 or 1, got ${value}`);
  return value === 1;
}

function readNonZeroTwoByte(r: Reader, id: number): number {
  const value = r.u16();
  if (value === 0) protocolError(`property ${nameOf(id)} must not be 0`);
  return value;
}

function readResponseTopic(r: Reader): string {
  const start = r.pos;
  const topic = r.utf8();
  // Only the ASCII wildcard bytes matter: UTF-8 continuation bytes are all >= 0x80.
  const b = r.buffer;
  for (let i = start + 2; i < r.pos; i++) {
    if (b[i] === 0x2b || b[i] === 0x23) protocolError('the response topic must not contain wildcards', 'MQTT-3.3.2-14');
  }
  return topic;
}

function duplicate(id: number): never {
  return protocolError(`property ${nameOf(id)} appears more than once`);
}

function notAllowed(id: number, carrier: number): never {
  return malformed(`property ${nameOf(id)} is not allowed in ${carrierName(carrier)}`);
}

function nameOf(id: number): string {
  return propertyById(id)?.name ?? `0x${id.toString(16)}`;
}

function carrierName(carrier: number): string {
  if (carrier === WILL_BIT) return 'will properties';
  for (const [name, type] of Object.entries(PacketType)) if (carrier === 1 << type) return name.toUpperCase();
  return 'this packet';
}
