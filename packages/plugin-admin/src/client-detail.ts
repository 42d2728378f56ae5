/** One client's session as the admin API shows it (`GET /api/v1/clients/{id}`): JSON-ready, times as ISO 8601. */
import type { ClientDetail } from '@midge/mqtt-core';

export function clientDetailRow(d: ClientDetail): Record<string, unknown> {
  return {
    clientId: d.clientId,
    username: d.username ?? null,
    connected: d.connected,
    persistent: d.persistent,
    clean: d.clean,
    protocolVersion: d.protocolVersion,
    listener: d.listener,
    remoteAddress: d.remoteAddress,
    remotePort: d.remotePort,
    secure: d.secure,
    connectedAt: d.connectedAt === undefined ? null : new Date(d.connectedAt).toISOString(),
    expiryInterval: d.expiryInterval ?? null,
    subscriptions: d.subscriptionList.map((s) => ({
      filter: s.filter,
      qos: s.qos,
      noLocal: s.noLocal,
      retainAsPublished: s.retainAsPublished,
      subscriptionId: s.subscriptionId ?? null,
    })),
    queued: d.queued,
    queuedBytes: d.queuedBytes,
    inflight: d.inflight,
    inboundQos2: d.inboundQos2,
    pendingWill: d.pendingWill,
  };
}
