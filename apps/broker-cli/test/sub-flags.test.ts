/**
 * The mosquitto_sub flags `midge sub` takes, run as the binary against a broker: -W, -R, -T, -E, -N, -F,
 * -U, -x, --retained-only, --remove-retained, --pretty and --quiet. (-F next to mosquitto_sub's own output:
 * sub-format-interop.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { runMidge } from './cli-process.js';
import { useCliTestBroker } from './cli-test-broker.js';

const cli = useCliTestBroker();
const { pub, sub } = cli;

describe('midge sub: mosquitto_sub flags', () => {
  it('-W exits after its seconds with code 27 and "Timed out", as mosquitto_sub', async () => {
    const started = Date.now();
    const r = await sub('-t', 'quiet/#', '-W', '1');
    expect(r.code).toBe(27);
    expect(r.stderr.trim()).toBe('Timed out');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('-R (--skip-retained) leaves out retained messages, printing live ones', async () => {
    expect((await pub('-t', 'r/old', '-m', 'stale', '-r')).code).toBe(0);
    const live = sub('-t', 'r/#', '--skip-retained', '-C', '1');
    await expect.poll(() => cli.tb.broker.stats().subscriptionCount, { timeout: 5000 }).toBe(1);
    expect((await pub('-t', 'r/new', '-m', 'fresh')).code).toBe(0);
    const r = await live;
    expect([r.code, r.stdout]).toEqual([0, 'fresh\n']);
  });

  it('-E exits once subscribed: the persistent session holds the subscription after', async () => {
    const r = await sub('-c', '-i', 'e-sub', '-q', '1', '-t', 'e/#', '-E');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect((await pub('-t', 'e/1', '-q', '1', '-m', 'kept')).code).toBe(0);
    const back = await sub('-c', '-i', 'e-sub', '-q', '1', '-t', 'e/#', '-C', '1', '-W', '5');
    expect([back.code, back.stdout]).toEqual([0, 'kept\n']);
  });

  it('-N prints payloads without a newline', async () => {
    expect((await pub('-t', 'n/a', '-m', 'one', '-r')).code).toBe(0);
    const r = await sub('-t', 'n/a', '-C', '1', '-N');
    expect(r.stdout).toBe('one');
  });

  it('-F formats each message', async () => {
    expect((await pub('-t', 'f/a', '-q', '1', '-m', 'hi', '-r')).code).toBe(0);
    const r = await sub('-t', 'f/#', '-q', '1', '-C', '1', '-F', '%t|%p|%q|%r|%l|%x');
    expect(r.stdout).toBe('f/a|hi|1|1|2|6869\n');
    const bare = await sub('-t', 'f/#', '-q', '1', '-C', '1', '-N', '-F', '%p\\t%l');
    expect(bare.stdout).toBe('hi\t2');
  });

  it('-U unsubscribes a persistent session from a filter, and alone exits after it', async () => {
    expect((await sub('-c', '-i', 'u-sub', '-q', '1', '-t', 'u/#', '-E')).code).toBe(0);
    const u = await sub('-c', '-i', 'u-sub', '-U', 'u/#');
    expect([u.code, u.stderr]).toEqual([0, '']);
    expect((await pub('-t', 'u/1', '-q', '1', '-m', 'gone')).code).toBe(0);
    // Nothing was queued for the session: the next sub times out.
    const after = await sub('-c', '-i', 'u-sub', '-q', '1', '-t', 'other', '-C', '1', '-W', '1');
    expect([after.code, after.stdout]).toEqual([27, '']);
  });

  it('-x sets the MQTT 5 session expiry: a clean-start session outlives its connection', async () => {
    expect((await sub('-V', '5', '-x', '60', '-i', 'x-sub', '-q', '1', '-t', 'x/#', '-E')).code).toBe(0);
    expect((await pub('-t', 'x/1', '-q', '1', '-m', 'waited')).code).toBe(0);
    const back = await sub('-V', '5', '-x', '60', '-c', '-i', 'x-sub', '-q', '1', '-t', 'x/#', '-C', '1', '-W', '5');
    expect([back.code, back.stdout]).toEqual([0, 'waited\n']);
    const v3 = await sub('-x', '60', '-t', 'x/#', '-E');
    expect(v3.code).toBe(2);
    expect(v3.stderr).toMatch(/-x .*add -V 5/);
  });

  it('-T leaves out the topics matching its filters', async () => {
    for (const t of ['t/keep', 't/noise/1', 't/chatter']) expect((await pub('-t', t, '-m', t, '-r')).code).toBe(0);
    const r = await sub('-t', 't/#', '-T', 't/noise/#', '-T', 't/chatter', '-W', '1');
    expect([r.code, r.stdout]).toEqual([27, 't/keep\n']);
    const bad = await sub('-t', 't/#', '-T', 'a/#/b');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('-T a/#/b');
  });

  it('--retained-only prints the retained messages and exits at the first live one', async () => {
    expect((await pub('-t', 'ro/a', '-m', 'kept', '-r')).code).toBe(0);
    const r = sub('-t', 'ro/#', '--retained-only', '-v');
    await expect.poll(() => cli.tb.broker.stats().subscriptionCount, { timeout: 5000 }).toBe(1);
    expect((await pub('-t', 'ro/b', '-m', 'live')).code).toBe(0);
    expect(await r).toMatchObject({ code: 0, stdout: 'ro/a kept\n' });
  });

  it('--remove-retained clears the retained messages it receives, except those -T leaves out', async () => {
    for (const t of ['rm/a', 'rm/b', 'rm/keep']) expect((await pub('-t', t, '-m', t, '-r')).code).toBe(0);
    const r = await sub('-t', 'rm/#', '--remove-retained', '-T', 'rm/keep', '-C', '2');
    expect([r.code, r.stdout.split('\n').sort()]).toEqual([0, ['', 'rm/a', 'rm/b']]);
    const left = await sub('-t', 'rm/#', '-W', '1', '-v');
    expect([left.code, left.stdout]).toEqual([27, 'rm/keep rm/keep\n']);
  });

  it('-F prints MQTT 5 properties and the message id; --pretty lays %j out on lines', async () => {
    expect(
      (
        await pub(
          ...['-V', '5', '-t', 'p/a', '-q', '1', '-m', '{"t":21.5}', '-r'],
          ...['-D', 'publish', 'content-type', 'application/json', '-D', 'publish', 'user-property', 'unit', 'C'],
          ...['-D', 'publish', 'response-topic', 'p/reply', '-D', 'publish', 'correlation-data', 'id-7'],
          ...['-D', 'publish', 'message-expiry-interval', '3600', '-D', 'publish', 'payload-format-indicator', '1'],
        )
      ).code,
    ).toBe(0);
    const props = ['-V', '5', '-t', 'p/#', '-q', '1', '-C', '1', '-D', 'subscribe', 'subscription-identifier', '9'];
    const r = await sub(...props, '-F', '%C|%P|%R|%D|%F|%S|%m|%-4q|%05l');
    expect(r.stdout).toMatch(/^application\/json\|unit:C\|p\/reply\|id-7\|1\|9\|[1-9]\d*\|1\|00010\n$/);
    const pretty = await sub(...props, '-F', '%J', '--pretty');
    expect(pretty.stdout).toMatch(
      /^\{\n\t"tst":\t"[^"]+",\n\t"topic":\t"p\/a",\n[^]*\t"payload":\t\{\n\t\t"t":\t21.5\n\t\}\n\}\n$/,
    );
    expect(JSON.parse(pretty.stdout)).toMatchObject({
      properties: {
        'content-type': 'application/json',
        'subscription-identifier': 9,
        'user-properties': { unit: 'C' },
      },
    });
  });

  it('-F refuses a format mosquitto_sub would refuse, before connecting', async () => {
    const r = await runMidge(['sub', '-p', '1', '-t', 'x', '-F', '%t %z']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("invalid format specifier 'z'");
  });

  it('--quiet prints no error, the exit code still tells', async () => {
    const port = await cli.replace();
    const loud = await runMidge(['sub', '-p', port, '-t', 'x', '-k', '1']);
    expect(loud.code).toBe(1);
    expect(loud.stderr).toContain('midge sub:');
    const quiet = await runMidge(['sub', '-p', port, '-t', 'x', '--quiet']);
    expect([quiet.code, quiet.stderr]).toEqual([1, '']);
    const timedOut = await sub('-t', 'x', '-W', '1', '--quiet');
    expect([timedOut.code, timedOut.stderr]).toEqual([27, '']);
  });

  it('-c with -V 5 keeps the session for ever unless -x says otherwise, as mosquitto_sub', async () => {
    expect((await sub('-V', '5', '-c', '-i', 'c5-sub', '-q', '1', '-t', 'c5/#', '-E')).code).toBe(0);
    expect((await pub('-t', 'c5/1', '-q', '1', '-m', 'queued')).code).toBe(0);
    const back = await sub('-V', '5', '-c', '-i', 'c5-sub', '-q', '1', '-t', 'c5/#', '-C', '1', '-W', '5');
    expect([back.code, back.stdout]).toEqual([0, 'queued\n']);
    // -x -1 is "never" too (mosquitto's spelling, a negative number after a flag).
    expect((await sub('-V', '5', '-x', '-1', '-i', 'x1-sub', '-q', '1', '-t', 'x1/#', '-E')).code).toBe(0);
    expect((await pub('-t', 'x1/1', '-q', '1', '-m', 'kept')).code).toBe(0);
    const again = await sub('-V', '5', '-c', '-i', 'x1-sub', '-q', '1', '-t', 'x1/#', '-C', '1', '-W', '5');
    expect([again.code, again.stdout]).toEqual([0, 'kept\n']);
  });
});
