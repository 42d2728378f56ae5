import { tooLarge } from './fail.js';

/**
 * Per-packet caps on MQTT 5 User Properties. A User Property may repeat without limit in every packet
 * that has properties, and each one decodes to an array and two strings: a 1 MiB CONNECT of empty
 * pairs builds ~17 MiB of objects. The decoder counts them while it reads, so an over-limit packet
 * fails before more objects are built. 0 = unlimited.
 */
export interface UserPropertyLimits {
  /** Most User Properties in one packet (a CONNECT's will properties count with it). */
  readonly maxCount: number;
  /** Most bytes of User Property names and values (UTF-8, without length prefixes) in one packet. */
  readonly maxBytes: number;
}

export const NO_USER_PROPERTY_LIMITS: UserPropertyLimits = Object.freeze({ maxCount: 0, maxBytes: 0 });

// Decoding is synchronous and never calls out, so the packet being decoded is one at a time: its
// limits and what it used so far can be module state, as the shared Reader is.
let limits: UserPropertyLimits = NO_USER_PROPERTY_LIMITS;
let count = 0;
let bytes = 0;

/** Called before each packet is decoded: sets its limits and forgets the previous packet's use. */
export function beginPacket(packetLimits: UserPropertyLimits): void {
  limits = packetLimits;
  count = 0;
  bytes = 0;
}

/**
 * Counts one User Property of `pairBytes` name + value bytes. Over a limit the packet fails with
 * reason code 0x95 (Packet too large): legal in CONNACK and DISCONNECT, and what the client can act on.
 */
export function countUserProperty(pairBytes: number): void {
  const l = limits;
  if (l.maxCount !== 0 && ++count > l.maxCount) {
    tooLarge(`more than ${l.maxCount} User Properties in one packet (max_user_properties)`);
  }
  if (l.maxBytes !== 0) {
    bytes += pairBytes;
    if (bytes > l.maxBytes)
      tooLarge(`more than ${l.maxBytes} bytes of User Properties in one packet (max_user_properties_bytes)`);
  }
}
