/**
 * `log: { file, level, format }`: records go to the file, which SIGUSR1 (and SIGHUP) reopen after
 * logrotate renamed it; `format: pretty` writes readable lines; `log.level` wins over `log_level`.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrokerProcess, withTempDir } from './cli-process.js';

async function fileText(path: string): Promise<string> {
  return readFile(path, 'utf8').catch(() => '');
}

/** Polls `path` until `pattern` is in it. */
async function until(path: string, pattern: RegExp, timeoutMs = 10_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const text = await fileText(path);
    if (pattern.test(text)) return text;
    if (Date.now() > end) throw new Error(`${path} never matched ${pattern}; it holds:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const config = (log: string): string => `listeners:
  default:
    bind: 127.0.0.1:0
plugins:
  '@midge/plugin-auth-anonymous':
    allow_anonymous: true
log_level: warn
log:
${log}`;

describe('midge broker: log file', () => {
  it('writes JSON records to log.file (created with its folder), and reopens it on SIGUSR1 and SIGHUP', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'broker.yaml'), config('  file: logs/midge.log\n  level: info\n'));
      const broker = new BrokerProcess(['-c', 'broker.yaml'], dir);
      try {
        const path = join(dir, 'logs', 'midge.log');
        // log.level (info) wins over log_level (warn): the info record "ready" is there.
        const first = await until(path, /"msg":"ready"/);
        expect(
          first
            .split('\n')
            .filter(Boolean)
            .every((l) => JSON.parse(l) !== null),
        ).toBe(true);
        // Nothing on stdout: the records go to the file.
        expect(broker.records).toEqual([]);

        await rename(path, `${path}.1`);
        broker.child.kill('SIGUSR1');
        await until(path, /log file reopened/);
        expect(await fileText(`${path}.1`)).not.toMatch(/log file reopened/);

        await rename(path, `${path}.2`);
        broker.child.kill('SIGHUP');
        await until(path, /log file reopened/);
        expect((await broker.stop()).code).toBe(0);
        expect(await fileText(path)).toMatch(/"msg":"stopped"/);
      } finally {
        await broker.stop('SIGKILL');
      }
    });
  });

  it('writes readable lines with format: pretty', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'broker.yaml'), config('  file: midge.log\n  level: info\n  format: pretty\n'));
      const broker = new BrokerProcess(['-c', 'broker.yaml'], dir);
      try {
        const text = await until(join(dir, 'midge.log'), /INFO {2}ready/);
        expect(text).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}/m);
        expect(text).not.toMatch(/^\{/m);
      } finally {
        await broker.stop();
      }
    });
  });

  it('refuses an unknown key under log:, naming the right one', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'broker.yaml'), config('  fiel: midge.log\n'));
      const broker = new BrokerProcess(['-c', 'broker.yaml'], dir);
      const done = await broker.exited;
      expect(done.code).toBe(1);
      expect(done.stderr).toMatch(/broker\.yaml:9:3: log\.fiel: unknown key.*did you mean 'file'/);
    });
  });
});
