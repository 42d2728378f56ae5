/**
 * Client errors: one MidgeError subclass whose `code` says what failed, so callers branch on codes, not
 * on message text.
 */
import { MidgeError } from '../codec/errors.js';
import type { ProtocolVersion } from '../codec/packets.js';

export const ClientErrorCode = {
  /** The broker answered CONNECT with a refusal; `reasonCode` holds the CONNACK code. */
  connectRefused: 'CLIENT_CONNECT_REFUSED',
  /** No CONNACK (or other awaited answer) arrived in time. */
  timeout: 'CLIENT_TIMEOUT',
  /** The client was closed (disconnect/end, or it gave up reconnecting) before the operation finished. */
  closed: 'CLIENT_CLOSED',
  /** An operation needs a connection but connect() was never called or has not succeeded yet. */
  notConnected: 'CLIENT_NOT_CONNECTED',
  /** The socket could not be opened or broke (DNS, refused, TLS, WebSocket upgrade...). */
  network: 'CLIENT_NETWORK',
  /** The broker sent bytes that are not valid MQTT, or a packet the client cannot accept. */
  protocol: 'CLIENT_PROTOCOL',
  /** Every reconnect attempt failed. */
  reconnectFailed: 'CLIENT_RECONNECT_FAILED',
  /** The broker refused one or more filters of a SUBSCRIBE (SUBACK 0x80 or a v5 failure code). */
  subscribeRefused: 'CLIENT_SUBSCRIBE_REFUSED',
  /** A v5 broker answered a PUBLISH with a failure reason code (PUBACK/PUBREC >= 0x80). */
  publishRefused: 'CLIENT_PUBLISH_REFUSED',
  /** Options or arguments that cannot work (bad URI, QoS 3, wildcard in a publish topic...). */
  invalidArgument: 'CLIENT_INVALID_ARGUMENT',
} as const;
export type ClientErrorCodeValue = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

export class ClientError extends MidgeError {
  /** The MQTT code behind the failure (CONNACK, SUBACK or v5 reason code), when there is one. */
  readonly reasonCode: number | undefined;

  constructor(code: ClientErrorCodeValue, message: string, options?: { cause?: unknown; reasonCode?: number }) {
    super(code, message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'ClientError';
    this.reasonCode = options?.reasonCode;
  }
}

// Worded like mosquitto's clients, which scripts and users already know.
const V4_REFUSALS: Readonly<Record<number, string>> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'broker unavailable',
  4: 'bad user name or password',
  5: 'not authorised',
};

const V5_REASONS: Readonly<Record<number, string>> = {
  0x80: 'unspecified error',
  0x81: 'malformed packet',
  0x82: 'protocol error',
  0x83: 'implementation specific error',
  0x84: 'unsupported protocol version',
  0x85: 'client identifier not valid',
  0x86: 'bad user name or password',
  0x87: 'not authorised',
  0x88: 'server unavailable',
  0x89: 'server busy',
  0x8a: 'banned',
  0x8c: 'bad authentication method',
  0x8e: 'session taken over',
  0x8f: 'topic filter invalid',
  0x90: 'topic name invalid',
  0x91: 'packet identifier in use',
  0x93: 'receive maximum exceeded',
  0x95: 'packet too large',
  0x97: 'quota exceeded',
  0x99: 'payload format invalid',
  0x9a: 'retain not supported',
  0x9b: 'QoS not supported',
  0x9c: 'use another server',
  0x9d: 'server moved',
  0x9e: 'shared subscriptions not supported',
  0x9f: 'connection rate exceeded',
  0xa1: 'subscription identifiers not supported',
  0xa2: 'wildcard subscriptions not supported',
};

/** A human phrase for a v5 reason code (or `reason code 0xNN` when unknown). */
export function reasonText(code: number): string {
  return V5_REASONS[code] ?? `reason code 0x${code.toString(16).padStart(2, '0')}`;
}

/** `Connection refused: not authorised.` and friends, for a CONNACK code of the given protocol version. */
export function connackMessage(code: number, version: ProtocolVersion): string {
  const text = version === 5 ? reasonText(code) : (V4_REFUSALS[code] ?? `unknown return code ${code}`);
  return `Connection refused: ${text}.`;
}

/** Refusals that may go away by themselves, so reconnecting is worth it; the others (auth, id) will not. */
export function isTransientRefusal(code: number, version: ProtocolVersion): boolean {
  return version === 5 ? code === 0x88 || code === 0x89 || code === 0x9f : code === 3;
}
