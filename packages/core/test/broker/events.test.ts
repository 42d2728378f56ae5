import { afterEach, describe, expect, it } from 'vitest';
import { definePlugin } from '../../src/plugin-api/index.js';
import type { BrokerEventName } from '../../src/plugin-api/types.js';
import { Harness, publish, subscribe, until } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

describe('events', () => {
  it('every BrokerEvents event reaches plugin hooks and broker.on listeners', async () => {
    const seen: string[] = [];
    const names: BrokerEventName[] = [
      'broker:pre-start',
      'broker:post-start',
      'broker:pre-shutdown',
      'broker:post-shutdown',
      'client:connected',
      'client:disconnected',
      'client:subscribed',
      'client:unsubscribed',
      'message:received',
      'message:broadcast',
      'retained:set',
      'retained:cleared',
      'packet:received',
      'packet:sent',
    ];
    const plugin = definePlugin({
      name: 'watch',
      apiVersion: 1,
      setup: () => ({ events: Object.fromEntries(names.map((n) => [n, () => void seen.push(n)])) }),
    });
    const local: string[] = [];
    const tb = await h.start({}, { plugins: [plugin] });
    tb.broker.on('client:connected', (e) => local.push(`connected:${e.client.clientId}:${e.sessionPresent}`));
    const c = await h.connected('c');
    await subscribe(c, 'a');
    publish(c, 'a', 'x', 0, true);
    await c.expectPacket('publish');
    publish(c, 'a', '', 0, true);
    await c.expectPacket('publish');
    c.send({ type: 'unsubscribe', packetId: 1, topics: ['a'] });
    await c.expectPacket('unsuback');
    await c.disconnect();
    await until(() => seen.includes('client:disconnected'));
    await h.stop();
    expect(new Set(seen)).toEqual(new Set(names));
    expect(local).toEqual(['connected:c:false']);
  });

  it('client:disconnected says graceful only after DISCONNECT', async () => {
    const tb = await h.start();
    const got: [string, boolean][] = [];
    tb.broker.on('client:disconnected', (e) => got.push([e.client.clientId, e.graceful]));
    const a = await h.connected('a');
    const b = await h.connected('b');
    await a.disconnect();
    b.destroy();
    await until(() => got.length === 2);
    expect(got.sort()).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });
});
