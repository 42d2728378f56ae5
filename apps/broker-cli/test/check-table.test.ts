/**
 * `midge --check` does what start does short of binding: configs that passed it and then failed to start
 * (a missing password file, a TLS key that is not the certificate's, a certificate that is not PEM...)
 * fail it, through the real binary, with `file:line:col: path: message` naming the file, the listener or
 * plugin option, and the fix. The TLS ones fail a start the same way, never in OpenSSL's words.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrokerProcess, MIDGE, runMidge, withTempDir, type Finished } from './cli-process.js';
import { makeTlsFiles } from './tls-files.js';

/** Lines 1-6; the TLS keys written after it start at line 7, column 5. */
const TLS_LISTENER = `listeners:
  default:
    bind: 127.0.0.1:0
  secure:
    bind: 127.0.0.1:0
    ssl: true
`;

/** Lines 1-5; the auth plugin's password_file is at line 6, column 5. */
const AUTH_FILE = `listeners:
  default:
    bind: 127.0.0.1:0
plugins:
  '@midge/plugin-auth-file':
    password_file: passwd
`;

/** Lines 1-4; the log file's name follows \`file: \` at line 5, column 3. */
const LOG_FILE = `listeners:
  default:
    bind: 127.0.0.1:0
log:
  file: `;

const NOT_A_KEY = 'this file holds no key\n';

/**
 * Capabilities that let root read any file. Dropped (with util-linux's `setpriv`) when the test runs as root, so
 * the broker, still root and still able to read the checkout (a clean CI clone sits in a 0700 temp directory,
 * which `nobody` could not enter), meets file permissions as any owner does.
 */
const DAC_CAPS = '-dac_override,-dac_read_search';

