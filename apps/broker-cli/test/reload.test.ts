import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPasswordLine } from '@midge/plugin-auth-file';
import { describe, expect, it } from 'vitest';
import { BrokerProcess, runMidge, withTempDir } from './cli-process.js';
import { connackCode, mqttConnect } from './mqtt-raw.js';

describe('midge broker: SIGHUP', () => {
  it('reloads the password file without dropping connected clients', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'passwords'), `${await formatPasswordLine('alice', 'alice-pw')}\n`);
      await writeFile(
        join(dir, 'broker.yaml'),
        `listeners:
  default:
    bind: 127.0.0.1:0
plugins:
  '@midge/plugin-auth-file':
    password_file: passwords
`,
      );
      const broker = new BrokerProcess(['-c', 'broker.yaml'], dir);
      const port = await broker.port();
      const alice = await mqttConnect(port, 'alice', 'alice', 'alice-pw');
      expect(alice.returnCode).toBe(0);
      expect(await connackCode(port, 'bob', 'bob', 'bob-pw')).toBe(4);

      await appendFile(join(dir, 'passwords'), `${await formatPasswordLine('bob', 'bob-pw')}\n`);
      broker.child.kill('SIGHUP');
      await broker.waitFor((r) => r.msg === 'reloaded');

      expect(await connackCode(port, 'bob', 'bob', 'bob-pw')).toBe(0);
      expect(await alice.ping()).toBe(true);
      alice.close();
      expect((await broker.stop()).code).toBe(0);
    });
  });
});

describe('midge ctl reload', () => {
  it('reloads the config file as SIGHUP does, says what changed, and refuses a broken config with its errors', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'admin.token'), 'reload-token\n');
      const config = (retainedCap: number, logLevel: string, extra = '') => `listeners:
  default:
    bind: 127.0.0.1:0
log_level: ${logLevel}
max_retained_messages: ${retainedCap}
${extra}plugins:
  '@midge/plugin-auth-anonymous':
    allow_anonymous: true
  '@midge/plugin-admin':
    bind: 127.0.0.1:0
    token_file: admin.token
`;
      await writeFile(join(dir, 'broker.yaml'), config(100, 'info'));
      const broker = new BrokerProcess(['-c', 'broker.yaml'], dir);
      await broker.port();
      const listening = await broker.waitFor((r) => /^admin server listening/.test(String(r.msg)));
      const url = `http://127.0.0.1:${String(listening['port'])}`;
      const ctl = (...args: string[]) => runMidge(['ctl', '--url', url, '--token', 'reload-token', ...args]);

      await writeFile(join(dir, 'broker.yaml'), config(200, 'debug'));
      const applied = await ctl('reload');
      expect(applied.code).toBe(0);
      expect(JSON.parse(applied.stdout)).toEqual({
        applied: true,
        errors: [],
        changes: ['log level info -> debug'],
        failures: [],
        needsRestart: ['max_retained_messages'],
      });
      // The same lines as a SIGHUP reload logs.
      await broker.waitFor((r) => r.msg === 'reloaded');

      await writeFile(join(dir, 'broker.yaml'), config(300, 'debug', 'max_queued_mesages: 5\n'));
      const refused = await ctl('reload');
      expect(refused.code).toBe(1);
      const errors = JSON.parse(refused.stdout) as { applied: boolean; errors: string[] };
      expect(errors.applied).toBe(false);
      expect(errors.errors.join('\n')).toMatch(/max_queued_mesages/);
      expect((await broker.stop()).code).toBe(0);
    });
  });
});
