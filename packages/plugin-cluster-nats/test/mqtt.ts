/**
 * MQTT 5 raw clients of the test nodes, and reading what they receive up to a marker. Every client is
 * closed after each test.
 */
import { afterEach } from 'vitest';
import type { Packet, QoS } from '@midge/mqtt-core';
import { RawClient } from '@midge/mqtt-core/testing';
import type { MidgeNode } from './midge-node.js';

const clients: RawClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

/** PUBLISH packets a client got before the SUBACK of its subscription: `receive` reads them first. */
const early = new WeakMap<RawClient, Packet[]>();
function earlyOf(client: RawClient): Packet[] {
  let list = early.get(client);
  if (list === undefined) early.set(client, (list = []));
  return list;
}

/** The next packet of `client`: one kept by `subscribe` first. */
export function nextOf(client: RawClient, timeoutMs: number): Promise<Packet> {
  const kept = early.get(client)?.shift();
  return kept !== undefined ? Promise.resolve(kept) : client.next(timeoutMs);
}

let packetId = 0;
const nextPacketId = (): number => (packetId = (packetId % 0xffff) + 1);
let clientCount = 0;

/**
 * A connected MQTT 5 client of `node`; `persistent`: with this client id, a session that outlives the
 * connection (clean start 0, expiry one hour).
 */
export async function mqttClient(node: MidgeNode, persistent?: string): Promise<RawClient> {
  const client = await RawClient.connect(node.port);
  clients.push(client);
  const connack = await client.connect(
    persistent === undefined
      ? { protocolVersion: 5, clientId: `c${++clientCount}` }
      : { protocolVersion: 5, clientId: persistent, clean: false, properties: { sessionExpiryInterval: 3600 } },
  );
  if (connack.reasonCode !== 0) throw new Error(`CONNACK 0x${connack.reasonCode.toString(16)} from ${node.name}`);
  return client;
}

/** An MQTT 5 client of `node` subscribed to `filters` at QoS 1 (SUBACK checked). */
export async function subscriber(node: MidgeNode, ...filters: string[]): Promise<RawClient> {
  return subscribe(await mqttClient(node), node, filters);
}

/** Subscribes `client` of `node` to `filters` at QoS 1 (SUBACK checked). */
export async function subscribe(client: RawClient, node: MidgeNode, filters: string[]): Promise<RawClient> {
  client.send(
    {
      type: 'subscribe',
      packetId: nextPacketId(),
      subscriptions: filters.map((topic) => ({ topic, qos: 1 as const })),
    },
    5,
  );
  // MQTT lets a server send what matches a new subscription before its SUBACK [MQTT-3.8.4]; a node does when
  // the SUBACK waits for the cluster's routes (awaitRoutes). Those messages are kept for `receive`.
  let suback: Packet;
  for (;;) {
    suback = await client.next(5000);
    if (suback.type !== 'publish') break;
    earlyOf(client).push(suback);
  }
  if (suback.type !== 'suback') throw new Error(`expected SUBACK, got ${JSON.stringify(suback)}`);
  if (suback.reasonCodes.some((code) => code !== 1))
    throw new Error(`subscription refused on ${node.name}: ${suback.reasonCodes.join(', ')}`);
  return client;
}

/** Publishes; at QoS 1 waits for the PUBACK (the broker has routed it, and handed it to NATS, by then). */
export async function publish(client: RawClient, topic: string, payload: string, qos: QoS = 0): Promise<void> {
  client.send(
    {
      type: 'publish',
      topic,
      payload: Buffer.from(payload),
      qos,
      retain: false,
      dup: false,
      ...(qos > 0 ? { packetId: nextPacketId() } : {}),
    },
    5,
  );
  if (qos === 1) await client.expectPacket('puback');
}

export interface Received {
  readonly topic: string;
  readonly payload: string;
  readonly qos: QoS;
}

/** Where markers go: every subscriber that `receive` reads must cover it. */
export const MARKER_TOPIC = 't/marker';
let markers = 0;

/** A marker sender for `receive`: `client` publishes the marker at QoS 1 (the PUBACK awaited). */
export const markerFrom =
  (client: RawClient) =>
  (payload: string): Promise<void> =>
    publish(client, MARKER_TOPIC, payload, 1);

/**
 * The PUBLISH packets `client` receives: waits for `count` of them (up to 5 s each), then has
 * `sendMarker` publish a marker on the path being checked and reads up to it. MQTT keeps each
 * connection's order and NATS each publisher's, so duplicates and copies that should not have come
 * arrive before the marker and are in the result too, with no quiet period to wait out. QoS 1
 * deliveries are acknowledged.
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
    if (packet.qos === 1 && packet.packetId !== undefined)
      client.send({ type: 'puback', packetId: packet.packetId }, 5);
    const payload = packet.payload.toString();
    if (packet.topic === MARKER_TOPIC) return payload === marker;
    out.push({ topic: packet.topic, payload, qos: packet.qos });
    return false;
  };
  while (out.length < count) {
    if (take(await nextOf(client, 5000))) throw new Error(`the marker came before ${count} messages`);
  }
  await sendMarker(marker);
  // Bounded, so that a message looping between nodes fails the test instead of keeping it reading.
  while (!take(await nextOf(client, 5000))) {
    if (out.length >= count + 50) throw new Error(`more than ${count + 50} messages before the marker`);
  }
  return out;
}

/** Waits until `condition` holds (polling), or throws after `ms`. */
export async function until(condition: () => boolean | Promise<boolean>, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
