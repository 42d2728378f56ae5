/**
 * Persistent sessions that outlive their node, across real broker processes on a real nats-server with
 * JetStream: a node is killed with SIGKILL and its sessions resume on another node with every QoS 1 message
 * their publishers had acknowledged (stored in JetStream before the PUBACK), offline or connected.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { RawClient } from '@midge/mqtt-core/testing';
import { describe, expect, it } from 'vitest';
import type { MidgeNode } from './midge-node.js';
import { CLUSTER_PASSWORD, CLUSTER_USER, survivorsAndDoomed } from './cluster-node.js';
import { MARKER_TOPIC, markerFrom, mqttClient, publish, receive, subscribe, until } from './mqtt.js';
import { hasNatsServer } from './nats-server.js';
import { clientIdKey } from '../src/registry-names.js';

let ids = 0;
const clientId = (what: string): string => `${what}-${++ids}-${randomBytes(3).toString('hex')}`;

/** A persistent MQTT 5 session on `node` (clean start 0, expiry one hour); its CONNACK's session present flag. */
async function persistent(
  node: MidgeNode,
  id: string,
  clean = false,
): Promise<{ client: RawClient; present: boolean }> {
  const client = await RawClient.connect(node.port);
  const connack = await client.connect({
    protocolVersion: 5,
    clientId: id,
    clean,
    properties: { sessionExpiryInterval: 3600 },
  });
  if (connack.reasonCode !== 0) throw new Error(`CONNACK 0x${connack.reasonCode.toString(16)} from ${node.name}`);
  return { client, present: connack.sessionPresent };
}

describe.skipIf(!hasNatsServer && process.env.CI === undefined)('persistent sessions of a dead node', () => {
  const cluster = survivorsAndDoomed();

  /** The record of `id` in the sessions bucket (undefined: none). */
  async function recordOf(id: string): Promise<Record<string, unknown> | undefined> {
    const nc = await connect({ servers: cluster.nats.first.url, user: CLUSTER_USER, pass: CLUSTER_PASSWORD });
    try {
      const kv = await new Kvm(nc).open('midge_sessions');
      const entry = await kv.get(clientIdKey(id) ?? '');
      return entry?.operation === 'PUT' ? entry.json<Record<string, unknown>>() : undefined;
    } finally {
      await nc.close();
    }
  }

  it('resumes an offline session of a killed node on another node with every acknowledged QoS 1 message', async () => {
    const a = await cluster.doomed('a1');
    const id = clientId('offline');
    const first = await persistent(a, id);
    await subscribe(first.client, a, ['sess/#', MARKER_TOPIC]);
    await first.client.disconnect(5);
    // Acknowledged by b: in JetStream before each PUBACK.
    const publisher = await mqttClient(cluster.b);
    for (let i = 0; i < 20; i++) await publish(publisher, `sess/${i}`, `m${i}`, 1);
    await a.kill();

    const back = await persistent(cluster.c, id);
    expect(back.present).toBe(true);
    const got = await receive(back.client, 20, markerFrom(publisher));
    expect(got.map((m) => m.payload)).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(got.every((m) => m.qos === 1)).toBe(true);
    expect(cluster.c.warnings(/could not be rebuilt/)).toEqual([]);
    // The session lives on c now: its record says so.
    await until(async () => (await recordOf(id))?.node === 'c', 5000, 'the record written by c');
    back.client.destroy();
  }, 40_000);

  it('gives a session connected on the killed node the messages it had not acknowledged, and those sent meanwhile', async () => {
    const a = await cluster.doomed('a2');
    const id = clientId('online');
    const first = await persistent(a, id);
    await subscribe(first.client, a, ['live/#', MARKER_TOPIC]);
    const publisher = await mqttClient(cluster.b);
    for (let i = 0; i < 5; i++) await publish(publisher, `live/${i}`, `before${i}`, 1);
    // Received on a, never acknowledged.
    for (let i = 0; i < 5; i++) expect((await first.client.expectPacket('publish', 5000)).topic).toBe(`live/${i}`);
    await a.kill();
    first.client.destroy();
    for (let i = 0; i < 5; i++) await publish(publisher, `live/${5 + i}`, `after${i}`, 1);

    const back = await persistent(cluster.c, id);
    expect(back.present).toBe(true);
    const got = await receive(back.client, 10, markerFrom(publisher));
    expect(got.map((m) => m.payload)).toEqual([
      ...Array.from({ length: 5 }, (_, i) => `before${i}`),
      ...Array.from({ length: 5 }, (_, i) => `after${i}`),
    ]);
    back.client.destroy();
  }, 40_000);

  it('keeps what a session had queued across a restart of its node from its store, for a resume after a later kill', async () => {
    const store = await mkdtemp(join(tmpdir(), 'midge-sessions-'));
    try {
      let a = await cluster.doomed('a4', { persistencePath: store });
      const id = clientId('restart');
      const first = await persistent(a, id);
      await subscribe(first.client, a, ['keep/#', MARKER_TOPIC]);
      await first.client.disconnect(5);
      const publisher = await mqttClient(cluster.b);
      for (let i = 0; i < 5; i++) await publish(publisher, `keep/${i}`, `old${i}`, 1);
      // Longer ago than the margin a fresh record would start from.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await a.stop();
      a = await cluster.doomed('a4', { persistencePath: store });
      await a.waitFor((r) => /registered the sessions restored here/.test(r.msg ?? ''));
      for (let i = 0; i < 5; i++) await publish(publisher, `keep/${5 + i}`, `new${i}`, 1);
      await a.kill();
      const back = await persistent(cluster.c, id);
      expect(back.present).toBe(true);
      const got = await receive(back.client, 10, markerFrom(publisher));
      expect(got.map((m) => m.payload)).toEqual([
        ...Array.from({ length: 5 }, (_, i) => `old${i}`),
        ...Array.from({ length: 5 }, (_, i) => `new${i}`),
      ]);
      back.client.destroy();
    } finally {
      await rm(store, { recursive: true, force: true });
    }
  }, 60_000);

  it("drops the record of a dead node's session when its client id starts clean elsewhere", async () => {
    const a = await cluster.doomed('a3');
    const id = clientId('clean');
    const first = await persistent(a, id);
    await subscribe(first.client, a, ['gone/#']);
    await until(async () => (await recordOf(id)) !== undefined, 5000, 'the record written by a');
    await a.kill();
    const fresh = await persistent(cluster.c, id, true);
    expect(fresh.present).toBe(false);
    await until(async () => (await recordOf(id))?.node !== 'a3', 5000, "the dead node's record gone");
    fresh.client.destroy();
  }, 40_000);
});
