import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { allow, definePlugin, deny } from '@midge/mqtt-core';
import { createTestBroker, type TestBroker } from '@midge/mqtt-core/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clientOptionsFrom } from '../src/commands/client-options.js';
import { runPub } from '../src/commands/pub.js';
import { runSub } from '../src/commands/sub.js';
import type { CommandIO } from '../src/io.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

type Command = (argv: string[], io: CommandIO) => Promise<number>;

function run(command: Command, argv: string[], opts: { stdin?: string; signal?: AbortSignal } = {}): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const stdin = Readable.from(opts.stdin === undefined ? [] : [Buffer.from(opts.stdin)]);
  return command(argv, { stdout, stderr, stdin, ...(opts.signal ? { signal: opts.signal } : {}) }).then((code) => ({
    code,
    stdout: Buffer.concat(out).toString(),
    stderr: Buffer.concat(err).toString(),
  }));
}

let tb: TestBroker;
const port = () => String(tb.port);

/** Waits until the broker holds `n` subscriptions, i.e. a `sub` is ready. */
async function subscribed(n = 1): Promise<void> {
  await expect
    .poll(() => tb.broker.stats().subscriptionCount, { timeout: 5000, message: `${n} subscription(s)` })
    .toBeGreaterThanOrEqual(n);
}

