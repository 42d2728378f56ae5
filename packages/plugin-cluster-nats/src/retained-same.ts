/**
 * Whether a node's retained message is the value a record of the retained stream carries, so that
 * reading the stream again (at start, after an outage) rewrites nothing that did not change. Properties
 * are compared as the wire carries them (encoded), so two spellings of one value (an absent property, an
 * undefined one) count as the same; a false "different" only costs one write.
 */
import type { Message, RetainedMessage } from '@midge/mqtt-core';
import { encodeClusterMessage } from './wire.js';

export function sameRetained(
  local: RetainedMessage | undefined,
  record: Message,
  expiresAt: number | undefined,
): boolean {
  if (local === undefined) return false;
  if (local.qos !== record.qos || local.expiresAt !== expiresAt || !local.payload.equals(record.payload)) return false;
  if (local.properties === undefined && record.properties === undefined) return true;
  try {
    const a = encodeClusterMessage({ ...local, retain: true }, '');
    const b = encodeClusterMessage({ ...record, retain: true }, '');
    return a.equals(b);
  } catch {
    return false;
  }
}
