import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { ListenerConfig } from '../../src/config/types.js';
import type { ConnectionInfo } from '../../src/broker/listeners.js';

export function listenerConfig(overrides: Partial<ListenerConfig> = {}): ListenerConfig {
  return {
    name: 'test',
    type: 'tcp',
    bind: '127.0.0.1:0',
    host: '127.0.0.1',
    port: 0,
    max_connections: 0,
    ssl: false,
    require_certificate: false,
    use_identity_as_username: false,
    ...overrides,
  };
}

/** An onConnection handler that records what the listener hands over and echoes every byte back. */
export function echoServer() {
  const infos: ConnectionInfo[] = [];
  const streams: Duplex[] = [];
  const received: Buffer[] = [];
  const state = { closed: 0 };
  const onConnection = (stream: Duplex, info: ConnectionInfo): void => {
    infos.push(info);
    streams.push(stream);
    stream.on('close', () => state.closed++);
    stream.on('data', (chunk: Buffer) => {
      received.push(chunk);
      stream.write(chunk);
    });
  };
  return {
    onConnection,
    infos,
    streams,
    received,
    bytes: () => Buffer.concat(received),
    /** How many handed-over streams emitted 'close'. */
    closed: () => state.closed,
  };
}

/** Resolves with exactly `n` bytes read from a byte stream (data events), or rejects on close. */
export function readBytes(stream: NodeJS.EventEmitter, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= n) {
        cleanup();
        resolve(Buffer.concat(chunks).subarray(0, n));
      }
    };
    const onClose = () => {
      cleanup();
      reject(new Error(`closed after ${total} of ${n} bytes`));
    };
    const cleanup = () => {
      stream.off('data', onData);
      stream.off('message', onData);
      stream.off('close', onClose);
    };
    // net/tls sockets emit 'data'; ws WebSockets emit 'message'.
    stream.on('data', onData);
    stream.on('message', onData);
    stream.on('close', onClose);
  });
}

/** Polls `predicate` until it holds (listener counters change on socket close, asynchronously). */
export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export interface TestCerts {
  dir: string;
  ca: string;
  /** A folder holding only the CA certificate, for `capath`. */
  caDir: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A client certificate signed by a CA the server does not trust. */
  rogueCert: string;
  rogueKey: string;
  cleanup(): void;
  /** CN san-client, SANs DNS:device-7.example, email:dev7@example.com, URI:spiffe://midge/dev7. */
  readonly sanClientCert: string;
  readonly sanClientKey: string;
}

/**
 * A throwaway CA, a server certificate for 127.0.0.1 and client certificates, generated with the
 * openssl CLI into a temp dir, so no key is ever committed.
 */
export function makeCerts(): TestCerts {
  const dir = mkdtempSync(path.join(tmpdir(), 'midge-tls-'));
  const p = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('/usr/bin/openssl', args, { cwd: dir, stdio: 'pipe' });
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

  const makeCa = (name: string, cn: string) =>
    openssl(
      'req',
      '-x509',
      ...ecKey,
      '-keyout',
      p(`${name}.key`),
      '-out',
      p(`${name}.pem`),
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
  const makeLeaf = (name: string, ca: string, cn: string, ext: string) => {
    writeFileSync(p(`${name}.ext`), ext);
    openssl('req', ...ecKey, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=${cn}`);
    openssl(
      'x509',
      '-req',
      '-in',
      p(`${name}.csr`),
      '-CA',
      p(`${ca}.pem`),
      '-CAkey',
      p(`${ca}.key`),
      '-CAcreateserial',
      '-out',
      p(`${name}.pem`),
      '-days',
      '2',
      '-extfile',
      p(`${name}.ext`),
    );
  };

  makeCa('ca', 'Midge Test CA');
  makeCa('rogue-ca', 'Rogue CA');
  makeLeaf('server', 'ca', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  makeLeaf('client', 'ca', 'client1', 'extendedKeyUsage=clientAuth\n');
  makeLeaf('rogue', 'rogue-ca', 'rogue', 'extendedKeyUsage=clientAuth\n');
  makeLeaf(
    'san-client',
    'ca',
    'san-client',
    'extendedKeyUsage=clientAuth\nsubjectAltName=DNS:device-7.example,email:dev7@example.com,URI:spiffe://midge/dev7\n',
  );

  const caDir = p('capath');
  mkdirSync(caDir);
  copyFileSync(p('ca.pem'), path.join(caDir, 'test-ca.crt'));

  return {
    dir,
    ca: p('ca.pem'),
    caDir,
    serverCert: p('server.pem'),
    serverKey: p('server.key'),
    clientCert: p('client.pem'),
    clientKey: p('client.key'),
    rogueCert: p('rogue.pem'),
    rogueKey: p('rogue.key'),
    sanClientCert: p('san-client.pem'),
    sanClientKey: p('san-client.key'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
