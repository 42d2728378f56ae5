/**
 * The error base of every Midge package, and the codec's error.
 *
 * MidgeError lives here because the codec is the bottom of the dependency graph and imports
 * nothing else; `src/errors.ts` re-exports it next to the broker's own errors. Its codes come from
 * the catalog beside it (error-codes.ts), so a code that is not listed there does not compile.
 */
import type { ErrorCode, ErrorCodeOf } from './error-codes.js';

export { ErrorCodes, isErrorCode } from './error-codes.js';
export type { ErrorClassName, ErrorCode, ErrorCodeInfo, ErrorCodeOf } from './error-codes.js';

/** The base of every error Midge throws: a permanent `code`, a message saying what to do, and `cause`. */
export class MidgeError extends Error {
  /** A permanent, greppable identifier such as `CODEC_MALFORMED` or `CONFIG_INVALID` (see `ErrorCodes`). */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MidgeError';
    this.code = code;
  }
}

/**
 * Raised for any byte sequence that is not a valid MQTT packet for the connection's protocol version.
 * The broker answers with `reasonCode` (CONNACK for a bad CONNECT, DISCONNECT for v5) and closes only
 * that connection.
 */
export class CodecError extends MidgeError {
  /** The MQTT 5 reason code for this failure (0x81 malformed, 0x82 protocol error, 0x95 too large, 0x84 unsupported version, ...). */
  readonly reasonCode: number;
  /** The normative statement violated, such as `MQTT-3.3.2-2`, or '' when the failure is not a numbered rule. */
  readonly specRule: string;
  /**
   * CONNECT with an unsupported level (CODEC_UNSUPPORTED_PROTOCOL): the level it named, so a server can
   * answer a level above 5 in the MQTT 5 CONNACK format (0x84) and an older one with return code 1.
   */
  readonly protocolLevel: number | undefined;

  constructor(
    code: ErrorCodeOf<'CodecError'>,
    message: string,
    reasonCode: number,
    specRule = '',
    protocolLevel?: number,
  ) {
    super(code, specRule ? `${message} [${specRule}]` : message);
    this.name = 'CodecError';
    this.reasonCode = reasonCode;
    this.specRule = specRule;
    this.protocolLevel = protocolLevel;
  }
}

/** The `code` values a CodecError carries. */
export const CodecErrorCode = {
  /** The bytes break the packet grammar (reason code 0x81). */
  malformed: 'CODEC_MALFORMED',
  /** The bytes parse but break a protocol rule (reason code 0x82). */
  protocol: 'CODEC_PROTOCOL',
  /** The packet is larger than the receiver's maximum packet size (reason code 0x95). */
  tooLarge: 'CODEC_TOO_LARGE',
  /** CONNECT names a protocol or level this codec does not speak (reason code 0x84). */
  unsupportedProtocol: 'CODEC_UNSUPPORTED_PROTOCOL',
  /** The encoder was handed a packet that cannot be put on the wire; reasonCode says what a peer would answer. */
  unencodable: 'CODEC_UNENCODABLE',
} as const;
export type CodecErrorCodeValue = (typeof CodecErrorCode)[keyof typeof CodecErrorCode];
