import { afterEach, describe, expect, it } from 'vitest';
import { MemoryPersistence } from '../../src/persistence/memory.js';
import type { PersistedMessage } from '../../src/persistence/types.js';
import { definePlugin } from '../../src/plugin-api/index.js';
import { createBroker } from '../../src/broker/broker.js';
import { nullLogger } from '../../src/log.js';
import type { Packet } from '../../src/codec/packets.js';
import { Harness } from './helpers.js';

// What readiness probes and metrics exporters read (issue 15): BrokerApi.health(), storeStats(), pluginMetrics().
const h = new Harness();
afterEach(() => h.stop());

/** An in-memory store whose retained writes fail while `failing` is set (a full disk, as the store sees it). */
class FlakyStore extends MemoryPersistence {
  failing = false;
  override setRetained(message: PersistedMessage): Promise<void> {
    if (this.failing) return Promise.reject(new Error('ENOSPC: no space left on device'));
    return super.setRetained(message);
  }
}

function retainedQos1(topic: string, packetId: number): Packet {
  return { type: 'publish', topic, payload: Buffer.from('x'), qos: 1, retain: true, dup: false, packetId };
}

describe('BrokerApi.health()', () => {
  it('is not ready before start and after close, ready while running', async () => {
    const broker = await createBroker(
      { listeners: { default: { type: 'tcp', bind: '127.0.0.1:0' } }, plugins: {} },
      { logger: nullLogger },
    );
    expect(broker.health().ready).toBe(false);
    expect(broker.health().checks[0]).toEqual({ name: 'listeners', ok: false, reason: 'the broker is not started' });
    await broker.start();
    const running = broker.health();
    expect(running.ready).toBe(true);
    expect(running.checks).toEqual([
      { name: 'listeners', ok: true, reason: '1 listener open' },
      { name: 'store', ok: true, reason: 'the store takes writes' },
    ]);
    await broker.close();
    expect(broker.health().ready).toBe(false);
    expect(broker.health().checks[0]).toEqual({ name: 'listeners', ok: false, reason: 'the broker is closed' });
  });

  it("reports each plugin's health hook, a throwing one as not ready, under the plugin's name", async () => {
    let joined = false;
    const cluster = definePlugin({
      name: 'cluster',
      apiVersion: 1,
      setup: () => ({ health: () => (joined ? { ready: true } : { ready: false, reason: 'joining the cluster' }) }),
    });
    const broken = definePlugin({
      name: 'broken',
      apiVersion: 1,
      setup: () => ({
        health: () => {
          throw new Error('boom');
        },
      }),
    });
    const tb = await h.start({}, { plugins: [cluster, broken] });
    const before = tb.broker.health();
    expect(before.ready).toBe(false);
    expect(before.checks.slice(2)).toEqual([
      { name: 'plugin:cluster', ok: false, reason: 'joining the cluster' },
      { name: 'plugin:broken', ok: false, reason: 'its health check failed: boom' },
    ]);
    joined = true;
    expect(tb.broker.health().checks[2]).toEqual({ name: 'plugin:cluster', ok: true, reason: 'ready' });
  });

  it('says the store is failing while its writes fail, and counts them; ready again once a write succeeds', async () => {
    const store = new FlakyStore();
    const tb = await h.start({}, { persistence: store });
    // MQTT 5: a message the store could not take is refused (a v3 client would be disconnected).
    const pub = await h.v5('pub');
    store.failing = true;
    pub.send(retainedQos1('r/1', 1), 5);
    const nack = await pub.expectPacket('puback');
    expect(nack.reasonCode).toBeGreaterThanOrEqual(0x80);
    const failing = tb.broker.storeStats();
    expect(failing).toMatchObject({ kind: 'FlakyStore', writeFailures: 1, pendingWrites: 0, congested: false });
    expect(failing.failing).toMatch(/ENOSPC/);
    expect(tb.broker.health()).toMatchObject({ ready: false });
    expect(tb.broker.health().checks[1]).toMatchObject({ name: 'store', ok: false });

    store.failing = false;
    pub.send(retainedQos1('r/2', 2), 5);
    await pub.expectPacket('puback');
    const ok = tb.broker.storeStats();
    expect(ok.writes).toBe(2);
    expect(ok.writeFailures).toBe(1);
    expect(ok.failing).toBeUndefined();
    expect(tb.broker.health().ready).toBe(true);
  });
});

describe('BrokerApi.pluginMetrics()', () => {
  it("gathers the plugins' figures by plugin name; one that throws is left out", async () => {
    let sent = 0;
    const counting = definePlugin({
      name: 'counting',
      apiVersion: 1,
      setup: () => ({
        metrics: () => [
          { name: 'bridge_messages_total', help: 'Messages bridged', type: 'counter', value: ++sent },
          { name: 'bridge_up', help: 'Remote reachable', type: 'gauge', value: 1, labels: { remote: 'cloud' } },
        ],
      }),
    });
    const throwing = definePlugin({
      name: 'throwing',
      apiVersion: 1,
      setup: () => ({
        metrics: () => {
          throw new Error('not now');
        },
      }),
    });
    const tb = await h.start({}, { plugins: [counting, throwing] });
    expect(tb.broker.pluginMetrics()).toEqual([
      {
        plugin: 'counting',
        metrics: [
          { name: 'bridge_messages_total', help: 'Messages bridged', type: 'counter', value: 1 },
          { name: 'bridge_up', help: 'Remote reachable', type: 'gauge', value: 1, labels: { remote: 'cloud' } },
        ],
      },
    ]);
    expect(tb.broker.pluginMetrics()[0]?.metrics[0]?.value).toBe(2);
  });
});
