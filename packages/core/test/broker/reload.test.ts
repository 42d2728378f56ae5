/** Broker.reload(config): what an embedder (or the CLI's SIGHUP) gets from applying a new config live. */
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/log.js';
import { RawClient } from '../../src/testing/index.js';
import { Harness } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

const base = { listeners: { default: { type: 'tcp', bind: '127.0.0.1:0' } }, plugins: {} };
const configOf = async (input: Record<string, unknown>) => (await loadConfig({ ...base, ...input })).config;
const portOf = (name: string): number | undefined => h.tb.broker.listeners().find((l) => l.name === name)?.port;

describe('Broker.reload(config)', () => {
  it('adds a listener, then removes it: its v5 clients get DISCONNECT 0x98, others stay', async () => {
    await h.start();
    const stays = await h.connected('stays');
    const added = await h.tb.broker.reload(
      await configOf({ listeners: { ...base.listeners, extra: { type: 'tcp', bind: '127.0.0.1:0' } } }),
    );
    const port = portOf('extra');
    expect(added.changes).toEqual([`listener extra added on 127.0.0.1:${port} (tcp)`]);
    expect(added.failures).toEqual([]);

    const onExtra = await RawClient.connect(port ?? 0);
    expect((await onExtra.connect({ protocolVersion: 5, clientId: 'on-extra' })).reasonCode).toBe(0);
    const removed = await h.tb.broker.reload(await configOf({}));
    expect(removed.changes).toEqual(['listener extra removed (1 client(s) disconnected)']);
    expect((await onExtra.expectPacket('disconnect')).reasonCode).toBe(0x98);
    await onExtra.closed();
    expect(portOf('extra')).toBeUndefined();
    await stays.expectNothingBeforePingresp();
  });

  it('a listener moved to a port in use stays as it was, the failure naming it once; connectedClients() is unchanged', async () => {
    await h.start();
    const client = await h.connected('stays');
    const before = h.tb.broker.connectedClients();
    expect(before.map((c) => c.client.clientId)).toEqual(['stays']);
    expect(before[0]?.connectedAt).toBeGreaterThan(Date.now() - 60_000);
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    try {
      const busy = (taken.address() as AddressInfo).port;
      const report = await h.tb.broker.reload(
        await configOf({ listeners: { default: { type: 'tcp', bind: `127.0.0.1:${busy}` } } }),
      );
      expect(report.failures).toHaveLength(1);
      expect(report.failures[0]).toMatch(/^listener default: cannot listen on 127\.0\.0\.1:\d+ \(listen EADDRINUSE/);
      expect(report.failures[0]).toMatch(/it stays as it was$/);
    } finally {
      taken.close();
    }
    expect(h.tb.broker.connectedClients().map((c) => c.client.clientId)).toEqual(['stays']);
    await client.expectNothingBeforePingresp();
  });

  it('reports settings only a restart applies, keeps their running value, and says so again next time', async () => {
    await h.start();
    const next = await configOf({ max_queued_messages: 5 });
    const first = await h.tb.broker.reload(next);
    expect(first).toEqual({ changes: [], failures: [], needsRestart: ['max_queued_messages'] });
    expect(h.tb.broker.config.max_queued_messages).not.toBe(5);
    expect((await h.tb.broker.reload(next)).needsRestart).toEqual(['max_queued_messages']);
    expect(await h.tb.broker.reload(await configOf({}))).toEqual({ changes: [], failures: [], needsRestart: [] });
  });

  it('changes the log level of the broker', async () => {
    const logger = createLogger({ level: 'info', destination: { write: () => true } });
    await h.start({}, { logger });
    expect(logger.isLevelEnabled('debug')).toBe(false);
    const report = await h.tb.broker.reload(await configOf({ log_level: 'debug' }));
    expect(report.changes).toEqual(['log level info -> debug']);
    expect(logger.isLevelEnabled('debug')).toBe(true);
  });

  it('without a config, only asks the plugins to re-read their files', async () => {
    await h.start();
    expect(await h.tb.broker.reload()).toEqual({ changes: [], failures: [], needsRestart: [] });
  });
});
