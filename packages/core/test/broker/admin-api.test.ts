import { afterEach, describe, expect, it } from 'vitest';
import type { Packet } from '../../src/codec/packets.js';
import { definePlugin } from '../../src/plugin-api/index.js';
import type { BrokerApi } from '../../src/plugin-api/types.js';
import { Harness } from './helpers.js';

// What an operator's tools read through the broker API (issue 15): one session in detail, the running
// config without its secrets, a reload as SIGHUP does it.
const h = new Harness();
afterEach(() => h.stop());

describe('BrokerApi for operators', () => {
  it('clientDetail() shows a connected session, its subscriptions with their options, then the same offline', async () => {
    const tb = await h.start();
    const c = await h.v5('dev-1', { clean: false, properties: { sessionExpiryInterval: 600 } });
    const subscribe: Packet = {
      type: 'subscribe',
      packetId: 1,
      subscriptions: [
        { topic: 'a/#', qos: 1, noLocal: true, retainAsPublished: true, retainHandling: 0 },
        { topic: 'b', qos: 0 },
      ],
      properties: { subscriptionIdentifier: [7] },
    };
    c.send(subscribe, 5);
    await c.expectPacket('suback');
    const detail = tb.broker.clientDetail('dev-1');
    expect(detail).toMatchObject({
      clientId: 'dev-1',
      connected: true,
      persistent: true,
      protocolVersion: 5,
      clean: false,
      listener: 'default',
      remoteAddress: '127.0.0.1',
      secure: false,
      expiryInterval: 600,
      queued: 0,
      inflight: 0,
      inboundQos2: 0,
      pendingWill: false,
    });
    expect(detail?.connectedAt).toBeGreaterThan(Date.now() - 10_000);
    expect(detail?.subscriptionList).toEqual([
      { filter: 'a/#', qos: 1, noLocal: true, retainAsPublished: true, subscriptionId: 7 },
      { filter: 'b', qos: 0, noLocal: false, retainAsPublished: false, subscriptionId: 7 },
    ]);
    c.send({ type: 'disconnect', reasonCode: 0 }, 5);
    await c.closed();
    const offline = tb.broker.clientDetail('dev-1');
    expect(offline).toMatchObject({ connected: false, connectedAt: undefined, subscriptions: 2 });
    expect(tb.broker.clientDetail('nobody')).toBeUndefined();
  });

  it('effectiveConfig() is the running config with secrets redacted', async () => {
    let api: BrokerApi | undefined;
    const probe = definePlugin({
      name: 'probe',
      apiVersion: 1,
      setup: (ctx) => {
        api = ctx.broker;
        return {};
      },
    });
    await h.start({ max_queued_messages: 77 }, { plugins: [probe] });
    const config = api!.effectiveConfig();
    expect(config['max_queued_messages']).toBe(77);
    expect(JSON.parse(JSON.stringify(config))).toEqual(config);
  });

  it('requestReload() runs the embedding application reload, one at a time, else the running config again', async () => {
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const tb = await h.start(
      {},
      {
        reloadHandler: async () => {
          order.push('start');
          await held;
          order.push('end');
          return { applied: false, errors: ['x: bad'], changes: [], failures: [], needsRestart: [] };
        },
      },
    );
    const first = tb.broker.requestReload();
    const second = tb.broker.requestReload();
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual(['start']);
    release();
    expect(await first).toEqual({ applied: false, errors: ['x: bad'], changes: [], failures: [], needsRestart: [] });
    await second;
    expect(order).toEqual(['start', 'end', 'start', 'end']);
    await h.stop();

    const plain = await h.start();
    expect(await plain.broker.requestReload()).toEqual({
      applied: true,
      errors: [],
      changes: [],
      failures: [],
      needsRestart: [],
    });
  });
});
