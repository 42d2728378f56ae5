/**
 * SIGHUP reloads the whole config file: plugin options, listeners added and removed, TLS certificates,
 * the log level; a config with errors changes nothing; a change only a restart applies is reported.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { MqttClient } from '@midge/mqtt-core/client';
import { describe, expect, it } from 'vitest';
import { BrokerProcess, withTempDir } from './cli-process.js';
import { connectPacket, mqttConnect } from './mqtt-raw.js';
import { makeTlsFiles } from './tls-files.js';

/** Two certificate/key pairs (two self-signed certificates) in `dir`/first and `dir`/second. */
async function twoCertificates(
  dir: string,
): Promise<[ReturnType<typeof makeTlsFiles>, ReturnType<typeof makeTlsFiles>]> {
  const first = join(dir, 'first');
  const second = join(dir, 'second');
  await mkdir(first);
  await mkdir(second);
  return [makeTlsFiles(first), makeTlsFiles(second)];
}

const ACL_CONFIG = (allowed: string, extra = ''): string => `listeners:
  default:
    bind: 127.0.0.1:0
plugins:
  '@midge/plugin-auth-anonymous':
    allow_anonymous: true
  '@midge/plugin-topic-acl':
    subscribe_acl:
      anonymous: ['${allowed}']
${extra}`;

/** A broker on `config` (broker.yaml in a fresh folder), stopped after `fn`. */
async function withBroker(config: string, fn: (broker: BrokerProcess, file: string) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    const file = join(dir, 'broker.yaml');
    await writeFile(file, config);
    const broker = new BrokerProcess(['-c', 'broker.yaml'], dir);
    try {
      await fn(broker, file);
    } finally {
      await broker.stop();
    }
  });
}

async function reload(broker: BrokerProcess): Promise<void> {
  const before = broker.records.filter((r) => r.msg === 'reloaded').length;
  broker.child.kill('SIGHUP');
  await broker.waitFor(() => broker.records.filter((r) => r.msg === 'reloaded').length > before);
}

