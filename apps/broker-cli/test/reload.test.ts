import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatPasswordLine } from '@midge/plugin-auth-file';
import { describe, expect, it } from 'vitest';
import { BrokerProcess, withTempDir } from './cli-process.js';
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
