/**
 * Two real brokers, A and B, that load this package by its name as a YAML config would (a harness runs
 * one broker, so each has its own), and MQTT 5 raw clients for them. Everything is closed after each test.
 */
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import type { Packet, PublishPacket, PublishProperties, QoS } from '@midge/mqtt-core';
import { pluginTestHarness } from '@midge/mqtt-core/testing';
import type { PluginTestHarness, RawClient } from '@midge/mqtt-core/testing';

export const packageDir = fileURLToPath(new URL('..', import.meta.url));
export const PLUGIN_KEY = '@midge/plugin-bus-redis';

export const brokerA = pluginTestHarness(packageDir);
export const brokerB = pluginTestHarness(packageDir);
afterEach(async () => {
  await Promise.all([brokerA.close(), brokerB.close()]);
});

/** Starts `harness`'s broker with this plugin on `url` as `node_id`. */
export function startWithBus(harness: PluginTestHarness, url: string, nodeId: string, options: Record<string, unknown> = {}) {
  return harness.startBroker({ [PLUGIN_KEY]: { url, node_id: nodeId, ...options } });
}

let packetId = 0;
const nextPacketId = (): number => (packetId = (packetId % 0xffff) + 1);

/** An MQTT 5 client of `harness`'s broker, subscribed to `filters` at QoS 1. */
export async function subscriberV5(harness: PluginTestHarness, ...filters: string[]): Promise<RawClient> {
  const client = await harness.connected({ protocolVersion: 5 });
  client.send({ type: 'subscribe', packetId: nextPacketId(), subscriptions: filters.map((topic) => ({ topic, qos: 1 as const })) }, 5);
  const suback = await client.expectPacket('suback');
  if (suback.reasonCodes.some((code) => code !== 1)) throw new Error(`subscription refused: ${suback.reasonCodes.join(', ')}`);
  return client;
}

/** Publishes from an MQTT 5 client; at QoS 1 waits for the PUBACK (the broker has routed it by then). */
export async function publishV5(
  client: RawClient,
  topic: string,
  payload: string,
  options: { qos?: QoS; retain?: boolean; properties?: PublishProperties } = {},
): Promise<void> {
  const qos = options.qos ?? 0;
  client.send(
    {
      type: 'publish',
      topic,
      payload: Buffer.from(payload),
      qos,
      retain: options.retain ?? false,
      dup: false,
      ...(qos > 0 ? { packetId: nextPacketId() } : {}),
      ...(options.properties === undefined ? {} : { properties: options.properties }),
    },
    5,
  );
  if (qos === 1) await client.expectPacket('puback');
}

export interface Received {
  readonly topic: string;
  readonly payload: string;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly userProperties?: readonly (readonly [string, string])[];
  readonly contentType?: string;
}

/**
 * The PUBLISH packets `client` receives: waits for `count` of them (up to 3 s each), then keeps reading
 * until nothing arrives for `quietMs` (or 10 more came), so that duplicates and looped-back copies are in
 * the result too.
 * QoS 1 deliveries are acknowledged.
 */
export async function receive(client: RawClient, count: number, quietMs = 300): Promise<Received[]> {
  const out: Received[] = [];
  const take = (packet: PublishPacket): void => {
    if (packet.qos === 1) client.send({ type: 'puback', packetId: packet.packetId! }, 5);
    const props = packet.properties;
    out.push({
      topic: packet.topic,
      payload: packet.payload.toString(),
      qos: packet.qos,
      retain: packet.retain,
      ...(props?.userProperties === undefined ? {} : { userProperties: props.userProperties }),
      ...(props?.contentType === undefined ? {} : { contentType: props.contentType }),
    });
  };
  while (out.length < count) take(await client.expectPacket('publish', 3000));
  // Bounded, so that a message looping between brokers fails the test instead of keeping it reading.
  while (out.length < count + 10) {
    let packet: Packet;
    try {
      packet = await client.next(quietMs);
    } catch (err) {
      if ((err as Error).message.startsWith('no packet within')) return out;
      throw err;
    }
    if (packet.type !== 'publish') throw new Error(`expected PUBLISH, got ${JSON.stringify(packet)}`);
    take(packet);
  }
  return out;
}

/** Waits until `condition` holds (polling), or throws after `ms`. */
export async function until(condition: () => boolean, ms = 3000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
