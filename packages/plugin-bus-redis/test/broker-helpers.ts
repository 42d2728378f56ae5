/**
 * Two real brokers, A and B, that load this package by its name as a YAML config would (a harness runs
 * one broker, so each has its own), and MQTT 5 raw clients for them. Everything is closed after each test.
 */
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import type { Packet, PublishProperties, QoS } from '@midge/mqtt-core';
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
export function startWithBus(
  harness: PluginTestHarness,
  url: string,
  nodeId: string,
  options: Record<string, unknown> = {},
) {
  return harness.startBroker({ [PLUGIN_KEY]: { url, node_id: nodeId, ...options } });
}

let packetId = 0;
const nextPacketId = (): number => (packetId = (packetId % 0xffff) + 1);

/** An MQTT 5 client of `harness`'s broker, subscribed to `filters` at QoS 1. */
export async function subscriberV5(harness: PluginTestHarness, ...filters: string[]): Promise<RawClient> {
  const client = await harness.connected({ protocolVersion: 5 });
  client.send(
    {
      type: 'subscribe',
      packetId: nextPacketId(),
      subscriptions: filters.map((topic) => ({ topic, qos: 1 as const })),
    },
    5,
  );
  const suback = await client.expectPacket('suback');
  if (suback.reasonCodes.some((code) => code !== 1))
    throw new Error(`subscription refused: ${suback.reasonCodes.join(', ')}`);
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

/** Where `receive` markers go: every test's subscriptions cover it. */
export const MARKER_TOPIC = 't/marker';
let markers = 0;

/** A marker sender for `receive`: `client` publishes the marker at QoS 1 (the PUBACK awaited). */
export const markerFrom =
  (client: RawClient) =>
  (payload: string): Promise<void> =>
    publishV5(client, MARKER_TOPIC, payload, { qos: 1 });

/**
 * The PUBLISH packets `client` receives: waits for `count` of them (up to 3 s each), then has
 * `sendMarker` publish a marker to MARKER_TOPIC on a path ordered after what is being checked, and
 * reads up to it. MQTT and Redis keep each connection's order, so duplicates and looped-back copies
 * come before the marker and are in the result too, with no quiet period to wait out. Earlier markers
 * are left out; QoS 1 deliveries are acknowledged.
 */
export async function receive(
  client: RawClient,
  count: number,
  sendMarker: (payload: string) => Promise<unknown>,
): Promise<Received[]> {
  const out: Received[] = [];
  const marker = `marker-${++markers}`;
  /** Takes one PUBLISH; true once it is this call's marker. */
  const take = (packet: Packet): boolean => {
    if (packet.type !== 'publish') throw new Error(`expected PUBLISH, got ${JSON.stringify(packet)}`);
    if (packet.qos === 1) client.send({ type: 'puback', packetId: packet.packetId! }, 5);
    const payload = packet.payload.toString();
    if (packet.topic === MARKER_TOPIC) return payload === marker;
    const props = packet.properties;
    out.push({
      topic: packet.topic,
      payload,
      qos: packet.qos,
      retain: packet.retain,
      ...(props?.userProperties === undefined ? {} : { userProperties: props.userProperties }),
      ...(props?.contentType === undefined ? {} : { contentType: props.contentType }),
    });
    return false;
  };
  while (out.length < count) {
    if (take(await client.next(3000))) throw new Error(`the marker came before ${count} messages`);
  }
  await sendMarker(marker);
  // Bounded, so that a message looping between brokers fails the test instead of keeping it reading.
  while (!take(await client.next(3000))) {
    if (out.length >= count + 10) throw new Error(`more than ${count + 10} messages before the marker`);
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