/** runMidge, without the capabilities that bypass file permissions when run as root. */
function runMidgeWithoutDacOverride(args: readonly string[], cwd: string): Promise<Finished> {
  if (process.getuid?.() !== 0) return runMidge(args, { cwd });
  return new Promise((resolve, reject) => {
    const child = spawn(
      'setpriv',
      [`--inh-caps=${DAC_CAPS}`, `--bounding-set=${DAC_CAPS}`, process.execPath, MIDGE, ...args],
      { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

interface Broken {
  readonly name: string;
  /** The config; `dir` is the test's folder, which holds the TLS files of makeTlsFiles. */
  readonly yaml: string;
  /** Files to write into the folder besides the TLS files. */
  readonly files?: Readonly<Record<string, string>>;
  /** The one problem, after `<config file>:`; `dir` is the test's folder. */
  readonly problem: (dir: string) => string;
  /** Start fails with the same problem (TLS: start reads the files before binding). */
  readonly atStart: boolean;
}

const BROKEN: readonly Broken[] = [
  {
    name: 'missing password file',
    yaml: AUTH_FILE,
    problem: (dir) =>
      `6:5: plugins.'@midge/plugin-auth-file'.password_file: cannot read password_file ${dir}/passwd: ENOENT: no such file or directory: create it with 'midge passwd -c ${dir}/passwd <username>', or fix password_file (a relative path starts at the config file's folder)`,
    atStart: false,
  },
  {
    name: 'password file with a malformed line',
    yaml: AUTH_FILE,
    files: { passwd: '# users\nalice-without-a-hash\n' },
    problem: (dir) =>
      `6:5: plugins.'@midge/plugin-auth-file'.password_file: ${dir}/passwd:2: no \`:\` between username and hash: the broker skips this line; fix it, or remove it and add the user again with 'midge passwd ${dir}/passwd <username>'`,
    atStart: false,
  },
  {
    name: 'TLS certificate and key that do not match',
    yaml: `${TLS_LISTENER}    certfile: server.pem\n    keyfile: other.key\n`,
    problem: (dir) =>
      `8:5: listeners.secure.keyfile: ${dir}/other.key is not the private key of the certificate in ${dir}/server.pem (certfile): set keyfile to the key the certificate was issued for, or certfile to the certificate of this key`,
    atStart: true,
  },
  {
    name: 'certificate file that is not PEM (DER)',
    yaml: `${TLS_LISTENER}    certfile: server.der\n    keyfile: server.key\n`,
    problem: (dir) =>
      `7:5: listeners.secure.certfile: ${dir}/server.der is a DER (binary) certificate, TLS needs PEM: convert it with 'openssl x509 -inform der -in ${dir}/server.der -out <file>.pem' and point certfile at the .pem`,
    atStart: true,
  },
  {
    name: 'CA file missing',
    yaml: `${TLS_LISTENER}    certfile: server.pem\n    keyfile: server.key\n    cafile: ca.pem\n    require_certificate: true\n`,
    problem: (dir) =>
      `9:5: listeners.secure.cafile: cannot read ${dir}/ca.pem: ENOENT: no such file or directory: check cafile's path (a relative path starts at the config file's folder)`,
    atStart: true,
  },
  {
    name: 'key file that cannot be read without a passphrase',
    yaml: `${TLS_LISTENER}    certfile: server.pem\n    keyfile: server.enc.key\n`,
    problem: (dir) =>
      `8:5: listeners.secure.keyfile: ${dir}/server.enc.key is encrypted with a passphrase, which the broker cannot ask for: store it decrypted (openssl pkey -in ${dir}/server.enc.key -out <new key file>), readable only by the broker's user`,
    atStart: true,
  },
  {
    name: 'key file that holds no key',
    yaml: `${TLS_LISTENER}    certfile: server.pem\n    keyfile: not-a-key.pem\n`,
    files: { 'not-a-key.pem': NOT_A_KEY },
    problem: (dir) =>
      `8:5: listeners.secure.keyfile: ${dir}/not-a-key.pem is not a PEM private key (a file starting with -----BEGIN PRIVATE KEY----- or -----BEGIN RSA/EC PRIVATE KEY-----): set keyfile to the server's private key`,
    atStart: true,
  },
  {
    name: 'log file in a folder that does not exist',
    yaml: `${LOG_FILE}nowhere/broker.log\n`,
    problem: (dir) =>
      `5:3: log.file: the folder of the log file does not exist: ${dir}/nowhere; create it (the broker creates the file, not its folder)`,
    atStart: false,
  },
  {
    name: 'log file that is a folder',
    yaml: `${LOG_FILE}logs\n`,
    files: { 'logs/keep': '' },
    problem: (dir) => `5:3: log.file: ${dir}/logs is not a regular file; name a file for the log, not a folder`,
    atStart: false,
  },
];

const CASES = BROKEN.flatMap((b) => [
  { ...b, mode: '--check' as const },
  ...(b.atStart ? [{ ...b, mode: 'start' as const }] : []),
]);

async function brokenConfig(dir: string, yaml: string, files: Readonly<Record<string, string>> = {}): Promise<string> {
  makeTlsFiles(dir);
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
  }
  const file = join(dir, 'broker.yaml');
  await writeFile(file, yaml);
  return file;
}

describe('configs that used to pass --check and fail at start', () => {
  it.each(CASES)('$mode: $name', async ({ mode, yaml, files, problem }) => {
    await withTempDir(async (dir) => {
      const file = await brokenConfig(dir, yaml, files);
      const r = await runMidge(['-c', file, ...(mode === '--check' ? ['--check'] : [])], { cwd: dir });
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toEqual([`${file}:${problem(dir)}`, 'midge: 1 problem found']);
      expect(r.stderr).not.toMatch(/error:[0-9A-F]{8}|routines::/);
    });
  });

  it('--check and start: a key file the broker may not read', async () => {
    await withTempDir(async (dir) => {
      const file = await brokenConfig(dir, `${TLS_LISTENER}    certfile: server.pem\n    keyfile: server.key\n`);
      // Unreadable even by its owner; root reads it anyway unless its DAC capabilities are dropped (above).
      await chmod(join(dir, 'server.key'), 0o000);
      for (const args of [['--check'], []]) {
        const r = await runMidgeWithoutDacOverride(['-c', file, ...args], dir);
        expect(r.code).toBe(1);
        expect(r.stderr).toMatch(
          new RegExp(
            `^${file}:8:5: listeners\\.secure\\.keyfile: cannot read ${dir}/server\\.key: EACCES: permission denied: make it readable by the user the broker runs as \\(.+\\)\nmidge: 1 problem found\n$`,
          ),
        );
      }
    });
  });

  it('--check: a log file in a folder the broker may not write into', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'logs'));
      const file = await brokenConfig(dir, `${LOG_FILE}logs/broker.log\n`);
      await chmod(join(dir, 'logs'), 0o555);
      const r = await runMidgeWithoutDacOverride(['-c', file, '--check'], dir);
      expect(r.stderr).toBe(
        `${file}:5:3: log.file: cannot create the log file ${dir}/logs/broker.log: the broker's user cannot write into ${dir}/logs; give it write access or choose another folder\nmidge: 1 problem found\n`,
      );
      expect(r.code).toBe(1);
    });
  });

  it('--check still says OK, with the listeners, for good TLS files and password file', async () => {
    await withTempDir(async (dir) => {
      const passwd = await runMidge(['passwd', '-c', '-b', 'passwd', 'alice', 'secret'], { cwd: dir });
      expect(passwd.code).toBe(0);
      const file = await brokenConfig(
        dir,
        `${TLS_LISTENER}    certfile: server.pem\n    keyfile: server.key\nplugins:\n  '@midge/plugin-auth-file':\n    password_file: passwd\n`,
      );
      const r = await runMidge(['-c', file, '--check'], { cwd: dir });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('secure (tcp ssl 127.0.0.1:0)');
    });
  });
});

