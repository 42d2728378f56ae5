/**
 * The cluster-wide retained store across real broker processes on a real nats-server with JetStream: one
 * value per topic on every node, for late joiners and restarted nodes too, clears and expiry everywhere,
 * one value on every node after an outage during which two nodes wrote different ones, and `$` topics
 * never in the cluster.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, headers } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { PublishProperties } from '@midge/mqtt-core';
import type { RawClient } from '@midge/mqtt-core/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_NATS_USER, CLUSTER_PASSWORD, CLUSTER_USER, startNode } from './cluster-node.js';
import type { MidgeNode } from './midge-node.js';
import { MARKER_TOPIC, mqttClient, nextOf, subscribe, until } from './mqtt.js';
import { NatsFixture, hasNatsServer } from './nats-server.js';
import type { NatsServer } from './nats-server.js';
import { encodeClusterMessage } from '../src/wire.js';
import { retainedRoot, retainedStream, retainedSubject } from '../src/retained-names.js';

interface RetainedSeen {
  readonly payload: string;
  readonly retain: boolean;
  readonly expiry: number | undefined;
}

/** Publishes a retained message (QoS 1, PUBACK awaited); an empty payload clears the topic. */
async function publishRetained(
  client: RawClient,
  topic: string,
  payload: string,
  properties?: PublishProperties,
): Promise<void> {
  client.send(
    {
      type: 'publish',
      topic,
      payload: Buffer.from(payload),
      qos: 1,
      retain: true,
      dup: false,
      packetId: 7,
      ...(properties === undefined ? {} : { properties }),
    },
    5,
  );
  await client.expectPacket('puback');
}

/**
 * What a new subscriber to `topic` on `node` gets as retained message: subscribes, then publishes a
 * marker and reads up to it (the retained message is sent right after the SUBACK, before the marker).
 */
async function retainedOn(node: MidgeNode, topic: string): Promise<RetainedSeen | undefined> {
  const client = await mqttClient(node);
  try {
    await subscribe(client, node, [topic, MARKER_TOPIC]);
    // At QoS 0: no PUBACK to tell apart from the retained message, which may come first.
    client.send(
      { type: 'publish', topic: MARKER_TOPIC, payload: Buffer.from('marker'), qos: 0, retain: false, dup: false },
      5,
    );
    let seen: RetainedSeen | undefined;
    for (;;) {
      // The retained message may come before the SUBACK [MQTT-3.8.4] (kept by `subscribe`).
      const p = await nextOf(client, 5000);
      if (p.type !== 'publish') throw new Error(`expected PUBLISH, got ${JSON.stringify(p)}`);
      if (p.qos === 1 && p.packetId !== undefined) client.send({ type: 'puback', packetId: p.packetId }, 5);
      if (p.topic === MARKER_TOPIC) return seen;
      seen = { payload: p.payload.toString(), retain: p.retain, expiry: p.properties?.messageExpiryInterval };
    }
  } finally {
    client.destroy();
  }
}

/** Waits until a new subscriber on `node` gets `payload` (undefined: nothing) as the retained message of `topic`. */
async function untilRetained(node: MidgeNode, topic: string, payload: string | undefined, ms = 10_000): Promise<void> {
  await until(
    async () => (await retainedOn(node, topic))?.payload === payload,
    ms,
    `${String(payload)} as the retained message of ${topic} on ${node.name}`,
  );
}

