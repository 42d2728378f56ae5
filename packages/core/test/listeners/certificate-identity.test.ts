/**
 * Client certificates as identity (issue 16): a listener with `use_identity_as_username` takes the username
 * from the verified client certificate (CN or a SAN), authenticates the client by it, and the topic rules
 * then judge that username as anyone's.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Packet } from '../../src/codec/packets.js';
import { allow, definePlugin, deny } from '../../src/plugin-api/index.js';
import type { ClientInfo } from '../../src/plugin-api/types.js';
import { createTestBroker, RawClient, type TestBroker } from '../../src/testing/index.js';
import { loadConfig } from '../../src/config/load.js';
import { makeCerts, type TestCerts } from './helpers.js';

let certs: TestCerts;
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.cleanup());

let tb: TestBroker | undefined;
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await tb?.close();
  tb = undefined;
});

/** Password checks refuse everyone; topics: a client may publish under its own username only. */
function rules(seen: ClientInfo[]) {
  return definePlugin({
    name: 'rules',
    apiVersion: 1,
    setup: () => ({
      authenticate: () => deny('no passwords here'),
      authorizeClient: ({ client }) => {
        seen.push(client);
        return allow;
      },
      authorizeTopic: ({ client, action, topic }) =>
        action !== 'publish' || topic.startsWith(`devices/${client.username ?? '-'}/`) ? allow : deny(),
    }),
  });
}

async function start(identity: unknown, seen: ClientInfo[]): Promise<number> {
  tb = await createTestBroker(
    {
      listeners: {
        default: {
          bind: '127.0.0.1:0',
          ssl: true,
          certfile: certs.serverCert,
          keyfile: certs.serverKey,
          cafile: certs.ca,
          require_certificate: true,
          use_identity_as_username: identity,
        },
      },
    },
    { plugins: [rules(seen)] },
  );
  return tb.port;
}

async function mtls(port: number, cert: string, key: string): Promise<RawClient> {
  const c = await RawClient.connectTls(port, {
    ca: readFileSync(certs.ca),
    cert: readFileSync(cert),
    key: readFileSync(key),
  });
  clients.push(c);
  return c;
}

const publish = (topic: string, packetId: number): Packet => ({
  type: 'publish',
  topic,
  payload: Buffer.from('x'),
  qos: 1,
  retain: false,
  dup: false,
  packetId,
});

describe('use_identity_as_username', () => {
  it('names the client by its certificate CN, admits it without a password check, and ACLs judge that name', async () => {
    const seen: ClientInfo[] = [];
    const port = await start(true, seen);
    const c = await mtls(port, certs.clientCert, certs.clientKey);
    // The CONNECT's username is not the one used; no password is asked for.
    const ack = await c.connect({ clientId: 'd1', username: 'admin', protocolVersion: 5 });
    expect(ack.reasonCode).toBe(0);
    expect(seen.map((s) => s.username)).toEqual(['client1']);
    c.send(publish('devices/client1/t', 1), 5);
    // 0x10 No matching subscribers: accepted.
    expect((await c.expectPacket('puback')).reasonCode ?? 0).toBeLessThan(0x80);
    c.send(publish('devices/admin/t', 2), 5);
    expect((await c.expectPacket('puback')).reasonCode).toBe(0x87);
  });

  it.each([
    ['san:dns', 'device-7.example'],
    ['san:email', 'dev7@example.com'],
    ['san:uri', 'spiffe://midge/dev7'],
  ])('%s takes the first SAN of that kind', async (field, username) => {
    const seen: ClientInfo[] = [];
    const port = await start(field, seen);
    const c = await mtls(port, certs.sanClientCert, certs.sanClientKey);
    expect((await c.connect({ clientId: 'd2' })).reasonCode).toBe(0);
    expect(seen.map((s) => s.username)).toEqual([username]);
  });

  it('refuses a certificate without the field (v3: return code 4, v5: 0x86)', async () => {
    const seen: ClientInfo[] = [];
    const port = await start('san:email', seen);
    const v4 = await mtls(port, certs.clientCert, certs.clientKey);
    expect((await v4.connect({ clientId: 'no-san' })).reasonCode).toBe(4);
    const v5 = await mtls(port, certs.clientCert, certs.clientKey);
    expect((await v5.connect({ clientId: 'no-san-5', protocolVersion: 5 })).reasonCode).toBe(0x86);
    expect(seen).toEqual([]);
  });

  it('is a config error without require_certificate, and an unknown field is named', async () => {
    const tlsFiles = { ssl: true, certfile: certs.serverCert, keyfile: certs.serverKey };
    await expect(
      loadConfig({ listeners: { default: { ...tlsFiles, use_identity_as_username: true } }, plugins: {} }),
    ).rejects.toThrow(/listeners\.default\.use_identity_as_username: needs ssl: true and require_certificate: true/);
    await expect(
      loadConfig({
        listeners: {
          default: { ...tlsFiles, cafile: certs.ca, require_certificate: true, use_identity_as_username: 'ou' },
        },
        plugins: {},
      }),
    ).rejects.toThrow(/use_identity_as_username.*'cn', 'san:dns', 'san:email', 'san:uri'/);
    const { config } = await loadConfig({
      listeners: {
        default: { ...tlsFiles, cafile: certs.ca, require_certificate: true, use_identity_as_username: true },
      },
      plugins: {},
    });
    expect(config.listeners['default']?.use_identity_as_username).toBe('cn');
  });
});
