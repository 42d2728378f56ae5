/**
 * `midge sub -F` next to mosquitto_sub -F: the same format on the same message prints the same bytes.
 * Skipped without mosquitto-clients outside CI; in CI a missing mosquitto_sub fails the test (.ci/run
 * installs it).
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useCliTestBroker } from './cli-test-broker.js';

const run = promisify(execFile);

const cli = useCliTestBroker();
const { pub, sub } = cli;
const p = cli.port;

/** mosquitto_sub with these arguments against the test broker. Not spawnSync: the broker runs in this process. */
function mosquittoSub(...args: string[]) {
  return run('mosquitto_sub', ['-h', '127.0.0.1', '-p', p(), ...args], { encoding: 'utf8', timeout: 10_000 });
}

/** The `tst` times differ between two runs: the rest must not. */
const withoutTimes = (s: string): string => s.replace(/"tst":(\t?)"[^"]*"/g, '"tst":$1"T"');

describe.skipIf(process.env.CI === undefined && spawnSync('mosquitto_sub', ['--help']).error !== undefined)(
  'midge sub -F next to mosquitto_sub -F',
  () => {
    it('prints the same bytes for the same format and message', async () => {
      expect((await pub('-t', 'same/topic', '-q', '1', '-m', 'héllo wörld', '-r')).code).toBe(0);
      const format = '%t|%p|%q|%r|%l|%x|%X\\t%%\\n';
      const ours = await sub('-t', 'same/#', '-q', '1', '-C', '1', '-F', format);
      const theirs = await mosquittoSub('-t', 'same/#', '-q', '1', '-C', '1', '-F', format);
      expect(ours.stdout).toBe(theirs.stdout);
    });

    it('prints the same MQTT 5 properties, widths, flags and JSON (minified and --pretty)', async () => {
      const published = await pub(
        ...['-V', '5', '-t', 'v5/topic', '-q', '1', '-m', '{"t":27.0,"l":[1,2.5,null],"o":{}}', '-r'],
        ...['-D', 'publish', 'content-type', 'application/json', '-D', 'publish', 'response-topic', 'v5/reply'],
        ...['-D', 'publish', 'user-property', 'k', '1', '-D', 'publish', 'user-property', 'k', '2'],
        ...['-D', 'publish', 'correlation-data', 'c-1', '-D', 'publish', 'payload-format-indicator', '1'],
      );
      expect(published.code).toBe(0);
      const subscribe = [
        '-V',
        '5',
        '-t',
        'v5/#',
        '-q',
        '1',
        '-C',
        '1',
        '-D',
        'subscribe',
        'subscription-identifier',
        '4',
      ];
      const formats = [
        '[%12t][%-12t][%5.3t][%.2t][%06l][%-6l][%010p][%5p][%8C][%-8C][%8.4C][%8R][%P][%D][%F][%04F][%4S][%4A][%m][%3q][%3r][%E]',
        '%x %X \\a\\e\\0\\t%%\\\\',
        '%j',
        '%J',
      ];
      for (const format of formats) {
        const ours = await sub(...subscribe, '-F', format);
        const theirs = await mosquittoSub(...subscribe, '-F', format);
        expect(withoutTimes(ours.stdout), format).toBe(withoutTimes(theirs.stdout));
      }
      const ours = await sub(...subscribe, '-F', '%J', '--pretty');
      const theirs = await mosquittoSub(...subscribe, '-F', '%J', '--pretty');
      expect(withoutTimes(ours.stdout)).toBe(withoutTimes(theirs.stdout));
    });
  },
);
