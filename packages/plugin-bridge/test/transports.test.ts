/**
 * The bridge over TLS (the remote verified against `ca`, the bridge presenting `cert`/`key` to a remote
 * that requires a client certificate) and over WebSocket.
 */
import { rmSync } from 'node:fs';
import { createTestBroker, type TestBroker } from '@midge/mqtt-core/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeCerts } from './certs.js';
import { bridgeState, endClients, publisher, startEdge, subscriber, waitFor } from './helpers.js';

const certs = makeCerts();
afterAll(() => rmSync(certs.dir, { recursive: true, force: true }));

let edge: TestBroker | undefined;
let remote: TestBroker | undefined;
afterEach(async () => {
  await endClients();
  await edge?.close();
  await remote?.close();
  edge = remote = undefined;
});

/** Bridges an edge to `url` (out: `t/#`), waits until connected, sends one QoS 1 message: what arrived. */
async function bridgeAndCross(r: TestBroker, url: string, extra: Record<string, unknown>): Promise<string[]> {
  edge = await startEdge({
    cloud: { url, reconnect_delay_min: 0.05, topics: [{ filter: 't/#', direction: 'out', qos: 1 }], ...extra },
  });
  const e = edge;
  await waitFor(() => bridgeState(e, 'cloud') === 'connected', 'the bridge to connect');
  const at = await subscriber(r.url, ['t/#']);
  await (await publisher(e.url)).publish('t/1', 'secure', { qos: 1 });
  await waitFor(() => at.messages.length === 1, 'the message at the remote');
  return at.messages.map((m) => m.payload.toString());
}

describe('bridge transports', () => {
  it('mqtts with a CA and a client certificate', async () => {
    remote = await createTestBroker({
      listeners: {
        default: { type: 'tcp', bind: '127.0.0.1:0' },
        secure: {
          type: 'tcp',
          bind: '127.0.0.1:0',
          ssl: true,
          certfile: certs.serverCert,
          keyfile: certs.serverKey,
          cafile: certs.ca,
          require_certificate: true,
        },
      },
    });
    const port = remote.broker.listeners().find((l) => l.name === 'secure')?.port;
    const got = await bridgeAndCross(remote, `mqtts://127.0.0.1:${String(port)}`, {
      ca: certs.ca,
      cert: certs.clientCert,
      key: certs.clientKey,
    });
    expect(got).toEqual(['secure']);
  });

  it('mqtts refuses a remote whose certificate the CA did not sign: the bridge stays disconnected', async () => {
    const other = makeCerts();
    try {
      remote = await createTestBroker({
        listeners: {
          default: { type: 'tcp', bind: '127.0.0.1:0' },
          secure: { type: 'tcp', bind: '127.0.0.1:0', ssl: true, certfile: certs.serverCert, keyfile: certs.serverKey },
        },
      });
      const port = remote.broker.listeners().find((l) => l.name === 'secure')?.port;
      edge = await startEdge({
        cloud: {
          url: `mqtts://127.0.0.1:${String(port)}`,
          ca: other.ca,
          reconnect_delay_min: 0.05,
          topics: [{ filter: 't/#' }],
        },
      });
      await new Promise((r) => setTimeout(r, 500));
      expect(bridgeState(edge, 'cloud')).toBe('disconnected');
      expect(remote.broker.api.connectedClients()).toEqual([]);
    } finally {
      rmSync(other.dir, { recursive: true, force: true });
    }
  });

  it('ws', async () => {
    remote = await createTestBroker({
      listeners: {
        default: { type: 'tcp', bind: '127.0.0.1:0' },
        web: { type: 'ws', bind: '127.0.0.1:0' },
      },
    });
    const port = remote.broker.listeners().find((l) => l.name === 'web')?.port;
    expect(await bridgeAndCross(remote, `ws://127.0.0.1:${String(port)}/`, {})).toEqual(['secure']);
  });
});
