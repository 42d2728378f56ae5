/** `midge sub` as a script runs it: prints what arrives, and Ctrl-C (SIGINT) ends it with exit 0. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrokerProcess, runMidge, withTempDir } from './cli-process.js';

describe('midge sub and signals', () => {
  it('exits 0 on SIGINT after printing what it received', async () => {
    await withTempDir(async (dir) => {
      const config = join(dir, 'broker.yaml');
      await writeFile(config, "listeners:\n  default:\n    type: tcp\n    bind: '127.0.0.1:0'\nplugins: {}\n");
      const broker = new BrokerProcess(['-c', config], dir);
      const port = String(await broker.port());
      // Retained, so the subscriber gets it whenever its SUBSCRIBE lands.
      const pub = await runMidge(['pub', '-p', port, '-t', 'greet/world', '-m', 'hello', '-r', '-q', '1']);
      expect(pub.code, pub.stderr).toBe(0);

      const sub = new BrokerProcess(['sub', '-p', port, '-t', 'greet/#', '-v'], dir);
      await sub.waitFor((r) => r.msg === 'greet/world hello');
      const finished = await sub.stop('SIGINT');
      expect(finished.signal).toBeNull();
      expect(finished.code).toBe(0);
      await broker.stop();
    });
  });
});
