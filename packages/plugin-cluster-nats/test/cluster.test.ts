/**
 * Midge nodes (real `midge` processes) clustered through real nats-server processes: what a client
 * publishes on one node reaches the subscribers of the others, only the nodes that subscribed get it from
 * NATS, `$` topics and unauthenticated NATS clients stay out, the delivering node's ACL applies, and an
 * outage of NATS leaves every node serving its own clients until NATS is back.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import type { Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, nkeys } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { MidgeNode } from './midge-node.js';
import { CLUSTER_NATS_USER, CLUSTER_PASSWORD, CLUSTER_USER, startNode } from './cluster-node.js';
import { MARKER_TOPIC, markerFrom, mqttClient, publish, receive, subscribe, subscriber, until } from './mqtt.js';
import { NatsFixture, freePort, hasNatsServer } from './nats-server.js';
import type { NatsServer } from './nats-server.js';
import { encodeClusterMessage, topicSubject } from '../src/index.js';

if (!hasNatsServer) {
  console.warn('cluster-nats tests SKIPPED: nats-server not found (apt-get install nats-server)');
}

/** Another application's NATS user: it may publish anywhere but under the cluster's prefix. */
const OTHER_APP = { user: 'other-app', password: 'other-secret', denyPublish: ['midge.>'] };
const AUTH = { users: [CLUSTER_NATS_USER, OTHER_APP] };

/**
 * Waits until `server` routes `subjects` to `node`: the node's connection holds them (when it is on
 * `server`), or a route to the node's server does. Publishing before that would race the subscription.
 */
async function interest(server: NatsServer, node: MidgeNode, ...subjects: string[]): Promise<void> {
  await until(
    async () => {
      const local = await server.connection(node.connectionName);
      if (local !== undefined) return subjects.every((s) => local.subscriptions_list?.includes(s) === true);
      const routez = await server.monitor<{ routes: { subscriptions_list?: string[] }[] }>('routez?subs=1');
      const routed = new Set(routez.routes.flatMap((r) => r.subscriptions_list ?? []));
      return subjects.every((s) => routed.has(s));
    },
    10_000,
    `${server.name} to route ${subjects.join(', ')} to ${node.name}`,
  );
}

