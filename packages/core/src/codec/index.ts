export * from './packets.js';
export * from './errors.js';
export { PacketDecoder, decodePacket, DEFAULT_MAX_PACKET_SIZE } from './decoder.js';
export type { PacketDecoderOptions } from './decoder.js';
export { encodedLength, encodeInto, encodePacket } from './encoder.js';
export { encodePublishOnce, withPacketId, stampPacketId } from './fanout.js';
export type { EncodedPublish } from './fanout.js';
export {
  ReasonCode,
  ConnackReturnCode,
  SubackReturnCode,
  isKnownReasonCode,
  isReasonCodeAllowed,
  toDisconnectReasonCode,
} from './reason-codes.js';
export { PROPERTIES, propertyById, propertyByName } from './properties.js';
export type { PropertyDefinition, PropertyWireType, PropertyCarrier } from './properties.js';
export { MAX_VARINT } from './varint.js';
