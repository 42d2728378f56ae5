import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestBroker, type TestBroker } from '../../src/testing/index.js';
import { until as untilWithin } from '../broker/helpers.js';

const hasMosquitto = spawnSync('mosquitto_pub', ['--help']).error === undefined;
if (!hasMosquitto) {
  console.warn(
    'mosquitto interop tests SKIPPED: mosquitto_pub/mosquitto_sub not found (apt-get install mosquitto-clients)',
  );
}

let tb: TestBroker;
let certDir = '';
afterEach(async () => {
  await tb?.close();
});

beforeAll(() => {
  if (!hasMosquitto) {
    // In CI the tests below run anyway (no skip): fail them with the reason rather than a spawn error.
    if (process.env.CI !== undefined)
      throw new Error('mosquitto_pub/mosquitto_sub not found: CI must install mosquitto-clients (.ci/run)');
    return;
  }
  // A throwaway self-signed certificate for 127.0.0.1.
  certDir = mkdtempSync(join(tmpdir(), 'midge-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-keyout',
      join(certDir, 'key.pem'),
      '-out',
      join(certDir, 'cert.pem'),
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
});
afterAll(() => {
  if (certDir !== '') rmSync(certDir, { recursive: true, force: true });
});

function run(cmd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `until` with the longer default these tests need: each command starts a process. */
const until = (fn: () => boolean, ms = 5000): Promise<void> => untilWithin(fn, ms);

for (const secure of [false, true]) {
  describe.skipIf(!hasMosquitto && process.env.CI === undefined)(
    `mosquitto_pub / mosquitto_sub over ${secure ? 'tls' : 'tcp'}`,
    () => {
      let conn: string[] = [];
      const start = async (): Promise<void> => {
        const listener = secure
          ? {
              type: 'tcp',
              bind: '127.0.0.1:0',
              ssl: true,
              certfile: join(certDir, 'cert.pem'),
              keyfile: join(certDir, 'key.pem'),
            }
          : { type: 'tcp', bind: '127.0.0.1:0' };
        tb = await createTestBroker({ listeners: { default: listener } });
        conn = ['-h', '127.0.0.1', '-p', String(tb.port), ...(secure ? ['--cafile', join(certDir, 'cert.pem')] : [])];
      };

      for (const qos of ['0', '1', '2']) {
        it(`delivers at QoS ${qos}`, async () => {
          await start();
          const sub = run('mosquitto_sub', [...conn, '-t', 'm/#', '-q', qos, '-C', '2', '-v', '-W', '10']);
          await until(() => tb.broker.stats().subscriptionCount === 1);
          for (const m of ['one', 'two']) {
            const pub = await run('mosquitto_pub', [...conn, '-t', `m/${qos}`, '-m', m, '-q', qos]);
            expect(pub.code, pub.stderr).toBe(0);
          }
          const out = await sub;
          expect(out.code, out.stderr).toBe(0);
          expect(out.stdout.trim().split('\n')).toEqual([`m/${qos} one`, `m/${qos} two`]);
        });
      }

      it('works with MQTT 5 clients (-V 5) at QoS 2', async () => {
        await start();
        const sub = run('mosquitto_sub', [...conn, '-V', '5', '-t', 'v5/#', '-q', '2', '-C', '1', '-v', '-W', '10']);
        await until(() => tb.broker.stats().subscriptionCount === 1);
        const pub = await run('mosquitto_pub', [
          ...conn,
          '-V',
          '5',
          '-t',
          'v5/x',
          '-m',
          'five',
          '-q',
          '2',
          '-D',
          'publish',
          'user-property',
          'k',
          'v',
        ]);
        expect(pub.code, pub.stderr).toBe(0);
        const out = await sub;
        expect(out.code, out.stderr).toBe(0);
        expect(out.stdout.trim()).toBe('v5/x five');
      });

      it('shares a $share/{name}/{filter} subscription between two mosquitto_sub (-V 5 and 3.1.1)', async () => {
        await start();
        const common = ['-t', '$share/g/shared/#', '-q', '1', '-v', '-W', '10'];
        const subs = [
          run('mosquitto_sub', [...conn, '-V', '5', '-i', 'm5', '-C', '3', ...common]),
          run('mosquitto_sub', [...conn, '-V', '311', '-i', 'm4', '-C', '3', ...common]),
        ];
        await until(() => tb.broker.stats().subscriptionCount === 2);
        for (let i = 0; i < 6; i++) {
          const pub = await run('mosquitto_pub', [...conn, '-t', `shared/${i}`, '-m', `n${i}`, '-q', '1']);
          expect(pub.code, pub.stderr).toBe(0);
        }
        const outs = await Promise.all(subs);
        for (const out of outs) expect(out.code, out.stderr).toBe(0);
        const lines = outs.flatMap((o) => o.stdout.trim().split('\n'));
        expect(lines.sort()).toEqual(Array.from({ length: 6 }, (_, i) => `shared/${i} n${i}`));
      });

      it('publishes the will of a mosquitto_sub that is killed, with its QoS and retain flag', async () => {
        await start();
        const watcher = run('mosquitto_sub', [...conn, '-t', 'will/#', '-q', '1', '-C', '1', '-v', '-W', '10']);
        await until(() => tb.broker.stats().subscriptionCount === 1);
        const dying = spawn('mosquitto_sub', [
          ...conn,
          '-i',
          'dying',
          '-t',
          'unused',
          '--will-topic',
          'will/dying',
          '--will-payload',
          'gone',
          '--will-qos',
          '1',
          '--will-retain',
        ]);
        await until(() => tb.broker.stats().subscriptionCount === 2);
        // SIGKILL: the socket closes without DISCONNECT, so the will must fire [MQTT-3.1.2-8].
        dying.kill('SIGKILL');
        const out = await watcher;
        expect(out.code, out.stderr).toBe(0);
        expect(out.stdout.trim()).toBe('will/dying gone');
        // Retained [MQTT-3.1.2-17]: a later subscriber gets it too.
        const late = await run('mosquitto_sub', [
          ...conn,
          '-t',
          'will/#',
          '-C',
          '1',
          '-v',
          '-W',
          '10',
          '-q',
          '1',
          '-F',
          '%t %p r=%r q=%q',
        ]);
        expect(late.stdout.trim()).toBe('will/dying gone r=1 q=1');
      });

      it('does not publish the will of a mosquitto_pub that disconnects normally [MQTT-3.1.2-10]', async () => {
        await start();
        const pub = await run('mosquitto_pub', [
          ...conn,
          '-t',
          'x',
          '-m',
          'm',
          '--will-topic',
          'will/clean',
          '--will-payload',
          'no',
          '--will-retain',
        ]);
        expect(pub.code, pub.stderr).toBe(0);
        await until(() => tb.broker.stats().clientsConnected === 0);
        expect(tb.broker.api.getRetained('will/clean')).toBeUndefined();
      });

      it('keeps retained messages (and 3.1 clients work)', async () => {
        await start();
        const pub = await run('mosquitto_pub', [
          ...conn,
          '-t',
          'ret/x',
          '-m',
          'kept',
          '-q',
          '1',
          '-r',
          '-V',
          'mqttv31',
        ]);
        expect(pub.code, pub.stderr).toBe(0);
        const sub = await run('mosquitto_sub', [...conn, '-t', 'ret/#', '-C', '1', '-v', '-W', '10', '-q', '2']);
        expect(sub.code, sub.stderr).toBe(0);
        expect(sub.stdout.trim()).toBe('ret/x kept');
      });
    },
  );
}