describe.skipIf(!hasNatsServer && process.env.CI === undefined)('retained messages across the cluster', () => {
  let nats: NatsFixture;
  let a: MidgeNode;
  let b: MidgeNode;
  let c: MidgeNode;
  let nc: NatsConnection;
  const stores: string[] = [];
  const extra: MidgeNode[] = [];

  beforeAll(async () => {
    nats = await NatsFixture.single({ users: [CLUSTER_NATS_USER] });
    const url = nats.first.url;
    [a, b, c] = await Promise.all([
      startNode('a', [url], { otherPlugins: "  '@midge/plugin-sys':\n    sys_interval: 0" }),
      startNode('b', [url]),
      startNode('c', [url]),
    ]);
    nc = await connect({ servers: url, user: CLUSTER_USER, pass: CLUSTER_PASSWORD });
  }, 30_000);
  afterEach(async () => {
    await Promise.all(extra.splice(0).map((n) => n.stop()));
  });
  afterAll(async () => {
    await nc?.close();
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
    await nats?.stop();
    await Promise.all(stores.map((s) => rm(s, { recursive: true, force: true })));
  });

  async function store(): Promise<string> {
    const path = await mkdtemp(join(tmpdir(), 'midge-retained-'));
    stores.push(path);
    return path;
  }

  it('a retained message published on A reaches new subscribers on B and C, with RETAIN set', async () => {
    await publishRetained(await mqttClient(a), 'r/one', 'v1');
    await untilRetained(b, 'r/one', 'v1');
    await untilRetained(c, 'r/one', 'v1');
    expect(await retainedOn(c, 'r/one')).toMatchObject({ payload: 'v1', retain: true });
    // Replaced on C: the new value everywhere, A included.
    await publishRetained(await mqttClient(c), 'r/one', 'v2');
    await untilRetained(a, 'r/one', 'v2');
    await untilRetained(b, 'r/one', 'v2');
  });

  it('a node started after the publish has it from its first client on', async () => {
    await publishRetained(await mqttClient(a), 'r/late', 'before d');
    await untilRetained(b, 'r/late', 'before d');
    const d = await startNode('d', [nats.first.url]);
    extra.push(d);
    // No waiting: the node read the stream before it took clients.
    expect(await retainedOn(d, 'r/late')).toMatchObject({ payload: 'before d', retain: true });
  });

  it('a node down during a change and a clear has both after its restart from its store', async () => {
    const path = await store();
    let e = await startNode('e', [nats.first.url], { persistencePath: path });
    extra.push(e);
    await publishRetained(await mqttClient(a), 'r/restart', 'old');
    await publishRetained(await mqttClient(a), 'r/gone', 'will be cleared');
    await untilRetained(e, 'r/restart', 'old');
    await untilRetained(e, 'r/gone', 'will be cleared');
    await e.stop();
    extra.splice(0);
    await publishRetained(await mqttClient(b), 'r/restart', 'new');
    await publishRetained(await mqttClient(b), 'r/gone', '');
    await untilRetained(c, 'r/gone', undefined);
    e = await startNode('e', [nats.first.url], { persistencePath: path });
    extra.push(e);
    expect(await retainedOn(e, 'r/restart')).toMatchObject({ payload: 'new' });
    expect(await retainedOn(e, 'r/gone')).toBeUndefined();
  });

  it('an empty retained payload on B clears the topic on every node', async () => {
    await publishRetained(await mqttClient(a), 'r/clear', 'here');
    await untilRetained(b, 'r/clear', 'here');
    await untilRetained(c, 'r/clear', 'here');
    await publishRetained(await mqttClient(b), 'r/clear', '');
    await untilRetained(a, 'r/clear', undefined);
    await untilRetained(c, 'r/clear', undefined);
    expect(await retainedOn(b, 'r/clear')).toBeUndefined();
  });

  it('a retained message with an expiry serves the time left on other nodes and expires there too', async () => {
    await publishRetained(await mqttClient(a), 'r/expiring', 'short-lived', { messageExpiryInterval: 4 });
    await untilRetained(b, 'r/expiring', 'short-lived');
    const onB = await retainedOn(b, 'r/expiring');
    expect(onB?.expiry).toBeGreaterThan(0);
    expect(onB?.expiry).toBeLessThanOrEqual(4);
    // A node started now gets the time left, not the whole interval again.
    const d = await startNode('d', [nats.first.url]);
    extra.push(d);
    await untilRetained(d, 'r/expiring', undefined, 8000);
    await untilRetained(b, 'r/expiring', undefined, 1000);
    await untilRetained(c, 'r/expiring', undefined, 1000);
  });

  it('a retained message from another node reaches a Retain As Published subscriber with RETAIN=1', async () => {
    const client = await mqttClient(b);
    client.send(
      {
        type: 'subscribe',
        packetId: 9,
        subscriptions: [{ topic: 'r/rap', qos: 1, noLocal: false, retainAsPublished: true, retainHandling: 2 }],
      },
      5,
    );
    await client.expectPacket('suback');
    await until(
      async () =>
        (await nats.first.connection(b.connectionName))?.subscriptions_list?.includes('midge.msg.r.rap') === true,
      5000,
      "b's subscription in NATS",
    );
    await publishRetained(await mqttClient(a), 'r/rap', 'as published');
    const p = await client.expectPacket('publish', 5000);
    expect(p).toMatchObject({ topic: 'r/rap', retain: true });
    expect(p.payload.toString()).toBe('as published');
  });

  it('a broker that joins the cluster with retained messages of its own shares them', async () => {
    const path = await store();
    // Its retained messages from before: written while it was in a cluster of another prefix.
    let f = await startNode('f', [nats.first.url], { persistencePath: path, cluster: { subject_prefix: 'elsewhere' } });
    extra.push(f);
    await publishRetained(await mqttClient(f), 'r/brought', 'from before the cluster');
    await f.stop();
    extra.splice(0);
    f = await startNode('f', [nats.first.url], { persistencePath: path });
    extra.push(f);
    expect(f.records.find((r) => r.msg === "read the cluster's retained messages")).toMatchObject({ contributed: 1 });
    await untilRetained(b, 'r/brought', 'from before the cluster');
  });

  it('$ topics never enter the stream, and a $ record put into it is not applied', async () => {
    // Node a runs @midge/plugin-sys, which retains $SYS/broker/version at start.
    expect((await retainedOn(a, '$SYS/broker/version'))?.payload).toMatch(/^Midge /);
    await publishRetained(await mqttClient(a), 'r/control', 'not a $ topic');
    await untilRetained(b, 'r/control', 'not a $ topic');
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(retainedStream('midge'), { subjects_filter: '>' });
    const subjects = Object.keys(info.state.subjects ?? {});
    expect(subjects).toContain(retainedSubject(retainedRoot('midge'), 'r/control'));
    expect(subjects.filter((s) => s.includes('$'))).toEqual([]);
    // With the cluster's credentials, straight into the stream: nodes read it and leave it out.
    const h = headers();
    h.set('Midge-Write', 'x:1');
    const injected = { topic: '$SYS/injected', payload: Buffer.from('evil'), qos: 0, retain: true } as const;
    await jetstream(nc).publish(`${retainedRoot('midge')}.$SYS.injected`, encodeClusterMessage(injected, 'x'), {
      headers: h,
    });
    const d = await startNode('d', [nats.first.url]);
    extra.push(d);
    expect(await retainedOn(d, '$SYS/injected')).toBeUndefined();
    expect(d.warnings(/\$ topic in the retained stream was not applied/)).toHaveLength(1);
  });
});