/** The server among `servers` that `node` is connected to (polling while it reconnects). */
async function serverOf(node: MidgeNode, servers: readonly NatsServer[]): Promise<NatsServer> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    for (const server of servers) {
      if (server.running && (await server.connection(node.connectionName)) !== undefined) return server;
    }
    if (Date.now() > deadline) throw new Error(`${node.name} is connected to none of the NATS servers`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What `server` sent `node`'s NATS connection so far (`out_msgs`), and its subscription count. */
async function natsTraffic(server: NatsServer, node: MidgeNode): Promise<{ received: number; subscriptions: number }> {
  const conn = await server.connection(node.connectionName);
  if (conn === undefined) throw new Error(`${node.name} is not connected to ${server.name}`);
  return { received: conn.out_msgs, subscriptions: conn.subscriptions };
}

const natsClients: NatsConnection[] = [];
afterEach(async () => {
  await Promise.all(natsClients.splice(0).map((nc) => nc.close()));
});
async function natsClient(server: NatsServer, auth: { user?: string; pass?: string } = {}): Promise<NatsConnection> {
  const nc = await connect({ servers: server.url, reconnect: false, ...auth });
  natsClients.push(nc);
  return nc;
}

describe.skipIf(!hasNatsServer && process.env.CI === undefined)('a cluster on one nats-server', () => {
  let nats: NatsFixture;
  /** A publishes $SYS every second (plugin-sys); C never has a subscriber. */
  let a: MidgeNode;
  let b: MidgeNode;
  let c: MidgeNode;

  beforeAll(async () => {
    nats = await NatsFixture.single(AUTH);
    [a, b, c] = await Promise.all([
      startNode('a', [nats.first.url], { otherPlugins: "  '@midge/plugin-sys':\n    sys_interval: 1\n" }),
      startNode('b', [nats.first.url]),
      startNode('c', [nats.first.url]),
    ]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), c?.stop()]);
    await nats?.stop();
  });

  it('delivers QoS 0 and 1 from a publisher on A to a subscriber on B, and to one on A, once each', async () => {
    const onA = await subscriber(a, 't/#');
    const onB = await subscriber(b, 't/#');
    await interest(nats.first, a, 'midge.msg.t.>');
    await interest(nats.first, b, 'midge.msg.t.>');
    const publisher = await mqttClient(a);
    await publish(publisher, 't/zero', 'q0', 0);
    await publish(publisher, 't/one', 'q1', 1);
    const expected = [
      { topic: 't/zero', payload: 'q0', qos: 0 },
      { topic: 't/one', payload: 'q1', qos: 1 },
    ];
    expect(await receive(onB, 2, markerFrom(publisher))).toEqual(expected);
    // A marker from B reaches A after anything B could have sent back: nothing did.
    expect(await receive(onA, 2, markerFrom(await mqttClient(b)))).toEqual(expected);
  });

  it('carries a message from B to A with its v5 properties: user properties in order, content type, payload format, correlation data', async () => {
    const onA = await subscriber(a, 'v5/#');
    await interest(nats.first, a, 'midge.msg.v5.>');
    const publisher = await mqttClient(b);
    const properties = {
      userProperties: [
        ['k', 'one'],
        ['k', 'two'],
        ['other', 'x'],
      ] as [string, string][],
      contentType: 'application/json',
      payloadFormatIndicator: true,
      correlationData: Buffer.from([0, 1, 255]),
      responseTopic: 'v5/reply',
    };
    publisher.send(
      {
        type: 'publish',
        topic: 'v5/props',
        payload: Buffer.from('{"a":1}'),
        qos: 1,
        retain: false,
        dup: false,
        packetId: 7,
        properties,
      },
      5,
    );
    await publisher.expectPacket('puback');
    const got = await onA.expectPacket('publish');
    if (got.qos === 1 && got.packetId !== undefined) onA.send({ type: 'puback', packetId: got.packetId }, 5);
    expect(got.topic).toBe('v5/props');
    expect(got.payload.toString()).toBe('{"a":1}');
    expect(got.properties).toMatchObject(properties);
  });

  it('sends a node only what its subscribers want, once, however their filters overlap; a node without subscribers gets nothing', async () => {
    const clients = await Promise.all([
      subscriber(b, 'o/#', MARKER_TOPIC),
      subscriber(b, '+/x', MARKER_TOPIC),
      subscriber(b, 'o/x', 'o/+', MARKER_TOPIC),
    ]);
    await interest(nats.first, b, 'midge.msg.o.>', 'midge.msg.*.x', 'midge.msg.o.x', 'midge.msg.o.*');
    const before = await natsTraffic(nats.first, b);
    const cBefore = await natsTraffic(nats.first, c);
    const publisher = await mqttClient(a);
    const sent = 10;
    for (let i = 0; i < sent; i++) await publish(publisher, 'o/x', `m${i}`, 1);
    // Not wanted on B: NATS does not send it there.
    await publish(publisher, 'p/y', 'nobody on B', 1);
    const expected = Array.from({ length: sent }, (_, i) => ({ topic: 'o/x', payload: `m${i}`, qos: 1 }));
    for (const client of clients) expect(await receive(client, sent, markerFrom(publisher))).toEqual(expected);

    // From NATS's side: B was sent each message and each of the 3 markers once, despite 4 matching subjects.
    expect((await natsTraffic(nats.first, b)).received - before.received).toBe(sent + clients.length);
    // C has no subscriber: no message subject in NATS (only its handover subject, the resend requests of
    // nodes back from an outage and its JetStream replies inbox), and not one message while A published.
    expect((await natsTraffic(nats.first, c)).received - cBefore.received).toBe(0);
    const cSubjects = (await nats.first.connection(c.connectionName))?.subscriptions_list ?? [];
    expect(cSubjects.filter((subject) => !subject.startsWith('_INBOX.')).sort()).toEqual([
      'midge.handover.c',
      'midge.resend',
    ]);
  });

  it('keeps $SYS on its node: what plugin-sys publishes on A never reaches B', async () => {
    const onA = await subscriber(a, '$SYS/#');
    const onB = await subscriber(b, '$SYS/#', 't/#');
    await interest(nats.first, b, 'midge.msg.t.>');
    // A live (not retained) $SYS message on A: plugin-sys's timer ran after B subscribed.
    await until(
      async () => {
        const p = await onA.next(3000);
        return p.type === 'publish' && !p.retain;
      },
      5000,
      'a live $SYS message on A',
    );
    expect(await receive(onB, 0, markerFrom(await mqttClient(a)))).toEqual([]);
  });

  it('lets no NATS client without the cluster credentials publish into it; B drops a $ topic even from one with them', async () => {
    // `#` asks NATS for every subject under the prefix, `$SYS/...` ones included: B must drop those itself.
    const onB = await subscriber(b, '#', '$SYS/#');
    await interest(nats.first, b, 'midge.msg.>');
    const frame = (topic: string) =>
      encodeClusterMessage({ topic, payload: Buffer.from('forged'), qos: 0, retain: false }, 'intruder');

    await expect(natsClient(nats.first)).rejects.toThrow(/Authorization Violation/);
    await expect(natsClient(nats.first, { user: CLUSTER_USER, pass: 'guess' })).rejects.toThrow(
      /Authorization Violation/,
    );
    // Another application's user: connected, but the server refuses its publish under the prefix.
    const other = await natsClient(nats.first, { user: OTHER_APP.user, pass: OTHER_APP.password });
    other.publish(topicSubject('midge.msg', 't/injected'), frame('t/injected'));
    await other.flush();
    expect(await receive(onB, 0, markerFrom(await mqttClient(a)))).toEqual([]);

    // The same with the cluster's credentials does get in: what kept the others out was the server.
    const member = await natsClient(nats.first, { user: CLUSTER_USER, pass: CLUSTER_PASSWORD });
    member.publish(topicSubject('midge.msg', '$SYS/broker/version'), frame('$SYS/broker/version'));
    member.publish(topicSubject('midge.msg', 't/forged'), frame('t/forged'));
    await member.flush();
    expect(await receive(onB, 1, markerFrom(await mqttClient(a)))).toEqual([
      { topic: 't/forged', payload: 'forged', qos: 0 },
    ]);
    expect(b.warnings(/\$ topics never cross nodes/)).toHaveLength(1);
  });

  it('asks NATS at start for the filters of the sessions it restored from its store', async () => {
    const store = await mkdtemp(join(tmpdir(), 'midge-node-store-'));
    try {
      let keeper = await startNode('keeper', [nats.first.url], { persistencePath: store });
      const first = await subscribe(await mqttClient(keeper, 'kept'), keeper, ['r/#']);
      await first.disconnect(5);
      await keeper.stop();
      keeper = await startNode('keeper', [nats.first.url], { persistencePath: store });
      // The session is offline and no client subscribed since the restart: only the store says it wants r/#.
      await interest(nats.first, keeper, 'midge.msg.r', 'midge.msg.r.>');
      // Its JetStream traffic at start (the registry's replies, the session record it writes and then sees in
      // the bucket it follows) is over once its count stays put: count from there.
      await keeper.waitFor((r) => /registered the sessions restored here/.test(r.msg ?? ''));
      let before = -1;
      for (;;) {
        const now = (await natsTraffic(nats.first, keeper)).received;
        if (now === before) break;
        before = now;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      const publisher = await mqttClient(a);
      await publish(publisher, 'r/1', 'queued for an offline session', 1);
      await until(
        async () => (await natsTraffic(nats.first, keeper)).received - before === 1,
        5000,
        'keeper to get r/1',
      );
      const back = await mqttClient(keeper, 'kept');
      const p = await back.expectPacket('publish');
      expect([p.topic, p.payload.toString()]).toEqual(['r/1', 'queued for an offline session']);
      await keeper.stop();
    } finally {
      await rm(store, { recursive: true, force: true });
    }
  });

  it("warns when the server refuses the node's publishes (its NATS user lacks the rights)", async () => {
    const limited = await MidgeNode.start({
      node: 'limited',
      cluster: { servers: [nats.first.url], user: OTHER_APP.user, password: OTHER_APP.password },
    });
    try {
      await publish(await mqttClient(limited), 't/x', 'refused by NATS', 1);
      const warning = await limited.waitFor(
        (r) => /check the permissions of its NATS user/.test(r.msg ?? '') && /midge\.msg\./.test(String(r.err)),
      );
      expect(warning.err).toMatch(/Permissions Violation for Publish to "midge\.msg\.t\.x"/);
    } finally {
      await limited.stop();
    }
  });

  it('authorizes each delivery on the delivering node: its receive ACL applies to messages from other nodes', async () => {
    const guarded = await startNode('guarded', [nats.first.url], {
      otherPlugins: `  '@midge/plugin-topic-acl':\n    receive_acl:\n      anonymous: ['public/#', '${MARKER_TOPIC}']\n`,
    });
    try {
      const onGuarded = await subscriber(guarded, '#');
      const onA = await subscriber(a, 'secret/#', 'public/#', MARKER_TOPIC);
      await interest(nats.first, guarded, 'midge.msg.>');
      const before = await natsTraffic(nats.first, guarded);
      const publisher = await mqttClient(a);
      await publish(publisher, 'secret/plans', 'no', 1);
      await publish(publisher, 'public/news', 'yes', 1);
      expect(await receive(onGuarded, 1, markerFrom(publisher))).toEqual([
        { topic: 'public/news', payload: 'yes', qos: 1 },
      ]);
      // The secret did reach the node (3 messages with the marker): its ACL, not the routing, kept it back.
      expect((await natsTraffic(nats.first, guarded)).received - before.received).toBe(3);
      expect(await receive(onA, 2, markerFrom(publisher))).toEqual([
        { topic: 'secret/plans', payload: 'no', qos: 1 },
        { topic: 'public/news', payload: 'yes', qos: 1 },
      ]);
    } finally {
      await guarded.stop();
    }
  });
});

