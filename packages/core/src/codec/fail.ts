import { CodecError, CodecErrorCode } from './errors.js';

// Throwing helpers keep the decode paths to one line per rule and give every failure the same shape.

export function malformed(message: string, specRule = ''): never {
  throw new CodecError(CodecErrorCode.malformed, message, 0x81, specRule);
}

export function protocolError(message: string, specRule = ''): never {
  throw new CodecError(CodecErrorCode.protocol, message, 0x82, specRule);
}

export function tooLarge(message: string, specRule = ''): never {
  throw new CodecError(CodecErrorCode.tooLarge, message, 0x95, specRule);
}

/**
 * CONNECT names another protocol (MQTT-3.1.2-1) or level (MQTT-3.1.2-2, `level` says which); v5 answers
 * 0x84, v3/v4 return code 1.
 */
export function unsupportedProtocol(message: string, specRule: 'MQTT-3.1.2-1' | 'MQTT-3.1.2-2', level?: number): never {
  throw new CodecError(CodecErrorCode.unsupportedProtocol, message, 0x84, specRule, level);
}

/** The encoder's input cannot be put on the wire; `reasonCode` is what a peer would answer to such bytes. */
export function unencodable(message: string, reasonCode = 0x81, specRule = ''): never {
  throw new CodecError(CodecErrorCode.unencodable, message, reasonCode, specRule);
}

/** A Topic Alias the receiver cannot accept: 0 [MQTT-3.3.2-8] or above its maximum (v5 reason code 0x94, Topic Alias invalid). */
export function topicAliasInvalid(message: string, specRule = ''): never {
  throw new CodecError(CodecErrorCode.protocol, message, 0x94, specRule);
}

/** A PUBLISH topic name that parses but cannot name a topic (v5 reason code 0x90, Topic Name invalid). */
export function topicNameInvalid(message: string, specRule = ''): never {
  throw new CodecError(CodecErrorCode.protocol, message, 0x90, specRule);
}
