import type { BrokerStats } from './types.js';

/**
 * Every counter at zero: what a stand-in broker API answers (test contexts such as `fakePluginContext`),
 * so plugins reading stats never meet a missing field.
 */
export const ZERO_STATS: BrokerStats = Object.freeze({
  bytesReceived: 0,
  bytesSent: 0,
  packetsReceived: 0,
  packetsSent: 0,
  messagesReceived: 0,
  messagesSent: 0,
  publishReceived: 0,
  publishSent: 0,
  clientsConnected: 0,
  clientsDisconnected: 0,
  clientsMaximum: 0,
  clientsTotal: 0,
  inflightIn: 0,
  inflightOut: 0,
  messagesStored: 0,
  retainedCount: 0,
  subscriptionCount: 0,
  dropped: Object.freeze({}),
  limitsHit: Object.freeze({}),
  connectionErrors: 0,
  startedAt: 0,
});
