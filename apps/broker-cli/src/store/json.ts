/**
 * `midge store inspect --json`: the same data for programs. Times are ISO 8601 strings (UTC), `null` when
 * absent; intervals in seconds; sizes in bytes. A session's `username` is `null` for an anonymous owner and
 * missing when the record predates stored owners.
 */
import type {
  MessageSummary,
  SessionDetail,
  SessionSummary,
  StoreLocation,
  StoreReport,
  WillSummary,
} from './report.js';

export function reportJson(where: StoreLocation, report: StoreReport): string {
  return stringify({
    ...where,
    totals: report.totals,
    sessions: report.sessions.map(sessionJson),
    wills: report.wills.map(willJson),
    retained: report.retained.map(messageJson),
  });
}

function sessionJson(s: SessionSummary): Record<string, unknown> {
  return {
    clientId: s.clientId,
    ...(s.username !== undefined ? { username: s.username } : {}),
    protocolVersion: s.protocolVersion,
    disconnectedAt: time(s.disconnectedAt),
    expiryInterval: s.expiryInterval ?? null,
    subscriptions: s.subscriptions,
    queued: s.queued,
    inflight: s.inflight,
    inboundQos2: s.inboundQos2,
  };
}

export function sessionDetailJson(where: StoreLocation, detail: SessionDetail): string {
  return stringify({
    ...where,
    session: {
      ...sessionJson(detail.summary),
      subscriptions: detail.subscriptions.map((sub) => ({
        topic: sub.topic,
        qos: sub.qos,
        noLocal: sub.noLocal === true,
        retainAsPublished: sub.retainAsPublished === true,
        subscriptionId: sub.subscriptionId ?? null,
      })),
      queue: detail.queue.map((m) => ({ seq: m.seq, ...messageJson(m) })),
      inflight: detail.inflight.map((m) => ({ packetId: m.packetId, state: m.state, ...messageJson(m) })),
      inboundQos2: detail.inboundQos2,
      will: detail.will === undefined ? null : willJson(detail.will),
    },
  });
}

function messageJson(m: MessageSummary): Record<string, unknown> {
  return { topic: m.topic, qos: m.qos, retain: m.retain, payloadBytes: m.payloadBytes, expiresAt: time(m.expiresAt) };
}

function willJson(w: WillSummary): Record<string, unknown> {
  return {
    clientId: w.clientId,
    ...messageJson(w),
    delay: w.delay,
    publishAt: time(w.publishAt),
    username: w.username,
  };
}

function time(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

function stringify(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