describe.skipIf(!hasNatsServer && process.env.CI === undefined)('retained messages through a NATS outage', () => {
  let nats: NatsFixture;
  let nodes: MidgeNode[] = [];

  beforeAll(async () => {
    nats = await NatsFixture.single({ users: [CLUSTER_NATS_USER] });
    const url = nats.first.url;
    nodes = await Promise.all(['a', 'b', 'c'].map((name) => startNode(name, [url])));
  }, 30_000);
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await nats?.stop();
  });

  it('two nodes write one topic while NATS is down: every node ends with the same one of the two', async () => {
    const [a, b, c] = nodes as [MidgeNode, MidgeNode, MidgeNode];
    await publishRetained(await mqttClient(a), 'o/both', 'before');
    await untilRetained(c, 'o/both', 'before');
    await nats.first.kill();
    await until(
      () => a.warnings(/lost the connection to NATS/).length > 0 && b.warnings(/lost the connection/).length > 0,
      10_000,
      'the outage',
    );
    await publishRetained(await mqttClient(a), 'o/both', 'from a');
    await publishRetained(await mqttClient(b), 'o/both', 'from b');
    await publishRetained(await mqttClient(a), 'o/only-a', 'a alone');
    await publishRetained(await mqttClient(b), 'o/before', '');
    // Meanwhile each node serves its own value.
    expect((await retainedOn(a, 'o/both'))?.payload).toBe('from a');
    expect((await retainedOn(b, 'o/both'))?.payload).toBe('from b');
    expect(a.warnings(/changed here while NATS is unreachable are shared once it is back/)).toHaveLength(1);
    await nats.first.restart();
    let agreed: string | undefined;
    await until(
      async () => {
        const values = await Promise.all(nodes.map(async (n) => (await retainedOn(n, 'o/both'))?.payload));
        agreed = values[0];
        return values.every((v) => v === values[0]) && (agreed === 'from a' || agreed === 'from b');
      },
      20_000,
      'one value of o/both on every node',
    );
    // Whichever won, it stays: every node has read everything by now.
    for (const n of nodes) expect((await retainedOn(n, 'o/both'))?.payload).toBe(agreed);
    await untilRetained(c, 'o/only-a', 'a alone');
    await untilRetained(b, 'o/only-a', 'a alone');
  });
});

