import type { ConnectedClient } from '@midge/mqtt-core';
import { testClientInfo } from '@midge/mqtt-core/testing';
import { describe, expect, it } from 'vitest';
import { clientPage, connectionsByListener } from './clients.js';

describe('connected clients', () => {
  it('lists clients sorted by id, filtered and paged, and counts them by listener', () => {
    const b = testClientInfo('u1', { clientId: 'sensor-b', listener: 'default' });
    const a = testClientInfo('u2', { clientId: 'sensor-a', listener: 'ws' });
    const c = testClientInfo('u1', { clientId: 'app-1', listener: 'default' });
    const connected: ConnectedClient[] = [
      { client: b, connectedAt: Date.UTC(2026, 0, 1) },
      { client: a, connectedAt: Date.now() },
      { client: c, connectedAt: Date.now() },
    ];
    expect(clientPage(connected, { limit: 10, offset: 0 }).clients.map((r) => r.clientId)).toEqual([
      'app-1',
      'sensor-a',
      'sensor-b',
    ]);
    const page = clientPage(connected, { limit: 1, offset: 1, prefix: 'sensor-' });
    expect(page).toMatchObject({ total: 2, offset: 1, limit: 1 });
    expect(page.clients).toEqual([
      {
        clientId: 'sensor-b',
        username: 'u1',
        listener: 'default',
        remoteAddress: b.remoteAddress,
        remotePort: b.remotePort,
        protocolVersion: b.protocolVersion,
        secure: b.secure,
        connectedAt: '2026-01-01T00:00:00.000Z',
      },
    ]);
    expect(clientPage(connected, { limit: 10, offset: 0, username: 'u1', listener: 'default' }).total).toBe(2);
    expect(clientPage(connected, { limit: 10, offset: 0, listener: 'ws' }).clients.map((r) => r.clientId)).toEqual([
      'sensor-a',
    ]);
    expect(Object.fromEntries(connectionsByListener(connected))).toEqual({ default: 2, ws: 1 });
    expect(connectionsByListener([]).size).toBe(0);
  });
});
