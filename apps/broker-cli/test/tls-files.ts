/** Test TLS files made with the openssl CLI into a test's folder, so no key is ever committed. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface TlsFiles {
  /** A self-signed server certificate (PEM) and its key (PEM). */
  readonly cert: string;
  readonly key: string;
  /** Another key, which is not the certificate's. */
  readonly otherKey: string;
  /** The certificate in DER, which TLS does not load. */
  readonly derCert: string;
  /** The key, encrypted with a passphrase. */
  readonly encryptedKey: string;
}

/** Makes the files in `dir` (EC P-256 keys: fast to make). */
export function makeTlsFiles(dir: string): TlsFiles {
  const p = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('/usr/bin/openssl', args, { cwd: dir, stdio: 'pipe' });
  const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...newKey,
    '-keyout',
    p('server.key'),
    '-out',
    p('server.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
  );
  openssl('genpkey', '-algorithm', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-out', p('other.key'));
  openssl('x509', '-in', p('server.pem'), '-outform', 'der', '-out', p('server.der'));
  openssl('pkey', '-in', p('server.key'), '-aes256', '-passout', 'pass:secret', '-out', p('server.enc.key'));
  return {
    cert: p('server.pem'),
    key: p('server.key'),
    otherKey: p('other.key'),
    derCert: p('server.der'),
    encryptedKey: p('server.enc.key'),
  };
}
