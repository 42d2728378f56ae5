import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MidgeError } from '../../src/errors.js';
import { startListener, type Listener } from '../../src/broker/listeners.js';
import { echoServer, listenerConfig, makeCerts, readBytes, waitFor, type TestCerts } from './helpers.js';

let certs: TestCerts;
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => certs.cleanup());

const open: Listener[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((l) => l.close()));
});

function tlsConfig(overrides = {}) {
  return listenerConfig({
    ssl: true,
    certfile: certs.serverCert,
    keyfile: certs.serverKey,
    ...overrides,
  });
}

function connect(port: number, options: tls.ConnectionOptions = {}): tls.TLSSocket {
  return tls.connect({ host: '127.0.0.1', port, ca: readFileSync(certs.ca), ...options });
}

/** Whether the exchange of `bytes` succeeds (true) or the server drops the client (false). */
async function exchange(client: tls.TLSSocket, bytes: Buffer): Promise<boolean> {
  client.on('error', () => {});
  client.write(bytes);
  return readBytes(client, bytes.length).then(
    (got) => got.equals(bytes),
    () => false,
  );
}

describe('tls listener', () => {
  it('hands each TLS connection over as a Duplex: bytes flow both ways', async () => {
    const echo = echoServer();
    const listener = await startListener(tlsConfig(), echo.onConnection);
    open.push(listener);
    const client = connect(listener.address().port);
    await once(client, 'secureConnect');
    const bytes = Buffer.from([0x10, 0x02, 0x00, 0x00]);
    client.write(bytes);
    expect(await readBytes(client, 4)).toEqual(bytes);
    expect(echo.bytes()).toEqual(bytes);
    expect(echo.infos[0]).toMatchObject({ listener: 'test', remoteAddress: '127.0.0.1', secure: true });
    client.destroy();
  });

  it('require_certificate refuses a client without a certificate', async () => {
    const echo = echoServer();
    const warnings: object[] = [];
    const listener = await startListener(
      tlsConfig({ cafile: certs.ca, require_certificate: true }),
      echo.onConnection,
      { warn: (obj) => warnings.push(obj) },
    );
    open.push(listener);
    const client = connect(listener.address().port);
    expect(await exchange(client, Buffer.from([0xc0, 0x00]))).toBe(false);
    expect(echo.infos).toHaveLength(0);
    await waitFor(() => warnings.length > 0, 'the handshake failure to be logged');
    expect(warnings[0]).toMatchObject({ listener: 'test' });
  });

  it('require_certificate refuses a certificate from an untrusted CA', async () => {
    const echo = echoServer();
    const listener = await startListener(tlsConfig({ cafile: certs.ca, require_certificate: true }), echo.onConnection);
    open.push(listener);
    const client = connect(listener.address().port, {
      cert: readFileSync(certs.rogueCert),
      key: readFileSync(certs.rogueKey),
    });
    expect(await exchange(client, Buffer.from([0xc0, 0x00]))).toBe(false);
    expect(echo.infos).toHaveLength(0);
  });

  it('require_certificate accepts a client certificate signed by cafile', async () => {
    const echo = echoServer();
    const listener = await startListener(tlsConfig({ cafile: certs.ca, require_certificate: true }), echo.onConnection);
    open.push(listener);
    const client = connect(listener.address().port, {
      cert: readFileSync(certs.clientCert),
      key: readFileSync(certs.clientKey),
    });
    expect(await exchange(client, Buffer.from([0xc0, 0x00]))).toBe(true);
    expect(echo.infos).toHaveLength(1);
    client.destroy();
  });

  it('capath: trusts every *.pem / *.crt of the folder', async () => {
    const echo = echoServer();
    const listener = await startListener(
      tlsConfig({ capath: certs.caDir, require_certificate: true }),
      echo.onConnection,
    );
    open.push(listener);
    const good = connect(listener.address().port, {
      cert: readFileSync(certs.clientCert),
      key: readFileSync(certs.clientKey),
    });
    expect(await exchange(good, Buffer.from([0xc0, 0x00]))).toBe(true);
    good.destroy();
    const bad = connect(listener.address().port);
    expect(await exchange(bad, Buffer.from([0xc0, 0x00]))).toBe(false);
  });

  it('max_connections counts TCP connections before the handshake and refuses the excess', async () => {
    const echo = echoServer();
    const listener = await startListener(tlsConfig({ max_connections: 1 }), echo.onConnection);
    open.push(listener);
    const first = connect(listener.address().port);
    expect(await exchange(first, Buffer.from([0xc0, 0x00]))).toBe(true);
    const second = connect(listener.address().port);
    expect(await exchange(second, Buffer.from([0xc0, 0x00]))).toBe(false);
    expect(echo.infos).toHaveLength(1);
    expect(await exchange(first, Buffer.from([0xc0, 0x01]))).toBe(true);
    first.destroy();
  });

  it('fails to start with LISTENER_TLS when a certificate file is missing or unset', async () => {
    const missing = await startListener(tlsConfig({ certfile: '/nonexistent/cert.pem' }), () => {}).catch(
      (e: unknown) => e,
    );
    expect(missing).toBeInstanceOf(MidgeError);
    expect((missing as MidgeError).code).toBe('LISTENER_TLS');
    expect((missing as MidgeError).message).toBe(
      "listener test: certfile: cannot read /nonexistent/cert.pem: ENOENT: no such file or directory: check certfile's path (a relative path starts at the config file's folder)",
    );
    const unset = await startListener(listenerConfig({ ssl: true, keyfile: certs.serverKey }), () => {}).catch(
      (e: unknown) => e,
    );
    expect((unset as MidgeError).message).toMatch(/^listener test: certfile: is not set while ssl is on: set certfile/);
  });

  it("fails to start naming the listener, the file and the fix, not OpenSSL, when the key is not the certificate's", async () => {
    const err = await startListener(tlsConfig({ keyfile: certs.clientKey }), () => {}).catch((e: unknown) => e);
    expect((err as MidgeError).code).toBe('LISTENER_TLS');
    expect((err as MidgeError).message).toBe(
      `listener test: keyfile: ${certs.clientKey} is not the private key of the certificate in ${certs.serverCert} (certfile): set keyfile to the key the certificate was issued for, or certfile to the certificate of this key`,
    );
    expect((err as MidgeError).message).not.toMatch(/error:|routines/);
  });
});
