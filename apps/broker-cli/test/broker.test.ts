import { writeFile } from 'node:fs/promises';
import { connect, createServer, type AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrokerProcess, runMidge, withTempDir } from './cli-process.js';
import { connackCode, mqttConnect } from './mqtt-raw.js';

const LOCAL = `listeners:
  default:
    type: tcp
    bind: 127.0.0.1:0
`;

describe('midge broker', () => {
  it('runs the embedded default config (plugins from the CLI folder) and stops on SIGTERM with exit 0', async () => {
    await withTempDir(async (dir) => {
      // An empty folder as cwd: the default plugins can only come from the CLI's own dependencies.
      const broker = new BrokerProcess(['-p', '0', '--host', '127.0.0.1'], dir);
      const port = await broker.port();
      expect(port).toBeGreaterThan(0);
      const listening = await broker.waitFor((r) => r.msg === 'listening');
      expect(listening).toMatchObject({ name: 'default', type: 'tcp', host: '127.0.0.1', port });
      // Anonymous access is allowed by the default config.
      const client = await mqttConnect(port, 'default-config');
      expect(client.returnCode).toBe(0);
      const done = await broker.stop('SIGTERM');
      client.close();
      expect(done.code).toBe(0);
      expect(broker.records.map((r) => r.msg)).toContain('stopped');
    });
  });

  it('binds loopback only without a config and says how to open it', async () => {
    await withTempDir(async (dir) => {
      const broker = new BrokerProcess(['-p', '0'], dir);
      const port = await broker.port();
      expect(await broker.waitFor((r) => r.msg === 'listening')).toMatchObject({ host: '127.0.0.1', port });
      const hint = await broker.waitFor((r) => typeof r.msg === 'string' && r.msg.includes('loopback only'));
      expect(hint.msg).toContain('--host 0.0.0.0');
      const outside = Object.values(networkInterfaces())
        .flat()
        .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
      if (outside !== undefined) {
        const refused = await new Promise<string>((resolve) => {
          const s = connect(port, outside.address)
            .once('connect', () => (s.destroy(), resolve('connected')))
            .once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
        });
        expect(refused).toBe('ECONNREFUSED');
      }
      expect((await broker.stop('SIGTERM')).code).toBe(0);
    });
  });

  it('warns when a config lets anonymous clients in on a listener beyond loopback', async () => {
    await withTempDir(async (dir) => {
      const yaml = `listeners:\n  default:\n    type: tcp\n    bind: 0.0.0.0:0\nplugins:\n  '@midge/plugin-auth-anonymous':\n    allow_anonymous: true\n`;
      await writeFile(join(dir, 'open.yaml'), yaml);
      const broker = new BrokerProcess(['-c', 'open.yaml'], dir);
      await broker.port();
      const warning = await broker.waitFor((r) => typeof r.msg === 'string' && r.msg.includes('anonymous clients'));
      expect(warning).toMatchObject({ level: 40, listeners: ['default'] });
      expect(broker.records.some((r) => typeof r.msg === 'string' && r.msg.includes('loopback only'))).toBe(false);
      expect((await broker.stop('SIGTERM')).code).toBe(0);
    });
  });

  it("runs the broker in a Node started with V8's young generation at 4 MiB, unless NODE_OPTIONS sizes it", async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'broker.yaml'), `${LOCAL}log_level: debug\n`);
      const young = (r: { msg?: unknown }) => r.msg === 'V8 young generation';
      const plain = new BrokerProcess(['-c', 'broker.yaml'], dir, { NODE_OPTIONS: '' });
      expect(await plain.waitFor(young)).toMatchObject({ flags: ['--max-semi-space-size=4'] });
      await plain.port();
      expect((await plain.stop('SIGTERM')).code).toBe(0);
      const sized = new BrokerProcess(['-c', 'broker.yaml'], dir, { NODE_OPTIONS: '--max-semi-space-size=8' });
      // The user's size, and no relaunch: the broker is the process that was started.
      expect(await sized.waitFor(young)).toMatchObject({ flags: ['--max-semi-space-size=8'], pid: sized.child.pid });
      await sized.port();
      expect((await sized.stop('SIGTERM')).code).toBe(0);
    });
  });

  it('stops on SIGINT with exit 0 while a client is connected', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'broker.yaml'), LOCAL);
      const broker = new BrokerProcess(['-c', 'broker.yaml'], dir);
      const client = await mqttConnect(await broker.port(), 'stays');
      expect(client.returnCode).toBe(0);
      const closed = new Promise<void>((resolve) => client.socket.once('close', () => resolve()));
      const done = await broker.stop('SIGINT');
      await closed;
      expect(done.code).toBe(0);
    });
  });

  it('prints every config problem as `file:line:col: path: message` and exits 1', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'bad.yaml');
      await writeFile(
        file,
        `listeners:
  default:
    bind: 127.0.0.1:99999
max_packet_sise: 1000
connect_timeout: -1
log_level: loud
`,
      );
      const r = await runMidge(['-c', file], { cwd: dir });
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(5);
      for (const line of lines.slice(0, 4)) expect(line.startsWith(`${file}:`)).toBe(true);
      expect(r.stderr).toContain(`${file}:3:5: listeners.default.bind:`);
      expect(r.stderr).toContain(
        `${file}:4:1: max_packet_sise: unknown key 'max_packet_sise' (did you mean 'max_packet_size'?)`,
      );
      expect(r.stderr).toContain(`${file}:5:1: connect_timeout:`);
      expect(r.stderr).toContain(`${file}:6:1: log_level:`);
      expect(lines[4]).toBe('midge: 4 problems found');
    });
  });

  it('names a missing plugin package and where it looked, and exits 1', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'broker.yaml'), `${LOCAL}plugins:\n  midge-plugin-not-installed:\n`);
      const r = await runMidge(['-c', 'broker.yaml'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `${join(dir, 'broker.yaml')}:6:3: plugins.midge-plugin-not-installed: plugin package 'midge-plugin-not-installed' is not installed (looked from ${dir}`,
      );
      // An unknown name: no install command (it could install a typo-squatted package).
      expect(r.stderr).not.toContain('npm install');
    });
  });

  it('--check accepts a good config without starting anything', async () => {
    await withTempDir(async (dir) => {
      // Port 1 would need privileges: --check must not try to bind it.
      await writeFile(
        join(dir, 'broker.yaml'),
        `listeners:\n  default:\n    bind: 127.0.0.1:1\nplugins:\n  '@midge/plugin-auth-anonymous':\n    allow_anonymous: false\n  '@midge/plugin-topic-taboo':\n`,
      );
      const r = await runMidge(['-c', 'broker.yaml', '--check'], { cwd: dir });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`${join(dir, 'broker.yaml')}: OK`);
      expect(r.stdout).toContain('@midge/plugin-topic-taboo');
    });
  });

  it('--check says a config naming the retired @midge/plugin-bus-redis should use @midge/plugin-cluster-nats', async () => {
    await withTempDir(async (dir) => {
      await writeFile(
        join(dir, 'old.yaml'),
        `plugins:\n  '@midge/plugin-bus-redis':\n    url: redis://127.0.0.1:6390\n`,
      );
      const r = await runMidge(['-c', 'old.yaml', '--check'], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${join(dir, 'old.yaml')}:2:3: plugins.'@midge/plugin-bus-redis':`);
      expect(r.stderr).toContain('use @midge/plugin-cluster-nats instead');
      expect(r.stderr).not.toContain('npm install');
    });
  });

  it('--check resolves @midge/plugin-cluster-nats from the CLI itself and validates its options', async () => {
    await withTempDir(async (dir) => {
      await writeFile(
        join(dir, 'ok.yaml'),
        `plugins:\n  '@midge/plugin-cluster-nats':\n    servers: [nats://127.0.0.1:4222]\n    node: a\n`,
      );
      const ok = await runMidge(['-c', 'ok.yaml', '--check'], { cwd: dir });
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('@midge/plugin-cluster-nats');
      await writeFile(join(dir, 'bad.yaml'), `plugins:\n  '@midge/plugin-cluster-nats':\n    node: a.b\n`);
      const bad = await runMidge(['-c', 'bad.yaml', '--check'], { cwd: dir });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(`${join(dir, 'bad.yaml')}:3:5: plugins.'@midge/plugin-cluster-nats'.node:`);
    });
  });

  it('--check lists config, plugin resolution and plugin option problems together and exits 1', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'broker.yaml');
      await writeFile(
        file,
        `${LOCAL}connect_timeout: nope
plugins:
  midge-plugin-not-installed:
  '@midge/plugin-auth-anonymous':
    allow_anonymous: maybe
  '@midge/plugin-topic-acl':
    publish_acl: 3
`,
      );
      const r = await runMidge(['-c', file, '--check'], { cwd: dir });
      expect(r.code).toBe(1);
      const problems = r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith(`${file}:`));
      expect(problems).toHaveLength(4);
      expect(r.stderr).toContain(`${file}:5:1: connect_timeout:`);
      expect(r.stderr).toContain(
        `${file}:7:3: plugins.midge-plugin-not-installed: plugin package 'midge-plugin-not-installed' is not installed`,
      );
      expect(r.stderr).toContain(`${file}:9:5: plugins.'@midge/plugin-auth-anonymous'.allow_anonymous:`);
      expect(r.stderr).toContain(`${file}:11:5: plugins.'@midge/plugin-topic-acl'.publish_acl:`);
      expect(r.stderr).toContain('4 problems found');
    });
  });

  it("runs aMQTT's default broker config unchanged, warning about each class name with its new spelling", async () => {
    await withTempDir(async (dir) => {
      // Verbatim from aMQTT's "Packaged Plugins" page; -p 0 keeps the test off the real port 1883.
      await writeFile(
        join(dir, 'amqtt.yaml'),
        `---
listeners:
  default:
    type: tcp
    bind: 0.0.0.0:1883
plugins:
  amqtt.plugins.logging_amqtt.EventLoggerPlugin:
  amqtt.plugins.logging_amqtt.PacketLoggerPlugin:
  amqtt.plugins.authentication.AnonymousAuthPlugin:
    allow_anonymous: true
  amqtt.plugins.sys.broker.BrokerSysPlugin:
    sys_interval: 20
`,
      );
      const broker = new BrokerProcess(['-c', 'amqtt.yaml', '-p', '0', '--host', '127.0.0.1'], dir);
      const port = await broker.port();
      // Deprecations are the warnings about the config file (other warnings may come from plugins).
      const warnings = broker.records.filter((r) => r.level === 40 && r.config !== undefined).map((r) => r.msg);
      expect(warnings).toHaveLength(4);
      expect(warnings.join('\n')).toContain("use '@midge/plugin-logging/event-logger'");
      expect(warnings.join('\n')).toContain("use '@midge/plugin-sys'");
      expect(await connackCode(port, 'amqtt-client')).toBe(0);
      expect((await broker.stop()).code).toBe(0);
    });
  });

  it('reports a port already in use and exits 1', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      // --in-memory: the default config would put a store in the working directory (the shared tmpdir).
      const r = await runMidge(['-p', String(port), '--host', '127.0.0.1', '--in-memory']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port}`);
    } finally {
      taken.close();
    }
  });

  it('-v logs at debug level; a bad --log-level is a usage error', async () => {
    await withTempDir(async (dir) => {
      await writeFile(
        join(dir, 'broker.yaml'),
        `${LOCAL}plugins:\n  '@midge/plugin-auth-anonymous':\n    allow_anonymous: true\n`,
      );
      const broker = new BrokerProcess(['-c', 'broker.yaml', '-v'], dir);
      await broker.port();
      expect(broker.records.some((r) => r.level === 20)).toBe(true);
      expect((await broker.stop()).code).toBe(0);
      const bad = await runMidge(['-c', 'broker.yaml', '--log-level', 'loud'], { cwd: dir });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('--log-level must be one of trace, debug, info');
    });
  });
});