describe.skipIf(!hasNatsServer && process.env.CI === undefined)('retained messages on a 3-server NATS cluster', () => {
  let nats: NatsFixture;
  let nodes: MidgeNode[] = [];

  beforeAll(async () => {
    nats = await NatsFixture.cluster({ users: [CLUSTER_NATS_USER] });
    nodes = await Promise.all(
      // A generous connect_timeout: a fresh 3-server cluster places the first replicated buckets only once its
      // meta leader and the buckets' own raft groups are elected, which took over 3 s on a busy CI machine.
      ['a', 'b'].map((name, i) =>
        startNode(name, [nats.urls[i] as string], { cluster: { replicas: 3, connect_timeout: 20 } }),
      ),
    );
  }, 60_000);
  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await nats?.stop();
  });

  it('with replicas: 3 the stream has three copies, and outlives a NATS server', async () => {
    const [a, b] = nodes as [MidgeNode, MidgeNode];
    const nc = await connect({ servers: nats.urls, user: CLUSTER_USER, pass: CLUSTER_PASSWORD });
    try {
      const info = await (await jetstreamManager(nc)).streams.info(retainedStream('midge'));
      expect(info.config.num_replicas).toBe(3);
    } finally {
      await nc.close();
    }
    await publishRetained(await mqttClient(a), 'r/replicated', 'three copies');
    await untilRetained(b, 'r/replicated', 'three copies');
    // The server node a is connected to goes away: a new node on the third server still reads the value.
    await (nats.servers[0] as NatsServer).kill();
    // Once JetStream has leaders among the servers left again (elections take seconds).
    const left = await connect({ servers: nats.urls.slice(1), user: CLUSTER_USER, pass: CLUSTER_PASSWORD });
    try {
      // The JetStream API answers (it needs a meta leader), then each stream has a leader.
      await until(
        async () =>
          await jetstreamManager(left, { timeout: 1000 })
            .then(() => true)
            .catch(() => false),
        30_000,
        'a JetStream meta leader',
      );
      const jsm = await jetstreamManager(left, { checkAPI: false });
      for (const stream of [retainedStream('midge'), 'KV_midge_clients', 'KV_midge_wills'])
        await until(
          async () => {
            const leader = (await jsm.streams.info(stream).catch(() => undefined))?.cluster?.leader;
            return leader !== undefined && leader !== 'n0';
          },
          20_000,
          `a leader of ${stream}`,
        );
    } finally {
      await left.close();
    }
    // JetStream can still be settling the streams after the kill (clean-clone CI runs took over 8 s to read
    // the retained stream): c then starts without the cluster's retained messages after its connect_timeout
    // and keeps reading (not ready meanwhile) until it has them.
    const c = await startNode('c', [nats.urls[2] as string], { cluster: { replicas: 3, connect_timeout: 8 } });
    nodes.push(c);
    await c.waitFor((r) => r.msg === "read the cluster's retained messages", 60_000);
    expect(await retainedOn(c, 'r/replicated')).toMatchObject({ payload: 'three copies' });
    // Leader elections after the kill (up to 50 s of waiting above) and c's setup (up to 30 s) on a busy machine.
  }, 120_000);
});
