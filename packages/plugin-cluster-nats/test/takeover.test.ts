/**
 * The client-id registry across real broker processes on a real nats-server with JetStream: a client id
 * lives on one node at a time [MQTT-3.1.4-3], a persistent session follows its client to another node
 * with its queued messages, a delayed will is cancelled when the client comes back on another node.
 */
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import type { RawClient } from '@midge/mqtt-core/testing';
import { RawClient as Raw } from '@midge/mqtt-core/testing';
import { describe, expect, it } from 'vitest';
import type { MidgeNode } from './midge-node.js';
import { CLUSTER_NATS_USER, CLUSTER_PASSWORD, CLUSTER_USER, threeNodesOnOneServer } from './cluster-node.js';
import { MARKER_TOPIC, markerFrom, mqttClient, publish, receive, subscribe, subscriber, until } from './mqtt.js';
import { hasNatsServer } from './nats-server.js';

/** Another application's NATS user: denied the cluster's subjects and its JetStream state. */
const OTHER_APP = {
  user: 'other-app',
  password: 'other-secret',
  denyPublish: ['midge.>', '$KV.midge_clients.>', '$JS.API.>'],
};
const AUTH = { users: [CLUSTER_NATS_USER, OTHER_APP] };

let ids = 0;
const clientId = (what: string): string => `${what}-${++ids}-${randomBytes(3).toString('hex')}`;

/** A persistent MQTT 5 session: clean start 0, expiry one hour; `will` with its delay when given. */
async function persistentClient(
  node: MidgeNode,
  id: string,
  will?: { topic: string; payload: string; delay: number },
): Promise<{ client: RawClient; sessionPresent: boolean }> {
  const client = await Raw.connect(node.port);
  const connack = await client.connect({
    protocolVersion: 5,
    clientId: id,
    clean: false,
    properties: { sessionExpiryInterval: 3600 },
    ...(will === undefined
      ? {}
      : {
          will: {
            topic: will.topic,
            payload: Buffer.from(will.payload),
            qos: 1,
            retain: false,
            properties: { willDelayInterval: will.delay },
          },
        }),
  });
  if (connack.reasonCode !== 0) throw new Error(`CONNACK 0x${connack.reasonCode.toString(16)} from ${node.name}`);
  return { client, sessionPresent: connack.sessionPresent };
}

describe.skipIf(!hasNatsServer && process.env.CI === undefined)('the client-id registry', () => {
  const cluster = threeNodesOnOneServer(AUTH);

  it('closes the connection on A with DISCONNECT 0x8E when the client id connects to B [MQTT-3.1.4-3]', async () => {
    const id = clientId('kick');
    const onA = await Raw.connect(cluster.a.port);
    expect((await onA.connect({ protocolVersion: 5, clientId: id })).reasonCode).toBe(0);
    const onB = await Raw.connect(cluster.b.port);
    expect((await onB.connect({ protocolVersion: 5, clientId: id })).reasonCode).toBe(0);
    const disconnect = await onA.expectPacket('disconnect', 5000);
    expect(disconnect.reasonCode).toBe(0x8e);
    await onA.closed();
    expect(onB.closedYet).toBe(false);
    onB.destroy();
  });

  it('moves a persistent session from A to B with its subscriptions and queued messages, in order', async () => {
    const id = clientId('mover');
    const first = await persistentClient(cluster.a, id);
    expect(first.sessionPresent).toBe(false);
    await subscribe(first.client, cluster.a, ['move/#', MARKER_TOPIC]);
    await first.client.disconnect(5);
    // Queued on A while the client is away, published from C.
    const publisher = await mqttClient(cluster.c);
    for (let i = 0; i < 20; i++) await publish(publisher, `move/${i}`, `m${i}`, 1);
    // A holds 20 queued messages: the client comes back on B.
    const second = await persistentClient(cluster.b, id);
    expect(second.sessionPresent).toBe(true);
    const got = await receive(second.client, 20, markerFrom(publisher));
    expect(got.map((m) => m.payload)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    // Its subscription lives on B now: a new message reaches it there.
    await publish(publisher, 'move/after', 'after', 1);
    const after = await receive(second.client, 1, markerFrom(publisher));
    expect(after.map((m) => m.payload)).toEqual(['after']);
    // And back to A: the session comes back from B, with nothing stale left on A.
    await second.client.disconnect(5);
    await publish(publisher, 'move/back', 'back', 1);
    const third = await persistentClient(cluster.a, id);
    expect(third.sessionPresent).toBe(true);
    const back = await receive(third.client, 1, markerFrom(publisher));
    expect(back.map((m) => m.payload)).toEqual(['back']);
    third.client.destroy();
  });

  it('cancels a delayed will when the client comes back on another node within the delay [MQTT-3.1.3-9]', async () => {
    const id = clientId('will');
    const watcher = await subscriber(cluster.c, 'wills/#', MARKER_TOPIC);
    const { client } = await persistentClient(cluster.a, id, { topic: `wills/${id}`, payload: 'gone', delay: 2 });
    // Not a DISCONNECT: the will is due in 2 s.
    client.destroy();
    await until(() => client.closedYet, 5000, 'the socket to close');
    const back = await persistentClient(cluster.b, id);
    expect(back.sessionPresent).toBe(true);
    // Past the will's deadline, the marker passes where the will would have gone.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const publisher = await mqttClient(cluster.c);
    const seen = await receive(watcher, 0, markerFrom(publisher));
    expect(seen).toEqual([]);
    back.client.destroy();
  });

  it('publishes the will as any takeover does when the will has no delay', async () => {
    const id = clientId('will0');
    const watcher = await subscriber(cluster.c, 'wills0/#', MARKER_TOPIC);
    const onA = await persistentClient(cluster.a, id, { topic: `wills0/${id}`, payload: 'taken', delay: 0 });
    const onB = await persistentClient(cluster.b, id);
    expect((await onA.client.expectPacket('disconnect', 5000)).reasonCode).toBe(0x8e);
    const publisher = await mqttClient(cluster.c);
    const seen = await receive(watcher, 1, markerFrom(publisher));
    expect(seen.map((m) => m.payload)).toEqual(['taken']);
    onB.client.destroy();
  });

  it('leaves one connection when one client id connects to A and B at the same time', async () => {
    const id = clientId('race');
    const [onA, onB] = await Promise.all([Raw.connect(cluster.a.port), Raw.connect(cluster.b.port)]);
    const [ackA, ackB] = await Promise.all([
      onA.connect({ protocolVersion: 5, clientId: id }),
      onB.connect({ protocolVersion: 5, clientId: id }),
    ]);
    expect([ackA.reasonCode, ackB.reasonCode]).toEqual([0, 0]);
    await until(() => onA.closedYet !== onB.closedYet, 5000, 'exactly one of the two connections to close');
    onA.destroy();
    onB.destroy();
  });

  it('keeps a NATS client without the cluster credentials out of the registry', async () => {
    const put = async (user: string, pass: string): Promise<number> => {
      const nc = await connect({ servers: cluster.nats.first.url, user, pass, reconnect: false });
      try {
        const kv = await new Kvm(nc).open('midge_clients');
        return await kv.put('eA', '{"node":"intruder"}', { timeout: 2000 });
      } finally {
        await nc.close();
      }
    };
    // The same write with the cluster's credentials goes through: the bucket and key are the real ones.
    await expect(put(CLUSTER_USER, CLUSTER_PASSWORD)).resolves.toBeGreaterThan(0);
    await expect(put(OTHER_APP.user, OTHER_APP.password)).rejects.toThrow();
  });
});
