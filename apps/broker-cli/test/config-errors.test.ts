/**
 * Config mistakes as users make them, through the real binary: each is reported as `file:line:col: path:
 * message` in the words core keys use, by `--check` and by a start that fails, and the exit code is 1.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMidge, withTempDir } from './cli-process.js';

// Port 0 on loopback: a config that wrongly passed would start without taking a real port.
const LOCAL = `listeners:
  default:
    bind: 127.0.0.1:0
`;

/** Each broken config (after LOCAL: its line 1 is the file's line 4) and the one problem it must report. */
const BROKEN: readonly { readonly name: string; readonly yaml: string; readonly problem: string }[] = [
  {
    name: 'misspelt plugin',
    yaml: "plugins:\n  '@midge/plugin-topic-tabo':\n",
    problem:
      "5:3: plugins.'@midge/plugin-topic-tabo': plugin package '@midge/plugin-topic-tabo' is not installed (looked from ",
  },
  {
    name: 'unknown plugin option',
    yaml: "plugins:\n  '@midge/plugin-auth-anonymous':\n    allow_anonymus: true\n",
    problem:
      "6:5: plugins.'@midge/plugin-auth-anonymous'.allow_anonymus: unknown option 'allow_anonymus' (did you mean 'allow_anonymous'?)",
  },
  {
    name: 'missing required option',
    yaml: "plugins:\n  '@midge/plugin-auth-file':\n    disconnect_removed_users: false\n",
    problem: "5:3: plugins.'@midge/plugin-auth-file'.password_file: missing required option 'password_file'",
  },
  {
    name: 'wrong type of a plugin option',
    yaml: "plugins:\n  '@midge/plugin-sys':\n    sys_interval: often\n",
    problem: `6:5: plugins.'@midge/plugin-sys'.sys_interval: option 'sys_interval' must be a number (got "often")`,
  },
  {
    name: 'core key typo',
    yaml: 'max_packet_sise: 1000\n',
    problem: "4:1: max_packet_sise: unknown key 'max_packet_sise' (did you mean 'max_packet_size'?)",
  },
  {
    name: 'wrong type of a core key',
    yaml: 'connect_timeout: soon\n',
    problem: '4:1: connect_timeout: expected a number of seconds',
  },
];

describe('config errors with their line and column', () => {
  for (const mode of ['--check', 'start'] as const) {
    it.each(BROKEN)(`${mode}: $name`, async ({ yaml, problem }) => {
      await withTempDir(async (dir) => {
        const file = join(dir, 'broker.yaml');
        await writeFile(file, `${LOCAL}${yaml}`);
        const r = await runMidge(['-c', file, ...(mode === '--check' ? ['--check'] : [])], { cwd: dir });
        expect(r.code).toBe(1);
        const lines = r.stderr.trim().split('\n');
        expect(lines.filter((l) => l.startsWith(`${file}:`))).toEqual([expect.stringContaining(`${file}:${problem}`)]);
        expect(lines.at(-1)).toBe('midge: 1 problem found');
        // No run-time error text and no stack trace: only the problem and the count.
        expect(lines).toHaveLength(2);
      });
    });
  }

  it('a misspelt plugin name is answered with the closest known name, never `npm install <the misspelling>`', async () => {
    await withTempDir(async (dir) => {
      await writeFile(
        join(dir, 'broker.yaml'),
        `${LOCAL}plugins:\n  '@midge/plugin-topic-tabo':\n  amqtt.plugins.sys.broker.BrokerSysPlugn:\n  midge-plugin-nobody-wrote:\n`,
      );
      const r = await runMidge(['-c', 'broker.yaml', '--check'], { cwd: dir });
      expect(r.code).toBe(1);
      const [taboo, sys, nobody] = r.stderr.split('\n');
      // Installed with the CLI: suggested without an install command.
      expect(taboo).toMatch(
        /:5:3: .* is not installed \(looked from .*\): did you mean '@midge\/plugin-topic-taboo'\?$/,
      );
      expect(sys).toMatch(
        /:6:3: .*did you mean '@midge\/plugin-sys' \(Midge's name for aMQTT's 'amqtt\.plugins\.sys\.broker\.BrokerSysPlugin'\)\?$/,
      );
      expect(nobody).toMatch(/:7:3: .*no Midge plugin has a name close to it: check the spelling/);
      expect(r.stderr).not.toContain('npm install');
      expect(r.stderr).toContain('midge: 3 problems found');
    });
  });

  it('a start that fails lists every problem, core keys and plugins together, as --check does', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'broker.yaml');
      await writeFile(
        file,
        `${LOCAL}max_packet_sise: 1000
plugins:
  '@midge/plugin-topic-tabo':
  '@midge/plugin-auth-anonymous':
    allow_anonymous: maybe
`,
      );
      const started = await runMidge(['-c', file], { cwd: dir });
      const checked = await runMidge(['-c', file, '--check'], { cwd: dir });
      expect(started.code).toBe(1);
      const problems = started.stderr.split('\n').filter((l) => l.startsWith(`${file}:`));
      expect(problems.map((l) => l.slice(file.length + 1).split(': ')[0])).toEqual(['4:1', '6:3', '8:5']);
      expect(started.stderr).toContain('midge: 3 problems found');
      expect(checked.stderr).toBe(started.stderr);
    });
  });

  it('an aMQTT config: problems point at the spelling the file uses', async () => {
    await withTempDir(async (dir) => {
      const file = join(dir, 'amqtt.yaml');
      await writeFile(
        file,
        `${LOCAL}plugins:
  amqtt.plugins.authentication.FileAuthPlugin:
    password-file: 7
`,
      );
      const r = await runMidge(['-c', file, '--check'], { cwd: dir });
      expect(r.code).toBe(1);
      // The key is translated to @midge/plugin-auth-file, password_file: the line is the one written.
      expect(r.stderr).toContain(
        `${file}:6:5: plugins.'@midge/plugin-auth-file'.password_file: option 'password_file' must be a string (got 7)`,
      );
      expect(r.stderr).toContain(
        `warning: ${file}:5:3: plugins.'amqtt.plugins.authentication.FileAuthPlugin': 'amqtt.plugins.authentication.FileAuthPlugin' is aMQTT's class name`,
      );
    });
  });
});