describe('warnings that do not stop a start', () => {
  const WSS_INHERITING = `listeners:
  default:
    bind: 127.0.0.1:0
    ssl: true
    certfile: server.pem
    keyfile: server.key
    cafile: server.pem
    require_certificate: true
  web:
    type: ws
    bind: 127.0.0.1:0
`;

  it('a wss listener inheriting require_certificate from a TLS default: --check warns with the fix, exit 0', async () => {
    await withTempDir(async (dir) => {
      const file = await brokenConfig(dir, WSS_INHERITING);
      const r = await runMidge(['-c', file, '--check'], { cwd: dir });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(
        `warning: ${file}:9:3: listeners.web.require_certificate: inherited from listeners.default: this wss listener refuses every client without a client certificate, so browsers are refused; set require_certificate: false on listeners.web unless every web client has a certificate installed\n`,
      );
    });
  });

  it('a wss listener inheriting require_certificate: the broker logs the warning at start', async () => {
    await withTempDir(async (dir) => {
      await brokenConfig(dir, WSS_INHERITING);
      const broker = new BrokerProcess(['-c', 'broker.yaml'], dir);
      const warning = await broker.waitFor((r) => r.level === 40 && r.path === 'listeners.web.require_certificate');
      expect(String(warning.msg)).toContain('so browsers are refused; set require_certificate: false on listeners.web');
      await broker.port('web');
      expect((await broker.stop()).code).toBe(0);
    });
  });

  it('an address that is not on this machine is said to be so, not "in use"', async () => {
    await withTempDir(async (dir) => {
      // 192.0.2.1 is TEST-NET-1 (RFC 5737): never an address of a test machine.
      await writeFile(join(dir, 'broker.yaml'), 'listeners:\n  default:\n    bind: 192.0.2.1:1883\n');
      const r = await runMidge(['-c', 'broker.yaml'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        'listener default: cannot listen on 192.0.2.1:1883 (listen EADDRNOTAVAIL: address not available 192.0.2.1:1883); 192.0.2.1 is not an address of this machine: set listeners.default.bind to one of its addresses (ip addr shows them), or to :1883 for every interface',
      );
      expect(r.stderr).not.toMatch(/in use|stop the process/);
    });
  });
});
