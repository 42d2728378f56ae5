/**
 * A Midge at the edge bridged to a real mosquitto, both directions, across a mosquitto restart: every
 * QoS 1 message acknowledged to its publisher arrives on the other side, in order. Mosquitto keeps the
 * sessions (the bridge's, for `in`; the test subscriber's) in its persistence file over the restart.
 * Without mosquitto installed the tests are skipped on a workstation and fail in CI.
 */
import type { TestBroker } from '@midge/mqtt-core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { bridgeState, endClients, publisher, sleep, startEdge, subscriber, waitFor } from './helpers.js';
import { hasMosquitto, MOSQUITTO, Mosquitto } from './mosquitto.js';

if (!hasMosquitto)
  console.warn(`skipping the mosquitto bridge tests: ${MOSQUITTO} is not installed (apt-get install mosquitto)`);

let edge: TestBroker | undefined;
let mosq: Mosquitto | undefined;
afterEach(async () => {
  await endClients();
  await edge?.close();
  await mosq?.remove();
  edge = mosq = undefined;
});

/** Distinct payloads in the order they first arrived (QoS 1 may bring one twice). */
function firstArrivals(messages: { payload: Buffer }[]): string[] {
  return [...new Set(messages.map((m) => m.payload.toString()))];
}

describe.skipIf(!hasMosquitto && process.env.CI === undefined)('Midge ↔ mosquitto bridge', () => {
  for (const protocol of [4, 5] as const) {
    it(`carries QoS 1 both ways across a mosquitto restart (MQTT ${protocol === 5 ? '5' : '3.1.1'})`, async () => {
      const m = (mosq = await Mosquitto.start());
      edge = await startEdge({
        cloud: {
          url: m.url,
          client_id: 'edge-1',
          protocol,
          reconnect_delay_min: 0.05,
          reconnect_delay_max: 0.5,
          topics: [
            { filter: 'sensors/#', direction: 'out', qos: 1, remote_prefix: 'site1/' },
            { filter: 'commands/#', direction: 'in', qos: 1, local_prefix: 'cloud/' },
          ],
        },
      });
      const e = edge;
      await waitFor(() => bridgeState(e, 'cloud') === 'connected', 'the bridge to connect');
      // Persistent subscribers on both sides, reconnecting by themselves.
      const persistent = { clean: false, reconnectInitialDelay: 0.05, reconnectRetries: -1, qos: 1 as const };
      const atMosq = await subscriber(m.url, ['site1/sensors/#'], {
        ...persistent,
        protocolVersion: 4,
        clientId: 'counter-out',
      });
      // Whether mosquitto gave the subscriber its session back after the restart (its persistence works).
      const resumed: boolean[] = [];
      atMosq.client.on('connect', (r) => resumed.push(r.sessionPresent));
      const atEdge = await subscriber(e.url, ['cloud/commands/#'], { qos: 1 });
      const edgePub = await publisher(e.url);
      const mosqPub = await publisher(m.url, { protocolVersion: 4, reconnectInitialDelay: 0.05, reconnectRetries: -1 });
      const N = 150;
      const send = async (from: number, to: number) => {
        for (let i = from; i < to; i++) {
          await edgePub.publish('sensors/t', `o${i}`, { qos: 1 });
          await mosqPub.publish('commands/c', `i${i}`, { qos: 1 });
        }
      };
      await send(0, 50);
      await m.stop();
      await waitFor(() => bridgeState(e, 'cloud') === 'disconnected', 'the bridge to see mosquitto gone');
      // Out: acknowledged by the edge while mosquitto is down; they wait in the bridge's session here.
      for (let i = 50; i < 100; i++) await edgePub.publish('sensors/t', `o${i}`, { qos: 1 });
      await m.restart();
      // In: published to mosquitto while the bridge may not be back yet; they wait in its session there.
      for (let i = 50; i < 100; i++) await mosqPub.publish('commands/c', `i${i}`, { qos: 1 });
      await send(100, N);
      await waitFor(
        () => firstArrivals(atMosq.messages).length === N && firstArrivals(atEdge.messages).length === N,
        `all ${N} messages on each side`,
        20_000,
      );
      expect(firstArrivals(atMosq.messages)).toEqual(Array.from({ length: N }, (_, i) => `o${i}`));
      expect(firstArrivals(atEdge.messages)).toEqual(Array.from({ length: N }, (_, i) => `i${i}`));
      expect(atMosq.messages.every((x) => x.topic === 'site1/sensors/t' && x.qos === 1)).toBe(true);
      expect(atEdge.messages.every((x) => x.topic === 'cloud/commands/c' && x.qos === 1)).toBe(true);
      expect(bridgeState(e, 'cloud')).toBe('connected');
      expect(resumed).toEqual([true]);
    });
  }

  it('QoS 0 and 2 cross too, and a v5 bridge on a topic bridged both ways does not loop', async () => {
    const m = (mosq = await Mosquitto.start());
    edge = await startEdge({
      cloud: {
        url: m.url,
        reconnect_delay_min: 0.05,
        topics: [{ filter: 'both/#', direction: 'both', qos: 2 }],
      },
    });
    const e = edge;
    await waitFor(() => bridgeState(e, 'cloud') === 'connected', 'the bridge to connect');
    const atMosq = await subscriber(m.url, ['both/#']);
    const atEdge = await subscriber(e.url, ['both/#']);
    await sleep(100);
    for (const qos of [0, 2] as const) {
      await (await publisher(e.url)).publish(`both/edge/${qos}`, `e${qos}`, { qos });
      await (await publisher(m.url)).publish(`both/mosq/${qos}`, `m${qos}`, { qos });
    }
    await waitFor(() => atMosq.messages.length >= 4 && atEdge.messages.length >= 4, 'both messages on both sides');
    await sleep(500);
    const seen = (ms: { topic: string; qos: number }[]) => ms.map((x) => `${x.topic}@${x.qos}`).sort();
    const expected = ['both/edge/0@0', 'both/edge/2@2', 'both/mosq/0@0', 'both/mosq/2@2'];
    expect(seen(atMosq.messages)).toEqual(expected);
    expect(seen(atEdge.messages)).toEqual(expected);
  });
});
