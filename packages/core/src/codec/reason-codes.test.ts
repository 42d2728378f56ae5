import { describe, expect, it } from 'vitest';
import { PacketType } from './packets.js';
import {
  ConnackReturnCode,
  ReasonCode,
  isKnownReasonCode,
  isReasonCodeAllowed,
  toDisconnectReasonCode,
} from './reason-codes.js';

// The reason code lists of each MQTT 5.0 packet section, written out independently of the table.
const SPEC: Record<string, number[]> = {
  connack: [
    0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x90, 0x95, 0x97, 0x99, 0x9a, 0x9b,
    0x9c, 0x9d, 0x9f,
  ],
  puback: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrec: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrel: [0x00, 0x92],
  pubcomp: [0x00, 0x92],
  suback: [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2],
  unsuback: [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91],
  disconnect: [
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97,
    0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
  ],
  auth: [0x00, 0x18, 0x19],
};

describe('reason codes', () => {
  it.each(Object.entries(SPEC))('%s allows exactly the codes its section lists', (name, codes) => {
    const type = PacketType[name as keyof typeof PacketType];
    const allowed: number[] = [];
    for (let code = 0; code < 256; code++) if (isReasonCodeAllowed(type, code)) allowed.push(code);
    expect(allowed).toEqual(codes);
  });

  it('packets without reason codes allow none', () => {
    for (const type of [PacketType.connect, PacketType.publish, PacketType.subscribe, PacketType.pingreq]) {
      for (let code = 0; code < 256; code++) expect(isReasonCodeAllowed(type, code)).toBe(false);
    }
  });

  it('knows every defined code and nothing else', () => {
    const defined = new Set(Object.values(SPEC).flat());
    for (let code = 0; code < 256; code++) expect(isKnownReasonCode(code)).toBe(defined.has(code));
    expect(isKnownReasonCode(-1)).toBe(false);
    expect(isKnownReasonCode(0x100)).toBe(false);
    expect(isKnownReasonCode(1.5)).toBe(false);
  });

  it('every named v5 constant is a defined code', () => {
    for (const code of Object.values(ReasonCode)) expect(isKnownReasonCode(code)).toBe(true);
    expect(ReasonCode.packetTooLarge).toBe(0x95);
    expect(ReasonCode.unsupportedProtocolVersion).toBe(0x84);
  });

  it('names the v3/v4 CONNACK return codes 0..5', () => {
    expect(Object.values(ConnackReturnCode)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('toDisconnectReasonCode', () => {
  it.each([
    // [code, DISCONNECT code]
    [0x84, 0x82], // Unsupported Protocol Version (a second CONNECT): Protocol Error
    [0x85, 0x82], // Client Identifier not valid
    [0x91, 0x82], // Packet Identifier in use
    [0x92, 0x82], // Packet Identifier not found
    [0x86, 0x87], // Bad User Name or Password: Not authorized
    [0x8a, 0x87], // Banned: Not authorized
    [0x88, 0x89], // Server unavailable: Server busy
    [0x01, 0x80], // Granted QoS 1: never a reason to close
    [0x02, 0x80],
    [0x10, 0x80],
    [0x11, 0x80],
    [0x18, 0x80],
    [0x19, 0x80],
    [0x05, 0x80], // not defined by MQTT 5
    [0xff, 0x80],
    [-1, 0x80],
    [0x100, 0x80],
  ])('%i becomes %i', (code, expected) => {
    expect(toDisconnectReasonCode(code)).toBe(expected);
  });

  it('keeps every code DISCONNECT allows, and maps every other byte to one DISCONNECT allows', () => {
    for (let code = 0; code < 256; code++) {
      const mapped = toDisconnectReasonCode(code);
      expect(isReasonCodeAllowed(PacketType.disconnect, mapped)).toBe(true);
      if (isReasonCodeAllowed(PacketType.disconnect, code)) expect(mapped).toBe(code);
    }
  });
});
