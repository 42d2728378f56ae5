import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runMidge } from './cli-process.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

describe('midge usage', () => {
  it.each([[['--version']], [['-V']], [['broker', '--version']], [['passwd', '--version']]])(
    '%j prints the version',
    async (args) => {
      const r = await runMidge(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`midge ${version}`);
    },
  );

  it('--help lists the commands', async () => {
    const r = await runMidge(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['broker', 'pub', 'sub', 'passwd', 'store']) expect(r.stdout).toContain(`midge ${c}`);
  });

  it.each([
    [['broker', '--help'], '--check'],
    [['--check', '--help'], '--log-level'],
    [['passwd', '--help'], '-D, --delete'],
    [['store', '--help'], 'midge store compact [--data-dir DIR | -c FILE]'],
    [['store', 'inspect', '--help'], '--client ID'],
    // pub and sub print their own help: the dispatcher hands them everything after the command.
    [['pub', '--help'], 'Usage: midge pub'],
    [['sub', '--help'], 'Usage: midge sub'],
  ])('%j prints the command help', async (args, expected) => {
    const r = await runMidge(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(expected);
  });

  it('an unknown flag is an error with a hint, exit 2', async () => {
    const r = await runMidge(['--portt', '1884']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown option --portt (did you mean --port?)');
    expect(r.stderr).toContain("see 'midge broker --help'");
    const p = await runMidge(['passwd', '--delet', 'f', 'u']);
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('did you mean --delete?');
  });

  it('an unknown command lists the commands, exit 2', async () => {
    const r = await runMidge(['serve']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown command 'serve'");
    expect(r.stderr).toContain('broker, pub, sub, passwd, store');
  });

  it('a bad port is a usage error', async () => {
    const r = await runMidge(['-p', '70000']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port must be an integer from 0 to 65535');
  });
});
