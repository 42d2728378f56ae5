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
import { mqttConnect } from './mqtt-raw.js';
import { makeTlsFiles } from './tls-files.js';

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
      expect(broker.records.some((r) => /plugins set up again with the new config/.test(String(r.msg)))).toBe(true);
      // The same connection, still there: the new ACL judges it.
      expect(await client.subscribe('b/y', { qos: 0 })).toEqual([{ topic: 'b/y', qos: 0 }]);
      await expect(client.subscribe('a/y', { qos: 0 })).rejects.toThrow(/refused/i);
      await client.disconnect();
    });
  });

  it('opens an added listener and closes a removed one, and changes the log level', async () => {
    await withBroker(ACL_CONFIG('#'), async (broker, file) => {
      await broker.port();
      await writeFile(
        file,
        // A second listener, and the log level from info to debug.
        ACL_CONFIG('#', 'log_level: debug\n').replace('listeners:\n', 'listeners:\n  extra:\n    bind: 127.0.0.1:0\n'),
      );
      await reload(broker);
      const opened = broker.records.find((r) => /^listener extra opened on 127\.0\.0\.1:\d+/.test(String(r.msg)));
      expect(opened).toBeDefined();
      const port = Number(/:(\d+)/.exec(String(opened?.msg))?.[1]);
      expect((await mqttConnect(port, 'on-extra')).returnCode).toBe(0);
      expect(broker.records.some((r) => r.msg === 'log level info -> debug')).toBe(true);

      await writeFile(file, ACL_CONFIG('#'));
      await reload(broker);
      expect(broker.records.some((r) => r.msg === 'listener extra closed')).toBe(true);
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
      expect(errors.some((m) => /broker\.yaml:\d+:\d+: max_queued_mesages: unknown key/.test(m))).toBe(true);
      expect(errors.some((m) => /broker\.yaml:\d+:\d+: connect_timeout/.test(m))).toBe(true);
      expect((await mqttConnect(port, 'still-served')).returnCode).toBe(0);
    });
  });

  it('reports a change only a restart applies', async () => {
    await withBroker(ACL_CONFIG('#'), async (broker, file) => {
      await broker.port();
      await writeFile(file, `${ACL_CONFIG('#')}max_queued_messages: 5\n`);
      await reload(broker);
      const warning = broker.records.find((r) => r.level === 40 && r.path === 'max_queued_messages');
      expect(warning?.msg).toBe('max_queued_messages changed: it needs a restart to apply');
    });
  });

  it('reads a tls listener certificate again: new handshakes get the new one, an open connection stays', async () => {
    await withTempDir(async (dir) => {
      const first = join(dir, 'first');
      const second = join(dir, 'second');
      await mkdir(first);
      await mkdir(second);
      const a = makeTlsFiles(first);
      const b = makeTlsFiles(second);
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
        const before = await handshake();
        const oldPrint = before.getPeerCertificate().fingerprint256;
        await copyFile(b.cert, join(dir, 'server.pem'));
        await copyFile(b.key, join(dir, 'server.key'));
        await reload(broker);
        expect(
          broker.records.some((r) => /listener secure: TLS certificate, key and CA read again/.test(String(r.msg))),
        ).toBe(true);
        const after = await handshake();
        expect(after.getPeerCertificate().fingerprint256).not.toBe(oldPrint);
        expect(before.destroyed).toBe(false);
        before.destroy();
        after.destroy();
      } finally {
        await broker.stop();
      }
    });
  });
});
