/**
 * Buffer methods Node has on every Buffer but @types/node does not declare. They skip the
 * encoding-name dispatch of `toString`/`write`, which matters for the short strings MQTT carries.
 */
interface BufferInternals {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
  latin1Write(string: string, offset: number, length?: number): number;
  utf8Write(string: string, offset: number, length?: number): number;
}

export function internals(buffer: Buffer): BufferInternals {
  return buffer as unknown as BufferInternals;
}
