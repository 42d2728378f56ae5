import { execFileSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkTlsMaterial, loadTlsMaterial, type TlsMaterialResult } from '../../src/config/tls-material.js';
import type { ListenerConfig } from '../../src/config/types.js';
import { listenerConfig, makeCerts, type TestCerts } from '../listeners/helpers.js';

let certs: TestCerts;
/** Broken variants of the test certificates, next to them. */
let derCert: string;
let derKey: string;
let encryptedKey: string;
let garbage: string;
let emptyFolder: string;

beforeAll(async () => {
  certs = makeCerts();
  const openssl = (...args: string[]) => execFileSync('/usr/bin/openssl', args, { stdio: 'pipe' });
  derCert = join(certs.dir, 'server.der');
  derKey = join(certs.dir, 'server.key.der');
  encryptedKey = join(certs.dir, 'server.enc.key');
  garbage = join(certs.dir, 'garbage.pem');
  emptyFolder = join(certs.dir, 'no-cas');
  openssl('x509', '-in', certs.serverCert, '-outform', 'der', '-out', derCert);
  openssl('pkey', '-in', certs.serverKey, '-outform', 'der', '-out', derKey);
  openssl('pkey', '-in', certs.serverKey, '-aes256', '-passout', 'pass:secret', '-out', encryptedKey);
  await writeFile(garbage, 'this is not a certificate\n');
  await mkdir(emptyFolder);
});
afterAll(() => certs.cleanup());

function tlsListener(overrides: Partial<ListenerConfig> = {}): ListenerConfig {
  return listenerConfig({ ssl: true, certfile: certs.serverCert, keyfile: certs.serverKey, ...overrides });
}

function problems(result: TlsMaterialResult): string[] {
  return result.ok ? [] : result.problems.map((p) => `${p.key}: ${p.message}`);
}

describe('loadTlsMaterial', () => {
  it('reads a matching certificate and key, and the CA certificates of cafile and capath', async () => {
    const result = await loadTlsMaterial(tlsListener({ cafile: certs.ca, capath: certs.caDir }));
    expect(problems(result)).toEqual([]);
    if (!result.ok) return;
    expect(result.material.cert).toEqual(await readFile(certs.serverCert));
    expect(result.material.key).toEqual(await readFile(certs.serverKey));
    expect(result.material.ca).toHaveLength(2);
  });

  it('names the key file, the certificate file and the fix when they do not match', async () => {
    expect(problems(await loadTlsMaterial(tlsListener({ keyfile: certs.clientKey })))).toEqual([
      `keyfile: ${certs.clientKey} is not the private key of the certificate in ${certs.serverCert} (certfile): set keyfile to the key the certificate was issued for, or certfile to the certificate of this key`,
    ]);
  });

  it.each([
    [
      'a certificate that is not PEM at all',
      () => ({ certfile: garbage }),
      () =>
        `certfile: ${garbage} is not a PEM certificate (a file starting with -----BEGIN CERTIFICATE-----): set certfile to the server certificate's PEM file`,
    ],
    [
      'a DER certificate',
      () => ({ certfile: derCert }),
      () =>
        `certfile: ${derCert} is a DER (binary) certificate, TLS needs PEM: convert it with 'openssl x509 -inform der -in ${derCert} -out <file>.pem' and point certfile at the .pem`,
    ],
    [
      'certfile and keyfile swapped',
      () => ({ certfile: certs.serverKey, keyfile: certs.serverCert }),
      () => [
        `certfile: ${certs.serverKey} holds a private key, not a certificate: did you swap certfile and keyfile?`,
        `keyfile: ${certs.serverCert} holds a certificate, not a private key: did you swap certfile and keyfile?`,
      ],
    ],
    [
      'a key with a passphrase',
      () => ({ keyfile: encryptedKey }),
      () =>
        `keyfile: ${encryptedKey} is encrypted with a passphrase, which the broker cannot ask for: store it decrypted (openssl pkey -in ${encryptedKey} -out <new key file>), readable only by the broker's user`,
    ],
    [
      'a DER key',
      () => ({ keyfile: derKey }),
      () =>
        `keyfile: ${derKey} is a DER (binary) key, TLS needs PEM: convert it with 'openssl pkey -inform der -in ${derKey} -out <file>.pem' and point keyfile at the .pem`,
    ],
    [
      'a key file that holds no key',
      () => ({ keyfile: garbage }),
      () =>
        `keyfile: ${garbage} is not a PEM private key (a file starting with -----BEGIN PRIVATE KEY----- or -----BEGIN RSA/EC PRIVATE KEY-----): set keyfile to the server's private key`,
    ],
    [
      'a CA file that holds no certificate (OpenSSL would ignore it and refuse every client)',
      () => ({ cafile: garbage, require_certificate: true }),
      () =>
        `cafile: ${garbage} is not a PEM certificate (a file starting with -----BEGIN CERTIFICATE-----): set cafile to the PEM file of the CA certificates that sign client certificates`,
    ],
    [
      'a CA file in DER',
      () => ({ cafile: derCert }),
      () =>
        `cafile: ${derCert} is a DER (binary) certificate, TLS needs PEM: convert it with 'openssl x509 -inform der -in ${derCert} -out <file>.pem' and point cafile at the .pem`,
    ],
    [
      'a capath without certificates',
      () => ({ capath: emptyFolder }),
      () =>
        `capath: ${emptyFolder} holds no *.pem or *.crt file: put the PEM certificates of the CAs that sign client certificates there`,
    ],
    [
      'a missing CA file',
      () => ({ cafile: join(certs.dir, 'nope.pem') }),
      () =>
        `cafile: cannot read ${join(certs.dir, 'nope.pem')}: ENOENT: no such file or directory: check cafile's path (a relative path starts at the config file's folder)`,
    ],
  ])('%s', async (_name, overrides, expected) => {
    const want = expected();
    expect(problems(await loadTlsMaterial(tlsListener(overrides())))).toEqual(Array.isArray(want) ? want : [want]);
  });

  it.skipIf(process.getuid?.() === 0)('says how to fix a key file the broker may not read', async () => {
    const locked = join(certs.dir, 'locked.key');
    await writeFile(locked, await readFile(certs.serverKey));
    await chmod(locked, 0o000);
    expect(problems(await loadTlsMaterial(tlsListener({ keyfile: locked })))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^keyfile: cannot read ${locked}: EACCES: permission denied: make it readable by the user the broker runs as \\(.+\\)$`,
        ),
      ),
    ]);
  });
});

describe('checkTlsMaterial', () => {
  it('reports at listeners.<name>.<key>, a file shared through inheritance once, plain listeners never', async () => {
    const issues = await checkTlsMaterial({
      default: tlsListener({ name: 'default', keyfile: certs.clientKey }),
      other: tlsListener({ name: 'other', keyfile: certs.clientKey, bind: '127.0.0.1:1', port: 1 }),
      wss: tlsListener({ name: 'wss', type: 'ws', certfile: garbage, bind: '127.0.0.1:2', port: 2 }),
      plain: listenerConfig({ name: 'plain', bind: '127.0.0.1:3', port: 3 }),
    });
    expect(issues.map((i) => i.path)).toEqual(['listeners.default.keyfile', 'listeners.wss.certfile']);
  });

  it('finds nothing wrong with good files', async () => {
    expect(await checkTlsMaterial({ default: tlsListener({ name: 'default', cafile: certs.ca }) })).toEqual([]);
  });
});
