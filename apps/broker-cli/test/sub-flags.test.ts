/**
 * The mosquitto_sub flags `midge sub` takes, run as the binary against a broker: -W, -R, -E, -N, -F, -U
 * and -x, and -F printing what mosquitto_sub prints for the same format.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createTestBroker, type TestBroker } from '@midge/mqtt-core/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runMidge } from './cli-process.js';

const run = promisify(execFile);

let tb: TestBroker;
const p = (): string => String(tb.port);
const pub = (...args: string[]) => runMidge(['pub', '-p', p(), ...args]);
const sub = (...args: string[]) => runMidge(['sub', '-p', p(), ...args]);

beforeEach(async () => {
  tb = await createTestBroker();
});
afterEach(async () => {
  await tb.close();
});

describe('midge sub: mosquitto_sub flags', () => {
  it('-W exits after its seconds with code 27 and "Timed out", as mosquitto_sub', async () => {
    const started = Date.now();
    const r = await sub('-t', 'quiet/#', '-W', '1');
    expect(r.code).toBe(27);
    expect(r.stderr.trim()).toBe('Timed out');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('-R leaves out retained messages, printing live ones', async () => {
    expect((await pub('-t', 'r/old', '-m', 'stale', '-r')).code).toBe(0);
    const live = sub('-t', 'r/#', '-R', '-C', '1');
    await expect.poll(() => tb.broker.stats().subscriptionCount, { timeout: 5000 }).toBe(1);
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
});

describe.skipIf(process.env.CI === undefined && spawnSync('mosquitto_sub', ['--help']).error !== undefined)(
  'midge sub -F next to mosquitto_sub -F',
  () => {
    it('prints the same bytes for the same format and message', async () => {
      expect((await pub('-t', 'same/topic', '-q', '1', '-m', 'héllo wörld', '-r')).code).toBe(0);
      const format = '%t|%p|%q|%r|%l|%x|%X\\t%%\\n';
      const ours = await sub('-t', 'same/#', '-q', '1', '-C', '1', '-F', format);
      // Not spawnSync: the broker runs in this process and must keep answering meanwhile.
      const theirs = await run(
        'mosquitto_sub',
        ['-h', '127.0.0.1', '-p', p(), '-t', 'same/#', '-q', '1', '-C', '1', '-F', format],
        { encoding: 'utf8', timeout: 10_000 },
      );
      expect(ours.stdout).toBe(theirs.stdout);
    });
  },
);
