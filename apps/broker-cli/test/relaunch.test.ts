/**
 * `midge` started without a young-generation flag starts Node again with one (src/relaunch.ts): the
 * broker must still stop, reload and exit as if it were the process that was started.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrokerProcess, withTempDir, type LogRecord } from './cli-process.js';

const CONFIG = `listeners:
  default:
    type: tcp
    bind: 127.0.0.1:0
log_level: debug
`;

/** A broker started as a user would (no NODE_OPTIONS), in a process group of its own. */
async function withBroker(run: (broker: BrokerProcess, brokerPid: number) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    await writeFile(join(dir, 'broker.yaml'), CONFIG);
    const broker = new BrokerProcess(['-c', 'broker.yaml'], dir, { NODE_OPTIONS: '' }, { detached: true });
    const listening = await broker.waitFor((r) => r.msg === 'listening');
    await run(broker, listening.pid as number);
  });
}

const said = (broker: BrokerProcess, msg: string) => broker.records.some((r: LogRecord) => r.msg === msg);

// Node 22.15+ replaces the process in place (process.execve): then there is no supervisor to test.
const supervised = typeof (process as { execve?: unknown }).execve !== 'function';

describe('the relaunched broker', () => {
  it('stops once, gracefully, on a Ctrl-C that reaches every process of the group', async () => {
    await withBroker(async (broker) => {
      broker.signalGroup('SIGINT');
      const done = await broker.exited;
      expect(done).toMatchObject({ code: 0, signal: null });
      expect(said(broker, 'stopped')).toBe(true);
      expect(broker.records.filter((r) => r.msg === 'shutting down')).toHaveLength(1);
      expect(broker.records.some((r) => typeof r.msg === 'string' && r.msg.startsWith('second signal'))).toBe(false);
    });
  });

  it('stops once on a SIGTERM sent to every process (as systemd stops a unit)', async () => {
    await withBroker(async (broker) => {
      broker.signalGroup('SIGTERM');
      expect(await broker.exited).toMatchObject({ code: 0, signal: null });
      expect(broker.records.filter((r) => r.msg === 'shutting down')).toHaveLength(1);
    });
  });
});

describe.runIf(supervised)('the supervising midge process (Node without process.execve)', () => {
  it('runs the broker in a child and passes SIGHUP and SIGTERM sent to itself on', async () => {
    await withBroker(async (broker, brokerPid) => {
      expect(brokerPid).not.toBe(broker.child.pid);
      broker.child.kill('SIGHUP');
      await broker.waitFor((r) => r.msg === 'reloaded');
      expect(await broker.stop('SIGTERM')).toMatchObject({ code: 0, signal: null });
      expect(said(broker, 'stopped')).toBe(true);
    });
  });

  it('obeys a signal sent to the broker process alone, and exits with its code', async () => {
    await withBroker(async (broker, brokerPid) => {
      process.kill(brokerPid, 'SIGTERM');
      expect(await broker.exited).toMatchObject({ code: 0, signal: null });
      expect(said(broker, 'stopped')).toBe(true);
    });
  });

  it('ends killed by the same signal as the broker', async () => {
    await withBroker(async (broker, brokerPid) => {
      process.kill(brokerPid, 'SIGKILL');
      expect(await broker.exited).toMatchObject({ code: null, signal: 'SIGKILL' });
    });
  });

  it('leaves no broker behind when it is killed itself', async () => {
    await withBroker(async (broker, brokerPid) => {
      await broker.stop('SIGKILL');
      // The broker notices that its supervisor is gone and stops as on SIGTERM.
      await expect.poll(() => isRunning(brokerPid), { timeout: 10_000 }).toBe(false);
    });
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
