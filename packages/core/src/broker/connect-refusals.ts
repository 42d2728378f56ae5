/**
 * Names of CONNACK refusals as the stats count them (`BrokerStats.connectRefused`): one name for a v3
 * return code and the v5 reason code that means the same, so a dashboard adds no per-version cases.
 */
const NAMES: Readonly<Record<number, string>> = {
  0x01: 'unsupported-protocol',
  0x02: 'identifier-rejected',
  0x03: 'server-unavailable',
  0x04: 'bad-credentials',
  0x05: 'not-authorized',
  0x80: 'unspecified-error',
  0x81: 'malformed-packet',
  0x82: 'protocol-error',
  0x83: 'implementation-specific-error',
  0x84: 'unsupported-protocol',
  0x85: 'identifier-rejected',
  0x86: 'bad-credentials',
  0x87: 'not-authorized',
  0x88: 'server-unavailable',
  0x89: 'server-busy',
  0x8a: 'banned',
  0x8c: 'bad-authentication-method',
  0x90: 'topic-name-invalid',
  0x95: 'packet-too-large',
  0x97: 'quota-exceeded',
  0x99: 'payload-format-invalid',
  0x9a: 'retain-not-supported',
  0x9b: 'qos-not-supported',
  0x9c: 'use-another-server',
  0x9d: 'server-moved',
  0x9f: 'connection-rate-exceeded',
};

/** The stats name of a CONNACK refusal code; 'other' for a code MQTT does not define for CONNACK (a bounded label set). */
export function refusalName(code: number): string {
  return NAMES[code] ?? 'other';
}
