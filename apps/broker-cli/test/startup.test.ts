/**
 * What `midge` says when it is up (JSON lines when stdout is not a terminal, as here): one `ready` record
 * with the version, the config file, each listener with its kind and bound address, the plugins with their
 * versions and the store.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrokerProcess, withTempDir } from './cli-process.js';

const cliVersion = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
const pluginVersion = (
  JSON.parse(readFileSync(new URL('../../../packages/plugin-sys/package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

describe('midge broker: startup summary', () => {
  it('logs one ready record with version, config, listeners and kinds, plugins and versions, store', async () => {
    await withTempDir(async (dir) => {
      const config = join(dir, 'broker.yaml');
      await writeFile(
        config,
        `listeners:
  default:
    bind: 127.0.0.1:0
  web:
    type: ws
    bind: 127.0.0.1:0
plugins:
  '@midge/plugin-auth-anonymous':
    allow_anonymous: true
  '@midge/plugin-sys':
    sys_interval: 0
persistence:
  path: data
`,
      );
      const broker = new BrokerProcess(['-c', config], dir);
      try {
        const ready = await broker.waitFor((r) => r.msg === 'ready');
        const tcpPort = await broker.port('default');
        const wsPort = await broker.port('web');
        expect(ready).toMatchObject({
          version: cliVersion,
          node: process.version,
          config,
          listeners: [
            { name: 'default', kind: 'tcp', address: `127.0.0.1:${tcpPort}` },
            { name: 'web', kind: 'ws', address: `127.0.0.1:${wsPort}` },
          ],
          plugins: [
            { name: '@midge/plugin-auth-anonymous', version: pluginVersion },
            { name: '@midge/plugin-sys', key: '@midge/plugin-sys', version: pluginVersion },
          ],
          store: { kind: 'store', module: '@midge/persistence-lmdb', path: join(dir, 'data'), sync: 'batch' },
        });
        // After every listener's own line: "ready" means clients can connect.
        const lastListening = broker.records.findLastIndex((r) => r.msg === 'listening');
        expect(lastListening).toBeGreaterThanOrEqual(0);
        expect(broker.records.indexOf(ready)).toBeGreaterThan(lastListening);
      } finally {
        await broker.stop();
      }
    });
  });

  it('says the store is in memory, and names no config file, when run on the defaults with --in-memory', async () => {
    await withTempDir(async (dir) => {
      const broker = new BrokerProcess(['--in-memory', '-p', '0'], dir);
      try {
        const ready = await broker.waitFor((r) => r.msg === 'ready');
        expect(ready).toMatchObject({ config: null, store: { kind: 'memory' } });
      } finally {
        await broker.stop();
      }
    });
  });
});