describe('midge pub / midge sub', () => {
  beforeEach(async () => {
    tb = await createTestBroker();
  });
  afterEach(async () => {
    await tb.close();
  });

  it('round trip with -v and -C, at each QoS', async () => {
    const sub = run(runSub, ['-p', port(), '-t', 'cli/#', '-q', '2', '-v', '-C', '3']);
    await subscribed();
    for (const q of ['0', '1', '2']) {
      expect(
        await run(runPub, ['-h', '127.0.0.1', '-p', port(), '-t', `cli/q${q}`, '-q', q, '-m', `hello ${q}`]),
      ).toEqual({ code: 0, stdout: '', stderr: '' });
    }
    const r = await sub;
    expect(r).toEqual({ code: 0, stdout: 'cli/q0 hello 0\ncli/q1 hello 1\ncli/q2 hello 2\n', stderr: '' });
  });

  it('-l publishes one message per stdin line; -f a file; -n an empty message', async () => {
    const sub = run(runSub, ['-p', port(), '-t', 'in/#', '-C', '4', '-q', '1']);
    await subscribed();
    expect((await run(runPub, ['-p', port(), '-t', 'in/lines', '-q', '1', '-l'], { stdin: 'one\ntwo\n' })).code).toBe(
      0,
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'midge-pub-'));
    try {
      writeFileSync(path.join(dir, 'msg.txt'), 'from a file');
      expect(
        (await run(runPub, ['-p', port(), '-t', 'in/file', '-q', '1', '-f', path.join(dir, 'msg.txt')])).code,
      ).toBe(0);
    } finally {
      rmSync(dir, { recursive: true });
    }
    expect((await run(runPub, ['-p', port(), '-t', 'in/null', '-q', '1', '-n'])).code).toBe(0);
    expect((await sub).stdout).toBe('one\ntwo\nfrom a file\n\n');
  });

  it('-s publishes all of stdin as one message', async () => {
    const sub = run(runSub, ['-p', port(), '-t', 's', '-C', '1']);
    await subscribed();
    await run(runPub, ['-p', port(), '-t', 's', '-s'], { stdin: 'a\nb\n' });
    expect((await sub).stdout).toBe('a\nb\n\n');
  });

  it('-r retains: a later sub sees the message', async () => {
    expect((await run(runPub, ['-p', port(), '-t', 'ret/1', '-m', 'kept', '-r', '-q', '1'])).code).toBe(0);
    const r = await run(runSub, ['--url', `mqtt://127.0.0.1:${port()}`, '-t', 'ret/#', '-v', '-C', '1']);
    expect(r).toEqual({ code: 0, stdout: 'ret/1 kept\n', stderr: '' });
  });

  it('sub ends cleanly with exit 0 on SIGINT (io.signal)', async () => {
    const ac = new AbortController();
    const sub = run(runSub, ['-p', port(), '-t', 'x'], { signal: ac.signal });
    await subscribed();
    ac.abort();
    expect(await sub).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('a file that cannot be read exits 1 naming it', async () => {
    const r = await run(runPub, ['-p', port(), '-t', 'x', '-f', '/nonexistent/file']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('midge pub: cannot read /nonexistent/file: no such file\n');
  });

  it('an unreachable broker exits 1 with the reason', async () => {
    const closed = port();
    await tb.close();
    tb = await createTestBroker();
    const r = await run(runPub, ['-p', closed, '-t', 'x', '-m', 'y']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^midge pub: cannot connect to mqtt:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it('usage errors exit 2 with a hint', async () => {
    const unknown = await run(runSub, ['-p', port(), '-t', 'x', '--topik', 'y']);
    expect(unknown).toEqual({
      code: 2,
      stdout: '',
      stderr: "midge sub: unknown option --topik (did you mean --topic?); see 'midge sub --help'\n",
    });
    const noMessage = await run(runPub, ['-t', 'x']);
    expect(noMessage.code).toBe(2);
    expect(noMessage.stderr).toContain('give exactly one of -m MESSAGE, -f FILE, -l, -n or -s');
    const badQos = await run(runPub, ['-t', 'x', '-m', 'y', '-q', '3']);
    expect(badQos.stderr).toBe("midge pub: -q must be an integer from 0 to 2, got '3'; see 'midge pub --help'\n");
    expect((await run(runSub, ['-t', 'x', '-c'])).stderr).toContain('needs a client id');
  });

  it('-d logs packets to stderr through the packet logger plugin', async () => {
    const r = await run(runPub, ['-p', port(), '-t', 'dbg', '-m', 'x', '-q', '1', '-d', '-i', 'debugger']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/DEBUG .*-> connect/);
    expect(r.stderr).toMatch(/<- puback/);
  });

  it('maps will, TLS, version and session flags to client options', () => {
    const io = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: Readable.from([]) };
    const o = clientOptionsFrom(
      {
        'will-topic': 'w',
        'will-message': 'bye',
        'will-qos': '1',
        'will-retain': true,
        'ca-file': '/ca.pem',
        'disable-clean-session': true,
        id: 'me',
        'protocol-version': 'mqttv5',
        keepalive: '30',
      },
      io,
    );
    expect(o).toMatchObject({
      url: 'mqtts://127.0.0.1:8883',
      ca: '/ca.pem',
      clean: false,
      clientId: 'me',
      protocolVersion: 5,
      keepalive: 30,
      will: { topic: 'w', payload: 'bye', qos: 1, retain: true },
    });
    expect(clientOptionsFrom({ host: '::1', port: '1884' }, io).url).toBe('mqtt://[::1]:1884');
    expect(() => clientOptionsFrom({ 'will-qos': '1' }, io)).toThrow(/need --will-topic/);
  });

  it('--help and --version exit 0 on stdout', async () => {
    const help = await run(runPub, ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: midge pub');
    expect((await run(runSub, ['--version'])).stdout).toMatch(/^midge \S+ \(node v/);
  });
});

describe('authentication failures', () => {
  const auth = definePlugin({
    name: 'cli-test-auth',
    apiVersion: 1,
    setup: () => ({
      authenticate: ({ client, password }) =>
        client.username === 'bob' && password?.toString() === 'pw' ? allow : deny(),
    }),
  });
  beforeEach(async () => {
    tb = await createTestBroker({}, { plugins: [auth] });
  });
  afterEach(async () => {
    await tb.close();
  });

  it('exit 1 with "Connection refused: not authorised."', async () => {
    const pub = await run(runPub, ['-p', port(), '-t', 'x', '-m', 'y', '-u', 'bob', '-P', 'wrong']);
    expect(pub).toEqual({ code: 1, stdout: '', stderr: 'midge pub: Connection refused: not authorised.\n' });
    const sub = await run(runSub, ['-p', port(), '-t', 'x', '-V', '5']);
    expect(sub.code).toBe(1);
    expect(sub.stderr).toMatch(/^midge sub: Connection refused: /);
  });

  it('right credentials work, from flags or the URL', async () => {
    expect((await run(runPub, ['-p', port(), '-t', 'x', '-m', 'y', '-u', 'bob', '-P', 'pw'])).code).toBe(0);
    expect((await run(runPub, ['-L', `mqtt://bob:pw@127.0.0.1:${port()}`, '-t', 'x', '-m', 'y'])).code).toBe(0);
  });
});

const hasClients = existsSync('/usr/bin/mosquitto_sub') && existsSync('/usr/bin/mosquitto_pub');
if (!hasClients)
  console.warn('skipping the mosquitto_pub/mosquitto_sub interop tests: mosquitto-clients is not installed');

describe.skipIf(!hasClients && process.env.CI === undefined)(
  'interop with mosquitto-clients (against a Midge broker)',
  () => {
    beforeAll(async () => {
      tb = await createTestBroker();
    });
    afterAll(async () => {
      await tb.close();
    });

    function spawnCollect(cmd: string, args: string[]): Promise<Run> {
      return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
    }

    it('midge pub → mosquitto_sub', async () => {
      const before = tb.broker.stats().subscriptionCount;
      const sub = spawnCollect('/usr/bin/mosquitto_sub', [
        '-h',
        '127.0.0.1',
        '-p',
        port(),
        '-t',
        'mq/#',
        '-v',
        '-C',
        '1',
        '-q',
        '1',
      ]);
      await subscribed(before + 1);
      expect((await run(runPub, ['-p', port(), '-t', 'mq/a', '-q', '1', '-m', 'to mosquitto'])).code).toBe(0);
      expect(await sub).toEqual({ code: 0, stdout: 'mq/a to mosquitto\n', stderr: '' });
    });

    it('mosquitto_pub → midge sub', async () => {
      const before = tb.broker.stats().subscriptionCount;
      const sub = run(runSub, ['-p', port(), '-t', 'mq2/#', '-v', '-C', '1', '-q', '2']);
      await subscribed(before + 1);
      const pub = await spawnCollect('/usr/bin/mosquitto_pub', [
        '-h',
        '127.0.0.1',
        '-p',
        port(),
        '-t',
        'mq2/b',
        '-q',
        '2',
        '-m',
        'from mosquitto',
      ]);
      expect(pub.code).toBe(0);
      expect(await sub).toEqual({ code: 0, stdout: 'mq2/b from mosquitto\n', stderr: '' });
    });
  },
);
