/**
 * The TLS files of a listener, read and checked the way OpenSSL will use them: the certificate and the CA
 * certificates are PEM certificates, the key is a PEM private key without a passphrase, and the key
 * belongs to the certificate. Each problem names the listener's key (`listeners.<name>.keyfile`), the file
 * and the fix, where OpenSSL alone would say `key values mismatch` at listen time, or nothing at all for a CA
 * file that holds no certificate (every client certificate is then refused). Used by the broker's listeners
 * at start and by checkConfig (`midge --check`), so both say the same thing.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import tls from 'node:tls';
import { formatPath } from './issues.js';
import { unreadableTlsFile, type TlsFileKey } from './listeners.js';
import type { ConfigIssue, ListenerConfig } from './types.js';

export type { TlsFileKey } from './listeners.js';

/** What `tls.createServer` gets: the files' contents, checked. */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** cafile, then capath's `*.pem` / `*.crt` in name order; empty without either. */
  readonly ca: readonly Buffer[];
}

/** One problem of one of a listener's TLS keys; `message` names the file and the fix. */
export interface TlsProblem {
  readonly key: TlsFileKey;
  readonly message: string;
}

export type TlsMaterialResult =
  | { readonly ok: true; readonly material: TlsMaterial }
  | { readonly ok: false; readonly problems: readonly TlsProblem[] };

/** Reads and checks the TLS files of an `ssl` listener, collecting every problem. Never throws. */
export async function loadTlsMaterial(listener: ListenerConfig): Promise<TlsMaterialResult> {
  const { certfile, keyfile, cafile, capath } = listener;
  const problems: TlsProblem[] = [];
  for (const [key, file] of [
    ['certfile', certfile],
    ['keyfile', keyfile],
  ] as const) {
    if (file === undefined) {
      problems.push({
        key,
        message:
          'is not set while ssl is on: set certfile and keyfile to the PEM files of the server certificate and key',
      });
    }
  }
  // One after the other: the problems come in the order of the keys, the same every time.
  const certBytes = certfile === undefined ? undefined : await readTlsFile('certfile', certfile, problems);
  const keyBytes = keyfile === undefined ? undefined : await readTlsFile('keyfile', keyfile, problems);
  const caBytes = cafile === undefined ? undefined : await readTlsFile('cafile', cafile, problems);
  const caFiles = cafile !== undefined && caBytes !== undefined ? [{ file: cafile, bytes: caBytes }] : [];
  const capathFiles = capath === undefined ? [] : await readCaFolder(capath, problems);

  const cert =
    certfile !== undefined && certBytes !== undefined
      ? certificate('certfile', certfile, certBytes, problems)
      : undefined;
  const key = keyfile !== undefined && keyBytes !== undefined ? privateKey(keyfile, keyBytes, problems) : undefined;
  if (cert !== undefined && key !== undefined && !cert.checkPrivateKey(key)) {
    problems.push({
      key: 'keyfile',
      message:
        `${keyfile} is not the private key of the certificate in ${certfile} (certfile): set keyfile to the key ` +
        'the certificate was issued for, or certfile to the certificate of this key',
    });
  }
  const ca: Buffer[] = [];
  for (const { file, bytes } of [...caFiles, ...capathFiles]) {
    if (certificate(file === cafile ? 'cafile' : 'capath', file, bytes, problems) !== undefined) ca.push(bytes);
  }
  if (problems.length > 0 || certBytes === undefined || keyBytes === undefined) return { ok: false, problems };

  // Everything parsed: what OpenSSL still refuses (a key too weak for its security level...) is said in its words.
  try {
    tls.createSecureContext({ cert: certBytes, key: keyBytes, ...(ca.length > 0 ? { ca } : {}) });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return {
      ok: false,
      problems: [
        {
          key: 'certfile',
          message: `OpenSSL refuses the certificate ${certfile} with the key ${keyfile}: ${reason}; replace them with a certificate and key it accepts`,
        },
      ],
    };
  }
  return { ok: true, material: { cert: certBytes, key: keyBytes, ca } };
}

/**
 * The TLS problems of every `ssl` listener, as config issues at `listeners.<name>.<key>`. A problem of a file
 * several listeners share (through `listeners.default`) is reported once, at the first of them.
 */
export async function checkTlsMaterial(listeners: Readonly<Record<string, ListenerConfig>>): Promise<ConfigIssue[]> {
  const secure = Object.values(listeners).filter((l) => l.ssl);
  const results = await Promise.all(secure.map(loadTlsMaterial));
  const seen = new Set<string>();
  const issues: ConfigIssue[] = [];
  secure.forEach((l, i) => {
    const result = results[i];
    if (result === undefined || result.ok) return;
    for (const p of result.problems) {
      const id = `${p.key}\0${p.message}`;
      if (seen.has(id)) continue;
      seen.add(id);
      issues.push({ path: formatPath(['listeners', l.name, p.key]), message: p.message });
    }
  });
  return issues;
}

