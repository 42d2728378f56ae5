// Receive authorization must not reorder one subscriber's messages of a topic [MQTT-4.6.0-5], even with
// a plugin that answers asynchronously on a cache miss and synchronously on a hit.
import { afterEach, describe, expect, it } from 'vitest';
import type { QoS } from '../../src/codec/packets.js';
import { allow, definePlugin } from '../../src/plugin-api/index.js';
import type { Decision } from '../../src/plugin-api/types.js';
import { Harness, publish } from '../broker/helpers.js';

const h = new Harness();
afterEach(() => h.stop());

/**
 * A caching `receive` check: the first decision for a (client, topic) is looked up asynchronously and
 * cached at once, so later ones are answered synchronously. The lookup completes only when the next
 * decision is asked, which pins down the case that reordered: a sync answer while an async one waits.
 */
function cachingPlugin() {
  const cached = new Set<string>();
  let lookup: (() => void) | undefined;
  return definePlugin({
    name: 'caching-receive',
    apiVersion: 1,
    setup: () => ({
      authorizeTopic: (req): Decision | Promise<Decision> => {
        if (req.action !== 'receive') return allow;
        const key = `${req.client.clientId}\n${req.topic}`;
        if (!cached.has(key)) {
          cached.add(key);
          return new Promise<Decision>((resolve) => (lookup = () => resolve(allow)));
        }
        const finish = lookup;
        lookup = undefined;
        finish?.();
        return allow;
      },
    }),
  });
}

describe('receive ordering', () => {
  it.each([0, 1] as const)(
    '[MQTT-4.6.0-5] QoS %i messages of one topic arrive in publish order when receive decisions mix async and sync',
    async (qos: QoS) => {
      await h.start({}, { plugins: [cachingPlugin()] });
      const subscriber = await h.subscriber('order/t', qos, 'subscriber');
      const publisher = await h.connected('publisher');
      for (const payload of ['1', '2', '3']) publish(publisher, 'order/t', payload, qos);
      const got: string[] = [];
      for (let i = 0; i < 3; i++) {
        const p = await subscriber.expectPacket('publish');
        got.push(p.payload.toString());
        if (p.qos === 1 && p.packetId !== undefined) subscriber.send({ type: 'puback', packetId: p.packetId });
      }
      expect(got).toEqual(['1', '2', '3']);
    },
  );
});