/** A port nothing listens on now (the OS picks it, then it is released). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

describe('midge broker: SIGHUP reloads the config', () => {
  it('applies changed plugin options without dropping a connected client', async () => {
    await withBroker(ACL_CONFIG('a/#'), async (broker, file) => {
      const port = await broker.port();
      const client = new MqttClient({ url: `mqtt://127.0.0.1:${port}`, clientId: 'acl-watcher' });
      await client.connect();
      expect(await client.subscribe('a/x', { qos: 0 })).toEqual([{ topic: 'a/x', qos: 0 }]);
      await expect(client.subscribe('b/x', { qos: 0 })).rejects.toThrow(/refused/i);
      await writeFile(file, ACL_CONFIG('b/#'));
      await reload(broker);
      expect(
        broker.records.some((r) => r.msg === 'plugin @midge/plugin-topic-acl: options changed, set up again'),
      ).toBe(true);
      // The plugin whose options did not change keeps running: it is not set up again.
      expect(broker.records.some((r) => /plugin-auth-anonymous/.test(String(r.msg)))).toBe(false);
      // The same connection, still there: the new ACL judges it.
      expect(await client.subscribe('b/y', { qos: 0 })).toEqual([{ topic: 'b/y', qos: 0 }]);
      await expect(client.subscribe('a/y', { qos: 0 })).rejects.toThrow(/refused/i);
      await client.disconnect();
    });
  });

  it('keeps plugins whose options did not change (the admin server keeps its port); one changed closes before it is set up again', async () => {
    const adminPort = await freePort();
    const config = (allowed: string, admin = ''): string =>
      ACL_CONFIG(allowed, `  '@midge/plugin-admin':\n    bind: 127.0.0.1:${adminPort}\n${admin}`);
    await withBroker(config('a/#'), async (broker, file) => {
      await broker.port();
      const serving = (): number => broker.records.filter((r) => /^admin server listening/.test(String(r.msg))).length;
      expect(serving()).toBe(1);
      await writeFile(file, config('b/#'));
      await reload(broker);
      expect(
        broker.records.some((r) => r.msg === 'plugin @midge/plugin-topic-acl: options changed, set up again'),
      ).toBe(true);
      expect(serving()).toBe(1);
      expect((await fetch(`http://127.0.0.1:${adminPort}/healthz`)).status).toBe(200);

      // The admin plugin's own options: closed first, so the new one binds the same port.
      await writeFile(join(file, '..', 'token'), 'secret\n');
      await writeFile(file, config('b/#', '    token_file: token\n'));
      await reload(broker);
      expect(broker.records.some((r) => r.msg === 'plugin @midge/plugin-admin: options changed, set up again')).toBe(
        true,
      );
      expect(serving()).toBe(2);
      expect((await fetch(`http://127.0.0.1:${adminPort}/healthz`)).status).toBe(200);
      expect(broker.records.filter((r) => r.level === 50)).toEqual([]);
    });
  });

  it('opens an added listener and closes a removed one (its clients disconnected), and changes the log level', async () => {
    await withBroker(ACL_CONFIG('#'), async (broker, file) => {
      await broker.port();
      await writeFile(
        file,
        // A second listener, and the log level from info to debug.
        ACL_CONFIG('#', 'log_level: debug\n').replace('listeners:\n', 'listeners:\n  extra:\n    bind: 127.0.0.1:0\n'),
      );
      await reload(broker);
      const added = broker.records.find((r) =>
        /^listener extra added on 127\.0\.0\.1:\d+ \(tcp\)$/.test(String(r.msg)),
      );
      expect(added).toBeDefined();
      const port = Number(/:(\d+)/.exec(String(added?.msg))?.[1]);
      const onExtra = await mqttConnect(port, 'on-extra');
      expect(onExtra.returnCode).toBe(0);
      expect(broker.records.some((r) => r.msg === 'log level info -> debug')).toBe(true);
      // Debug records now come out: the next connection is logged at debug level.
      const debugBefore = broker.records.filter((r) => r.level === 20).length;
      (await mqttConnect(port, 'debug-watch')).close();
      await broker.waitFor(() => broker.records.filter((r) => r.level === 20).length > debugBefore);

      await writeFile(file, ACL_CONFIG('#'));
      await reload(broker);
      expect(broker.records.some((r) => r.msg === 'listener extra removed (1 client(s) disconnected)')).toBe(true);
      // Disconnected by the broker (a test timeout if it stays open).
      if (!onExtra.socket.closed) await new Promise((resolve) => onExtra.socket.once('close', resolve));
      expect(await canConnect(port)).toBe(false);
    });
  });

  it('keeps the running config when the new one has errors, logging each with its position', async () => {
    await withBroker(ACL_CONFIG('#'), async (broker, file) => {
      const port = await broker.port();
      await writeFile(file, `${ACL_CONFIG('#')}max_queued_mesages: 5\nconnect_timeout: soon\n`);
      broker.child.kill('SIGHUP');
      await broker.waitFor((r) => /nothing changed, the running config stays/.test(String(r.msg)));
      const errors = broker.records.filter((r) => r.level === 50).map((r) => String(r.msg));
      expect(errors.at(-1)).toMatch(/broker\.yaml has 2 error\(s\): nothing changed, the running config stays$/);
      expect(errors.some((m) => /broker\.yaml:\d+:\d+: max_queued_mesages: unknown key/.test(m))).toBe(true);
      expect(errors.some((m) => /broker\.yaml:\d+:\d+: connect_timeout/.test(m))).toBe(true);
      expect((await mqttConnect(port, 'still-served')).returnCode).toBe(0);
    });
  });

  it("checks the files the new config names as --check does: a missing password file, a key that is not the certificate's", async () => {
    await withTempDir(async (dir) => {
      const [a, b] = await twoCertificates(dir);
      const config = (key: string, auth: string): string =>
        `listeners:\n  default:\n    bind: 127.0.0.1:0\n  secure:\n    bind: 127.0.0.1:0\n    ssl: true\n    certfile: ${a.cert}\n    keyfile: ${key}\nplugins:\n${auth}`;
      await writeFile(
        join(dir, 'broker.yaml'),
        config(a.key, "  '@midge/plugin-auth-anonymous':\n    allow_anonymous: true\n"),
      );
      const broker = new BrokerProcess(['-c', 'broker.yaml'], dir);
      try {
        const port = await broker.port();
        await writeFile(
          join(dir, 'broker.yaml'),
          config(b.key, "  '@midge/plugin-auth-file':\n    password_file: missing-passwords\n"),
        );
        broker.child.kill('SIGHUP');
        await broker.waitFor((r) => /nothing changed, the running config stays/.test(String(r.msg)));
        const errors = broker.records.filter((r) => r.level === 50).map((r) => String(r.msg));
        expect(errors.some((m) => /broker\.yaml:\d+:\d+: listeners\.secure/.test(m))).toBe(true);
        expect(
          errors.some((m) => /broker\.yaml:\d+:\d+: plugins\.'@midge\/plugin-auth-file'.*missing-passwords/.test(m)),
        ).toBe(true);
        // Still the old config: anonymous clients are let in.
        expect((await mqttConnect(port, 'anonymous')).returnCode).toBe(0);
      } finally {
        await broker.stop();
      }
    });
  });

  it('reports a change only a restart applies', async () => {
    await withBroker(ACL_CONFIG('#'), async (broker, file) => {
      await broker.port();
      await writeFile(file, `${ACL_CONFIG('#')}max_queued_messages: 5\n`);
      await reload(broker);
      const warning = broker.records.find((r) => r.level === 40 && r.path === 'max_queued_messages');
      expect(warning?.msg).toBe('needs a restart: max_queued_messages changed, the running value stays');
    });
  });

  it('reads a tls listener certificate again: new handshakes get the new one, an open connection stays', async () => {
    await withTempDir(async (dir) => {
      const [a, b] = await twoCertificates(dir);
      await copyFile(a.cert, join(dir, 'server.pem'));
      await copyFile(a.key, join(dir, 'server.key'));
      await writeFile(
        join(dir, 'broker.yaml'),
        `listeners:\n  default:\n    bind: 127.0.0.1:0\n  secure:\n    bind: 127.0.0.1:0\n    ssl: true\n    certfile: server.pem\n    keyfile: server.key\nplugins:\n  '@midge/plugin-auth-anonymous':\n    allow_anonymous: true\n`,
      );
      const broker = new BrokerProcess(['-c', 'broker.yaml'], dir);
      try {
        const port = await broker.port('secure');
        const handshake = (): Promise<tls.TLSSocket> =>
          new Promise((resolve, reject) => {
            const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => resolve(s));
            s.once('error', reject);
          });
        /** Writes `packet` and resolves with the first bytes the broker answers. */
        const exchange = (s: tls.TLSSocket, packet: Buffer): Promise<Buffer> =>
          new Promise((resolve, reject) => {
            s.once('data', resolve);
            s.once('close', () => reject(new Error('connection closed')));
            s.write(packet);
          });
        const before = await handshake();
        expect((await exchange(before, connectPacket('tls-before')))[0]).toBe(0x20); // CONNACK
        const oldPrint = before.getPeerCertificate().fingerprint256;

        // Nothing changed: nothing is reported as changed.
        await reload(broker);
        expect(broker.records.some((r) => r.msg === 'no change (plugins re-read their files)')).toBe(true);
        expect(broker.records.some((r) => /TLS certificate reloaded/.test(String(r.msg)))).toBe(false);

        // A renewed certificate under the same paths.
        await copyFile(b.cert, join(dir, 'server.pem'));
        await copyFile(b.key, join(dir, 'server.key'));
        await reload(broker);
        expect(
          broker.records.some((r) => r.msg === 'listener secure: TLS certificate reloaded (new handshakes use it)'),
        ).toBe(true);
        const after = await handshake();
        expect(after.getPeerCertificate().fingerprint256).not.toBe(oldPrint);
        // The connection made before still works: PINGREQ answered by PINGRESP.
        expect(await exchange(before, Buffer.from([0xc0, 0x00]))).toEqual(Buffer.from([0xd0, 0x00]));
        before.destroy();
        after.destroy();
      } finally {
        await broker.stop();
      }
    });
  });
});
