import type { BrokerStats, BrokerTimings, StoreStats } from './types.js';

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
  messagesReceivedByQos: Object.freeze<[number, number, number]>([0, 0, 0]),
  messagesSentByQos: Object.freeze<[number, number, number]>([0, 0, 0]),
  clientsConnected: 0,
  clientsDisconnected: 0,
  clientsMaximum: 0,
  clientsTotal: 0,
  connectRefused: Object.freeze({}),
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

/** No timing observed: what a stand-in broker API answers for `timings()`. */
export const ZERO_TIMINGS: BrokerTimings = Object.freeze({
  decisions: Object.freeze([]),
  deliveryLatency: Object.freeze({ bounds: Object.freeze([]), counts: Object.freeze([0]), sum: 0, count: 0 }),
  deliveryLatencySampleEvery: 1,
});

/** A store nothing was written to: what a stand-in broker API answers for `storeStats()`. */
export const ZERO_STORE_STATS: StoreStats = Object.freeze({
  kind: 'memory',
  writes: 0,
  writeFailures: 0,
  pendingWrites: 0,
  congested: false,
  failing: undefined,
});
