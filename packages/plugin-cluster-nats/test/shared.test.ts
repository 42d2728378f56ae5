/**
 * Shared subscriptions across real broker processes on a real nats-server: a `$share` group with members
 * on several nodes gets each message once in the whole cluster (MQTT 5.0 section 4.8.2), members on the
 * publishing node included; a plain subscriber still gets every message.
 */
import type { RawClient } from '@midge/mqtt-core/testing';
import { describe, expect, it } from 'vitest';
import { CLUSTER_NATS_USER, threeNodesOnOneServer } from './cluster-node.js';
import type { MidgeNode } from './midge-node.js';
import { mqttClient, publish, subscribe, until } from './mqtt.js';
import { hasNatsServer } from './nats-server.js';

/** Reads every PUBLISH `client` gets into `into` (acknowledging QoS 1) until the client is closed. */
function collect(client: RawClient, into: string[]): void {
  void (async () => {
    for (;;) {
      const packet = await client.next(60_000).catch(() => undefined);
      if (packet === undefined) return;
      if (packet.type !== 'publish') continue;
      if (packet.qos === 1 && packet.packetId !== undefined)
        client.send({ type: 'puback', packetId: packet.packetId }, 5);
      into.push(packet.payload.toString());
    }
  })();
}

describe.skipIf(!hasNatsServer && process.env.CI === undefined)('shared subscriptions across nodes', () => {
  const cluster = threeNodesOnOneServer({ users: [CLUSTER_NATS_USER] });

  it('gives each message to one member in the whole cluster, on any node, the publishing one included', async () => {
    const byNode = new Map<string, string[]>();
    const members: [MidgeNode, string[]][] = [];
    const { a, b, c } = cluster;
    for (const node of [a, a, b, c]) {
      const got = byNode.get(node.name) ?? [];
      byNode.set(node.name, got);
      const member = await subscribe(await mqttClient(node), node, ['$share/workers/jobs/#']);
      collect(member, got);
      members.push([node, got]);
    }
    const plain: string[] = [];
    collect(await subscribe(await mqttClient(b), b, ['jobs/#']), plain);
    // Every node's part in the group has reached NATS once a message published from each node arrives.
    const publisher = await mqttClient(a);
    await until(
      async () => {
        await publish(publisher, 'jobs/probe', 'probe', 1);
        return plain.includes('probe');
      },
      10_000,
      'the group to form across nodes',
    );
    plain.length = 0;
    for (const [, got] of members) got.length = 0;

    const sent = 90;
    for (let i = 0; i < sent; i++) await publish(publisher, `jobs/${i % 3}`, `job-${i}`, 1);
    // Sentinels on the same paths: copies of the jobs would come before them.
    for (let i = 0; i < 10; i++) await publish(publisher, 'jobs/end', `end-${i}`, 1);
    const all = (): string[] => [...byNode.values()].flat().filter((p) => p !== 'probe');
    await until(() => all().length >= sent + 10 && plain.length >= sent + 10, 10_000, 'every job to arrive');

    const jobs = all().filter((p) => p.startsWith('job-'));
    expect(jobs.sort()).toEqual(Array.from({ length: sent }, (_, i) => `job-${i}`).sort());
    // Spread over the nodes: NATS picks a node per message, every node with members is picked.
    for (const [name, got] of byNode) expect(got.length, `messages to the members on ${name}`).toBeGreaterThan(0);
    expect(plain.filter((p) => p.startsWith('job-'))).toHaveLength(sent);
  });
});
