import { testClientInfo } from '@midge/mqtt-core/testing';
import { describe, expect, it } from 'vitest';
import { ConnectedClients } from './clients.js';

describe('connected clients', () => {
  it('lists clients sorted by id, filtered and paged, and counts them by listener', () => {
    const clients = new ConnectedClients();
    const b = testClientInfo('u1', { clientId: 'sensor-b', listener: 'default' });
    const a = testClientInfo('u2', { clientId: 'sensor-a', listener: 'ws' });
    const c = testClientInfo('u1', { clientId: 'app-1', listener: 'default' });
    clients.connected(b, Date.UTC(2026, 0, 1));
    clients.connected(a);
    clients.connected(c);
    expect(clients.list({ limit: 10, offset: 0 }).clients.map((r) => r.clientId)).toEqual([
      'app-1',
      'sensor-a',
      'sensor-b',
    ]);
    const page = clients.list({ limit: 1, offset: 1, prefix: 'sensor-' });
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
    expect(clients.list({ limit: 10, offset: 0, username: 'u1', listener: 'default' }).total).toBe(2);
    expect(clients.list({ limit: 10, offset: 0, listener: 'ws' }).clients.map((r) => r.clientId)).toEqual(['sensor-a']);
    expect(Object.fromEntries(clients.byListener())).toEqual({ default: 2, ws: 1 });
  });

  it('removes only the connection that closed when a client id is taken over', () => {
    const clients = new ConnectedClients();
    const old = testClientInfo(undefined, { clientId: 'x' });
    const taker = testClientInfo(undefined, { clientId: 'x' });
    clients.connected(old);
    clients.connected(taker);
    clients.disconnected(old);
    clients.disconnected(old);
    expect(clients.size).toBe(1);
    expect(Object.fromEntries(clients.byListener())).toEqual({ [taker.listener]: 1 });
    clients.disconnected(taker);
    expect(clients.size).toBe(0);
    expect(clients.byListener().size).toBe(0);
  });
});
