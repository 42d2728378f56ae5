import type { BrokerStats } from '../plugin-api/types.js';
import { refusalName } from './connect-refusals.js';
import { LatencyProbe } from './latency-probe.js';

/**
 * Exact counters since start. Plain mutable fields so the hot path increments a property and
 * nothing else; `snapshot()` copies them into the frozen `BrokerStats` shape plugins see.
 */
export class StatsCounter {
  bytesReceived = 0;
  bytesSent = 0;
  packetsReceived = 0;
  packetsSent = 0;
  messagesReceived = 0;
  messagesSent = 0;
  publishReceived = 0;
  publishSent = 0;
  /** messagesReceived by the publisher's QoS (index = QoS). */
  readonly receivedByQos: [number, number, number] = [0, 0, 0];
  /** messagesSent by the delivery's QoS (index = QoS). */
  readonly sentByQos: [number, number, number] = [0, 0, 0];
  clientsConnected = 0;
  clientsDisconnected = 0;
  clientsMaximum = 0;
  clientsTotal = 0;
  inflightIn = 0;
  inflightOut = 0;
  messagesStored = 0;
  retainedCount = 0;
  subscriptionCount = 0;
  readonly dropped: Record<string, number> = {};
  /** CONNECTs refused with a CONNACK, by refusalName. */
  readonly connectRefused: Record<string, number> = {};
  /** Times each limit was hit (LimitReporter counts here). */
  readonly limitsHit: Record<string, number> = {};
  /** Exceptions caught on one connection (the connection was closed, the broker went on). */
  connectionErrors = 0;
  /** Bytes held now by connections without CONNACK, together (a gauge for max_unauthenticated_bytes). */
  unauthenticatedBytes = 0;
  startedAt = Date.now();
  /** Sampled publish-to-delivery latency. */
  readonly latency = new LatencyProbe();

  drop(reason: string, count = 1): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + count;
  }

  /** A CONNACK refused a CONNECT with `code`. */
  connectRefusedWith(code: number): void {
    const name = refusalName(code);
    this.connectRefused[name] = (this.connectRefused[name] ?? 0) + 1;
  }

  clientConnected(): void {
    this.clientsConnected++;
    this.clientsTotal++;
    if (this.clientsConnected > this.clientsMaximum) this.clientsMaximum = this.clientsConnected;
  }

  clientDisconnected(): void {
    this.clientsConnected--;
    this.clientsDisconnected++;
  }

  snapshot(): BrokerStats {
    return Object.freeze({
      bytesReceived: this.bytesReceived,
      bytesSent: this.bytesSent,
      packetsReceived: this.packetsReceived,
      packetsSent: this.packetsSent,
      messagesReceived: this.messagesReceived,
      messagesSent: this.messagesSent,
      publishReceived: this.publishReceived,
      publishSent: this.publishSent,
      messagesReceivedByQos: Object.freeze([...this.receivedByQos]) as unknown as readonly [number, number, number],
      messagesSentByQos: Object.freeze([...this.sentByQos]) as unknown as readonly [number, number, number],
      clientsConnected: this.clientsConnected,
      clientsDisconnected: this.clientsDisconnected,
      clientsMaximum: this.clientsMaximum,
      clientsTotal: this.clientsTotal,
      connectRefused: Object.freeze({ ...this.connectRefused }),
      inflightIn: this.inflightIn,
      inflightOut: this.inflightOut,
      messagesStored: this.messagesStored,
      retainedCount: this.retainedCount,
      subscriptionCount: this.subscriptionCount,
      dropped: Object.freeze({ ...this.dropped }),
      limitsHit: Object.freeze({ ...this.limitsHit }),
      connectionErrors: this.connectionErrors,
      startedAt: this.startedAt,
    });
  }
}
