/**
 * A SUBACK promises the messages other nodes publish after it: the node sends it once the NATS server has
 * the new subscription's subject (the core's `awaitRoutes` hook). Shown on a node whose link to NATS holds
 * what it sends for 200 ms: without the wait, a message published on another node right after the SUBACK
 * reaches NATS before the subscription does, and is lost.
 */
import { describe, expect, it } from 'vitest';
import { CLUSTER_NATS_USER, startNode } from './cluster-node.js';
import { MARKER_TOPIC, markerFrom, mqttClient, publish, receive, subscribe, subscriber } from './mqtt.js';
import { NatsFixture, hasNatsServer } from './nats-server.js';
import { slowLink } from './slow-link.js';

describe.skipIf(!hasNatsServer && process.env.CI === undefined)('SUBACK and the routes of other nodes', () => {
  it('a message published on another node right after the SUBACK reaches the subscriber, over a slow NATS link', async () => {
    const nats = await NatsFixture.single({ users: [CLUSTER_NATS_USER] });
    const link = await slowLink(nats.first.ports.client, 200);
    const a = await startNode('a', [nats.first.url]);
    const b = await startNode('b', [link.url], { cluster: { connect_timeout: 10 } });
    try {
      const publisher = await mqttClient(a);
      for (const i of [1, 2, 3]) {
        // subscriber() returns once the SUBACK came; the publish follows at once.
        const sub = await subscriber(b, `fresh/${i}`, MARKER_TOPIC);
        await publish(publisher, `fresh/${i}`, `m${i}`, 1);
        expect(await receive(sub, 1, markerFrom(publisher))).toEqual([
          { topic: `fresh/${i}`, payload: `m${i}`, qos: 1 },
        ]);
      }
      // Two clients subscribe to one new filter within the round trip: the second SUBACK waits for the same
      // confirmation as the first (its filter takes no new NATS subscription of its own).
      const [first, second] = await Promise.all([mqttClient(b), mqttClient(b)]);
      first.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'fresh/both', qos: 1 }] }, 5);
      await subscribe(second, b, ['fresh/both', MARKER_TOPIC]);
      await publish(publisher, 'fresh/both', 'to both', 1);
      expect(await receive(second, 1, markerFrom(publisher))).toEqual([
        { topic: 'fresh/both', payload: 'to both', qos: 1 },
      ]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await link.close();
      await nats.stop();
    }
  }, 60_000);
});