describe.skipIf(!hasNatsServer && process.env.CI === undefined)('joining the cluster', () => {
  let nats: NatsFixture | undefined;
  afterEach(async () => {
    await nats?.stop();
  });

  it('fails the broker start within connect_timeout, naming the servers and what to check', async () => {
    nats = await NatsFixture.single(AUTH);
    const nowhere = `nats://127.0.0.1:${await freePort()}`;
    const unreachable = await MidgeNode.startFailing({
      node: 'a',
      cluster: { servers: nowhere, connect_timeout: 0.5 },
    });
    expect(unreachable.code).not.toBe(0);
    expect(unreachable.output).toContain(`cannot reach NATS at ${nowhere}`);
    expect(unreachable.output).toMatch(/check that nats-server is running/);

    const refused = await MidgeNode.startFailing({
      node: 'a',
      cluster: { servers: `nats://midge:wrong-password@127.0.0.1:${nats.first.ports.client}` },
    });
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain(`cannot reach NATS at nats://midge:***@127.0.0.1:${nats.first.ports.client}`);
    expect(refused.output).toMatch(/Authorization Violation\).*check the user and password/);
    expect(refused.output).not.toContain('wrong-password');
  });
  it('joins with an nkey user seed instead of a password', async () => {
    const user = nkeys.createUser();
    nats = await NatsFixture.single({ ...AUTH, nkeys: [user.getPublicKey()] });
    const node = await MidgeNode.start({
      node: 'keyed',
      cluster: { servers: [nats.first.url], nkey_seed_file: 'seed' },
      files: { seed: `${new TextDecoder().decode(user.getSeed())}\n` },
    });
    expect(await nats.first.connection(node.connectionName)).toBeDefined();
    expect(node.warnings(/no NATS credentials/)).toEqual([]);
    await node.stop();
  });
});

