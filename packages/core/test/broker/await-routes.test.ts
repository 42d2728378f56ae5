/**
 * `awaitRoutes` (one cluster plugin at most): the SUBACK of a SUBSCRIBE waits until the plugin's routes of
 * the new subscriptions are registered, and goes out anyway when the plugin fails or does not answer.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin } from '../../src/plugin-api/define.js';
import { memoryLogger, type LogRecord } from '../plugin-host/helpers.js';
import { Harness, publish, subscribe } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

function routesPlugin(name: string, awaitRoutes: () => Promise<void> | undefined) {
  return definePlugin({ name, apiVersion: 1, setup: () => ({ awaitRoutes }) });
}

describe('awaitRoutes', () => {
  it('holds the SUBACK, and the packets after the SUBSCRIBE, until the routes are registered', async () => {
    let release: () => void = () => undefined;
    let calls = 0;
    const plugin = routesPlugin('cluster', () => {
      calls++;
      return new Promise<void>((resolve) => (release = resolve));
    });
    await h.start({}, { plugins: [plugin] });
    const c = await h.connected('s');
    const acked = subscribe(c, 'r/1', 1);
    // A PUBLISH sent after the SUBSCRIBE is handled after it: its PUBACK follows the SUBACK.
    publish(c, 'other', 'x', 1, false, 7);
    // Nothing comes back while the routes are pending.
    await expect(c.next(150)).rejects.toThrow();
    expect(calls).toBe(1);
    release();
    expect(await acked).toEqual([1]);
    expect((await c.expectPacket('puback')).packetId).toBe(7);
  });

  it('sends the SUBACK when the plugin rejects or throws, logged under its name', async () => {
    let fail: 'reject' | 'throw' = 'reject';
    const plugin = routesPlugin('cluster', () => {
      if (fail === 'throw') throw new Error('no routes');
      return Promise.reject(new Error('no routes'));
    });
    const records: LogRecord[] = [];
    await h.start({}, { plugins: [plugin], logger: memoryLogger(records) });
    const c = await h.connected('s');
    expect(await subscribe(c, 'r/1', 1)).toEqual([1]);
    fail = 'throw';
    expect(await subscribe(c, 'r/2', 1)).toEqual([1]);
    expect(records.filter((r) => /awaitRoutes failed/.test(String(r.msg))).length).toBe(2);
  });

  it('sends the SUBACK after plugin_decision_timeout when the routes never come', async () => {
    const plugin = routesPlugin('cluster', () => new Promise<void>(() => undefined));
    const records: LogRecord[] = [];
    await h.start({ plugin_decision_timeout: 200 }, { plugins: [plugin], logger: memoryLogger(records) });
    const c = await h.connected('s');
    expect(await subscribe(c, 'r/1', 1)).toEqual([1]);
    expect(records.some((r) => /awaitRoutes did not settle/.test(String(r.msg)))).toBe(true);
  });

  it("is one plugin's hook at most", async () => {
    await expect(
      h.start({}, { plugins: [routesPlugin('one', () => undefined), routesPlugin('two', () => undefined)] }),
    ).rejects.toThrow(/awaitRoutes is already implemented by plugin 'one'/);
  });
});
