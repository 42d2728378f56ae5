/**
 * The mosquitto_pub flags `midge pub` takes and the connection flags both commands share, run as the
 * binary against a broker: --repeat, --repeat-delay, --quiet, -I, --nodelay, and what an unknown or a
 * mosquitto-only flag answers.
 */
import { describe, expect, it } from 'vitest';
import { runMidge } from './cli-process.js';
import { useCliTestBroker } from './cli-test-broker.js';

const cli = useCliTestBroker();
const { pub, sub } = cli;

/** The ids of the clients connected now. */
function clientIds(): string[] {
  const ids: string[] = [];
  cli.tb.broker.disconnectClients((c) => {
    ids.push(c.clientId);
    return false;
  });
  return ids;
}

describe('midge pub: mosquitto_pub flags', () => {
  it('--repeat publishes the message N times, --repeat-delay apart', async () => {
    const received = sub('-t', 'rep', '-q', '1', '-C', '3', '-W', '10');
    await expect.poll(() => cli.tb.broker.stats().subscriptionCount, { timeout: 5000 }).toBe(1);
    const started = Date.now();
    const r = await pub('-t', 'rep', '-q', '1', '-m', 'again', '--repeat', '3', '--repeat-delay', '0.3');
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
    expect(await received).toMatchObject({ code: 0, stdout: 'again\nagain\nagain\n' });
  });

  it('refuses --repeat with -l and a bad --repeat-delay', async () => {
    const lines = await pub('-t', 'x', '-l', '--repeat', '2');
    expect([lines.code, lines.stderr]).toEqual([2, expect.stringContaining('not with -l')]);
    const delay = await pub('-t', 'x', '-m', 'y', '--repeat', '2', '--repeat-delay', 'soon');
    expect([delay.code, delay.stderr]).toEqual([2, expect.stringContaining('--repeat-delay must be a number')]);
  });

  it('--quiet prints no error, the exit code still tells; usage mistakes are still shown', async () => {
    const port = await cli.replace();
    const quiet = await runMidge(['pub', '-p', port, '-t', 'x', '-m', 'y', '--quiet']);
    expect([quiet.code, quiet.stderr]).toEqual([1, '']);
    const usage = await pub('-t', 'x', '--quiet');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('-m MESSAGE');
  });
});

describe('connection flags shared by pub and sub', () => {
  it('-I makes the client id from a prefix and the process id; --nodelay is accepted', async () => {
    const waiting = sub('-I', 'probe-', '--nodelay', '-t', 'x', '-W', '3');
    await expect.poll(clientIds, { timeout: 5000 }).toEqual([expect.stringMatching(/^probe-\d+$/)]);
    expect((await waiting).code).toBe(27);
    const both = await pub('-i', 'a', '-I', 'b', '-t', 'x', '-m', 'y');
    expect([both.code, both.stderr]).toEqual([2, expect.stringContaining('either -i or -I')]);
  });

  it('an unknown flag names the closest one; a mosquitto flag midge lacks says why', async () => {
    const typo = await pub('-t', 'x', '-m', 'y', '--qso', '1');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe("midge pub: unknown option --qso (did you mean --qos?); see 'midge pub --help'\n");
    const lacking = await sub('-t', 'x', '--capath', '/etc/ssl/certs');
    expect(lacking.code).toBe(2);
    expect(lacking.stderr).toContain('--capath is not supported: give the CA certificates as one file with --cafile');
  });
});
