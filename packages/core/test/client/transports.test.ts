import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/client/index.js';
import type { Logger } from '../../src/plugin-api/types.js';
import { createTestBroker, type TestBroker } from '../../src/testing/index.js';
import { makeCerts, type TestCerts } from '../listeners/helpers.js';
import { collect } from './helpers.js';

let certs: TestCerts;
let tb: TestBroker;
let wsPort: number;
let tlsPort: number;
let wssPort: number;

beforeAll(async () => {
  certs = makeCerts();
  const tls = { ssl: true, certfile: certs.serverCert, keyfile: certs.serverKey };
  tb = await createTestBroker({
    listeners: {
      default: { type: 'tcp', bind: '127.0.0.1:0' },
      ws: { type: 'ws', bind: '127.0.0.1:0' },
      tls: { type: 'tcp', bind: '127.0.0.1:0', ...tls },
      wss: { type: 'ws', bind: '127.0.0.1:0', ...tls },
    },
  });
  const port = (name: string) => tb.broker.listeners().find((l) => l.name === name)?.port as number;
  wsPort = port('ws');
  tlsPort = port('tls');
  wssPort = port('wss');
});
afterAll(async () => {
  await tb.close();
  certs.cleanup();
});

/** Connects with `url`/options, round-trips a QoS 1 message through the TCP listener, ends. */
async function roundTrip(url: string, options: Parameters<typeof connect>[1] = {}): Promise<void> {
  const c = await connect(url, options);
  try {
    await c.subscribe('t/#', { qos: 1 });
    const got = collect(c, 1);
    const pub = await connect(tb.url);
    await pub.publish('t/x', url, { qos: 1 });
    await pub.end();
    expect((await got)[0]?.payload.toString()).toBe(url);
  } finally {
    await c.end();
  }
}

describe('transports', () => {
  it('ws:// with the subprotocol mqtt and a path', async () => {
    await roundTrip(`ws://127.0.0.1:${wsPort}/mqtt`);
  });

  it('mqtts:// verifying the server with a CA file', async () => {
    await roundTrip(`mqtts://127.0.0.1:${tlsPort}`, { ca: certs.ca });
  });

  it('wss:// with the CA as a buffer', async () => {
    await roundTrip(`wss://127.0.0.1:${wssPort}/`, { ca: readFileSync(certs.ca) });
  });

  it('mqtts:// rejects an unknown CA unless rejectUnauthorized is false', async () => {
    await expect(connect(`mqtts://127.0.0.1:${tlsPort}`)).rejects.toMatchObject({ code: 'CLIENT_NETWORK' });
    await roundTrip(`mqtts://127.0.0.1:${tlsPort}`, { rejectUnauthorized: false });
  });

  it('checks the host name unless insecure', async () => {
    // The certificate is for 127.0.0.1, not localhost.
    const url = `mqtts://localhost:${tlsPort}`;
    await expect(connect(url, { ca: certs.ca, connectTimeout: 3 })).rejects.toThrow(/localhost|altnames|IP/i);
    await roundTrip(url, { ca: certs.ca, insecure: true });
  });
});

describe('client plugins from config', () => {
  it('loads the default packet logger by package name and logs packets at debug level', async () => {
    const records: { msg: string; direction?: string }[] = [];
    const log = (obj: object | string, msg?: string) =>
      void records.push(typeof obj === 'string' ? { msg: obj } : { ...obj, msg: msg ?? '' });
    const logger: Logger = {
      trace: log,
      debug: log,
      info: log,
      warn: log,
      error: log,
      fatal: log,
      isLevelEnabled: () => true,
      child: () => logger,
    };
    // The CLI depends on @midge/plugin-logging, so the package resolves from its folder.
    const cliDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../apps/broker-cli');
    const c = await connect(tb.url, { logger, searchDirs: [cliDir] });
    await c.publish('p', 'x', { qos: 1 });
    await c.end();
    expect(records.map((r) => r.msg)).toEqual(
      expect.arrayContaining(['-> connect', '<- connack', '-> publish', '<- puback']),
    );
  });

  it('goes on without the packet logger when it cannot be resolved', async () => {
    const c = await connect(tb.url, { searchDirs: ['/nonexistent'] });
    expect(c.connected).toBe(true);
    await c.end();
  });

  it('fails to connect when a configured plugin cannot be resolved', async () => {
    await expect(connect(tb.url, { plugins: { '@midge/no-such-plugin': null } })).rejects.toMatchObject({
      code: 'PLUGIN_NOT_FOUND',
    });
  });
});