describe.skipIf(!hasNatsServer && process.env.CI === undefined)('NATS down and back', () => {
  let nats: NatsFixture | undefined;
  afterEach(async () => {
    await nats?.stop();
  });

  it('stops promptly while NATS is down, and leaves no connection retrying', async () => {
    nats = await NatsFixture.single(AUTH);
    const server = nats.first;
    const a = await startNode('a', [server.url]);
    await server.kill();
    await a.waitFor((r) => /lost the connection to NATS/.test(r.msg ?? ''));
    const started = Date.now();
    await a.stop();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(a.exitCode).toBe(0);
  });

  it('keeps serving local clients, warns once per outage, queues QoS 1 for the other nodes, counts the QoS 0 that did not cross, and resumes by itself', async () => {
    nats = await NatsFixture.single(AUTH);
    const server = nats.first;
    const [a, b] = await Promise.all([startNode('a', [server.url]), startNode('b', [server.url])]);
    const onA = await subscriber(a, 't/#');
    const onB = await subscriber(b, 't/#');
    // A shared subscription whose only member is on A: through NATS while it is up, locally while it is down.
    const memberOnA = await subscriber(a, '$share/g/t/#');
    await interest(server, b, 'midge.msg.t.>');
    const publisher = await mqttClient(a);

    await server.kill();
    await a.waitFor((r) => /lost the connection to NATS/.test(r.msg ?? ''));
    const during = 5;
    const lost = 3;
    for (let i = 0; i < during; i++) await publish(publisher, 't/during', `d${i}`, 1);
    for (let i = 0; i < lost; i++) await publish(publisher, 't/lost', `q${i}`, 0);
    // Local delivery goes on: A's own subscriber gets them while NATS is away.
    expect(await receive(onA, during + lost, markerFrom(publisher))).toHaveLength(during + lost);
    expect(await receive(memberOnA, during + lost, markerFrom(publisher))).toHaveLength(during + lost);

    // Something on NATS's port that accepts and hangs up: the nodes retry several times meanwhile.
    let attempts = 0;
    const sockets = new Set<Socket>();
    const refuser = createServer((socket) => {
      attempts++;
      sockets.add(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => refuser.listen(server.ports.client, '127.0.0.1', resolve));
    await until(() => attempts >= 6, 10_000, 'the nodes to retry 6 times');
    await new Promise((resolve) => refuser.close(resolve));

    await server.restart();
    const back = await a.waitFor((r) => /reconnected to NATS/.test(r.msg ?? ''));
    // The QoS 0 messages did not cross, each counted; the QoS 1 ones (and the markers) were queued.
    expect(back.dropped).toBe(lost);
    await b.waitFor((r) => /reconnected to NATS/.test(r.msg ?? ''));
    expect(a.warnings(/lost the connection to NATS/)).toHaveLength(1);
    expect(b.warnings(/lost the connection to NATS/)).toHaveLength(1);

    // The subscriptions came back with the connections: cross-node delivery resumes, with the queued QoS 1
    // messages first (in order, once the other nodes had time to reconnect), without the QoS 0 ones.
    await interest(server, b, 'midge.msg.t.>');
    await publish(publisher, 't/after', 'back', 1);
    expect(await receive(onB, during + 1, markerFrom(publisher))).toEqual([
      ...Array.from({ length: during }, (_, i) => ({ topic: 't/during', payload: `d${i}`, qos: 1 })),
      { topic: 't/after', payload: 'back', qos: 1 },
    ]);
    await Promise.all([a.stop(), b.stop()]);
  });
});

describe.skipIf(!hasNatsServer && process.env.CI === undefined)(
  'a cluster of three nats-servers with JetStream',
  () => {
    let nats: NatsFixture | undefined;
    afterEach(async () => {
      await nats?.stop();
    });

    it(
      'has a replicated JetStream, routes between nodes on different NATS servers, fails over when one dies',
      { timeout: 45_000 },
      async () => {
        nats = await NatsFixture.cluster(AUTH);
        const [n0, n1, n2] = nats.servers as [NatsServer, NatsServer, NatsServer];
        // JetStream, for the cluster state to come: a stream replicated on the three servers. A generous
        // timeout: the first JetStream request of a fresh cluster can wait for its placement on a busy machine.
        const js = await jetstreamManager(await natsClient(n2, { user: CLUSTER_USER, pass: CLUSTER_PASSWORD }), {
          timeout: 15_000,
        });
        // A fresh cluster answers "temporarily unavailable" until it has a meta leader: retried for 15 s.
        const deadline = Date.now() + 15_000;
        const addStream = async (): Promise<Awaited<ReturnType<typeof js.streams.add>>> => {
          for (;;) {
            try {
              return await js.streams.add({ name: 'harness-check', subjects: ['harness.>'], num_replicas: 3 });
            } catch (err) {
              if (Date.now() > deadline) throw err;
              await new Promise((resolve) => setTimeout(resolve, 250));
            }
          }
        };
        const stream = await addStream();
        expect(1 + (stream.cluster?.replicas?.length ?? 0)).toBe(3);

        const [a, b] = await Promise.all([startNode('a', [n0.url, n1.url]), startNode('b', [n2.url])]);
        const onB = await subscriber(b, 't/#');
        const publisher = await mqttClient(a);
        // A is on n0 or n1 (the client picks at random); it learns B's interest through the routes.
        const aOn = await serverOf(a, [n0, n1]);
        await interest(aOn, b, 'midge.msg.t.>');
        await publish(publisher, 't/one', 'across routes', 1);
        expect(await receive(onB, 1, markerFrom(publisher))).toEqual([
          { topic: 't/one', payload: 'across routes', qos: 1 },
        ]);

        await aOn.kill();
        await a.waitFor((r) => /reconnected to NATS/.test(r.msg ?? ''));
        // On the other of n0 and n1, or on n2: the servers told the client about each other.
        const aNow = await serverOf(a, [n0, n1, n2]);
        expect(aNow).not.toBe(aOn);
        await interest(aNow, b, 'midge.msg.t.>');
        await publish(publisher, 't/two', 'after failover', 1);
        expect(await receive(onB, 1, markerFrom(publisher))).toEqual([
          { topic: 't/two', payload: 'after failover', qos: 1 },
        ]);
        await Promise.all([a.stop(), b.stop()]);
      },
    );
  },
);