/** A TLS problem as the broker's start reports it: `listener tls: keyfile: ...`. */
export function describeTlsProblems(listener: string, problems: readonly TlsProblem[]): string {
  return problems.map((p) => `listener ${listener}: ${p.key}: ${p.message}`).join('; ');
}

async function readTlsFile(key: TlsFileKey, file: string, problems: TlsProblem[]): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (err) {
    problems.push({ key, message: unreadableTlsFile(key, file, err as NodeJS.ErrnoException) });
    return undefined;
  }
}

/** capath's `*.pem` and `*.crt` files, in name order, as the listener loads them. */
async function readCaFolder(folder: string, problems: TlsProblem[]): Promise<{ file: string; bytes: Buffer }[]> {
  let names: string[];
  try {
    names = (await readdir(folder)).filter((n) => /\.(pem|crt)$/i.test(n)).sort();
  } catch (err) {
    problems.push({ key: 'capath', message: unreadableTlsFile('capath', folder, err as NodeJS.ErrnoException) });
    return [];
  }
  if (names.length === 0) {
    problems.push({
      key: 'capath',
      message: `${folder} holds no *.pem or *.crt file: put the PEM certificates of the CAs that sign client certificates there`,
    });
    return [];
  }
  const files: { file: string; bytes: Buffer }[] = [];
  for (const name of names) {
    const file = join(folder, name);
    const bytes = await readTlsFile('capath', file, problems);
    if (bytes !== undefined) files.push({ file, bytes });
  }
  return files;
}

/** The first certificate of `bytes`, if it is a PEM certificate OpenSSL loads; a problem otherwise. */
function certificate(
  key: 'certfile' | 'cafile' | 'capath',
  file: string,
  bytes: Buffer,
  problems: TlsProblem[],
): X509Certificate | undefined {
  const fix =
    key === 'certfile'
      ? "set certfile to the server certificate's PEM file"
      : key === 'cafile'
        ? 'set cafile to the PEM file of the CA certificates that sign client certificates'
        : "capath's *.pem and *.crt files must be the PEM certificates of the CAs that sign client certificates";
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(bytes);
  } catch {
    const swapped = key === 'certfile' && parsesAsPrivateKey(bytes);
    problems.push({
      key,
      message: swapped
        ? `${file} holds a private key, not a certificate: did you swap certfile and keyfile?`
        : `${file} is not a PEM certificate (a file starting with -----BEGIN CERTIFICATE-----): ${fix}`,
    });
    return undefined;
  }
  // X509Certificate also reads DER, which OpenSSL's PEM loading for TLS does not: a CA file in DER would be
  // skipped without a word and every client certificate refused.
  try {
    tls.createSecureContext({ cert: bytes });
  } catch {
    problems.push({
      key,
      message: `${file} is a DER (binary) certificate, TLS needs PEM: convert it with 'openssl x509 -inform der -in ${file} -out <file>.pem' and point ${key} at the .pem`,
    });
    return undefined;
  }
  return cert;
}

/** The private key of `bytes`, if it is an unencrypted PEM key; a problem otherwise. */
function privateKey(file: string, bytes: Buffer, problems: TlsProblem[]): KeyObject | undefined {
  try {
    return createPrivateKey(bytes);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    let message: string;
    if (
      code === 'ERR_MISSING_PASSPHRASE' ||
      code === 'ERR_OSSL_CRYPTO_INTERRUPTED_OR_CANCELLED' ||
      code === 'ERR_OSSL_BAD_DECRYPT'
    ) {
      message = `${file} is encrypted with a passphrase, which the broker cannot ask for: store it decrypted (openssl pkey -in ${file} -out <new key file>), readable only by the broker's user`;
    } else if (parsesAsCertificate(bytes)) {
      message = `${file} holds a certificate, not a private key: did you swap certfile and keyfile?`;
    } else if (parsesAsDerKey(bytes)) {
      message = `${file} is a DER (binary) key, TLS needs PEM: convert it with 'openssl pkey -inform der -in ${file} -out <file>.pem' and point keyfile at the .pem`;
    } else {
      message = `${file} is not a PEM private key (a file starting with -----BEGIN PRIVATE KEY----- or -----BEGIN RSA/EC PRIVATE KEY-----): set keyfile to the server's private key`;
    }
    problems.push({ key: 'keyfile', message });
    return undefined;
  }
}

function parsesAsPrivateKey(bytes: Buffer): boolean {
  try {
    createPrivateKey(bytes);
    return true;
  } catch {
    return false;
  }
}

function parsesAsCertificate(bytes: Buffer): boolean {
  try {
    new X509Certificate(bytes);
    return true;
  } catch {
    return false;
  }
}

function parsesAsDerKey(bytes: Buffer): boolean {
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      createPrivateKey({ key: bytes, format: 'der', type });
      return true;
    } catch {
      // try the next encoding
    }
  }
  return false;
}
