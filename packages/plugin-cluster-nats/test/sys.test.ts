/** `$SYS/broker/cluster/...` on real nodes: the figures a node publishes about its part in the cluster. */
import { describe, expect, it } from 'vitest';
import { CLUSTER_NATS_USER, startNode } from './cluster-node.js';
import { mqttClient, publish, subscriber, until } from './mqtt.js';
import { NatsFixture, hasNatsServer } from './nats-server.js';

describe.skipIf(!hasNatsServer && process.env.CI === undefined)('cluster figures under $SYS', () => {
  it('publishes the node, the live nodes, the NATS link and the messages that crossed', async () => {
    const nats = await NatsFixture.single({ users: [CLUSTER_NATS_USER] });
    const [a, b] = await Promise.all([
      startNode('a', [nats.first.url], { cluster: { sys_interval: 1 } }),
      startNode('b', [nats.first.url]),
    ]);
    try {
      const latest = new Map<string, string>();
      const watcher = await subscriber(a, '$SYS/broker/cluster/#');
      void (async () => {
        for (;;) {
          const p = await watcher.next(30_000).catch(() => undefined);
          if (p === undefined) return;
          if (p.type === 'publish') {
            latest.set(p.topic, p.payload.toString());
            if (p.qos === 1 && p.packetId !== undefined) watcher.send({ type: 'puback', packetId: p.packetId }, 5);
          }
        }
      })();
      // Something that crosses from A to B.
      const onB = await subscriber(b, 'x/#');
      const publisher = await mqttClient(a);
      await until(
        async () => {
          await publish(publisher, 'x/1', 'to b', 1);
          return Number(latest.get('$SYS/broker/cluster/messages/sent') ?? 0) > 0;
        },
        10_000,
        'a figure of a message sent',
      );
      await until(() => latest.get('$SYS/broker/cluster/nodes') === '2', 10_000, 'both nodes counted');
      expect(latest.get('$SYS/broker/cluster/node')).toBe('a');
      expect(latest.get('$SYS/broker/cluster/nodes/list')).toBe('a,b');
      expect(latest.get('$SYS/broker/cluster/connected')).toBe('1');
      expect(Number(latest.get('$SYS/broker/cluster/sessions/claims'))).toBeGreaterThan(0);
      onB.destroy();
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await nats.stop();
    }
  });

  it("gives /metrics the cluster's figures and /readyz its link to NATS (issue 15)", async () => {
    const nats = await NatsFixture.single({ users: [CLUSTER_NATS_USER] });
    const admin = "  '@midge/plugin-admin':\n    bind: 127.0.0.1:0";
    const [a, b] = await Promise.all([
      startNode('a', [nats.first.url], { otherPlugins: admin, cluster: { connect_timeout: 2 } }),
      startNode('b', [nats.first.url]),
    ]);
    try {
      const listening = await a.waitFor((r) => /^admin server listening/.test(String(r.msg)));
      const base = `http://127.0.0.1:${String(listening['port'])}`;
      const metric = async (line: RegExp) => line.exec(await (await fetch(`${base}/metrics`)).text())?.[1];
      await until(async () => (await metric(/^midge_cluster_nodes (\d+)$/m)) === '2', 10_000, 'both nodes in /metrics');
      expect(await metric(/^midge_cluster_connected (\d+)$/m)).toBe('1');
      expect(await metric(/^midge_cluster_sessions_total\{event="claim"\} (\d+)$/m)).toBeDefined();
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      const body = (await ready.json()) as { checks: { name: string; ok: boolean; reason: string }[] };
      expect(body.checks.find((c) => c.name === 'plugin:@midge/plugin-cluster-nats')).toMatchObject({ ok: true });

      // NATS gone: this node keeps running, but is not ready for new clients, and says why.
      await nats.stop();
      await until(async () => (await fetch(`${base}/readyz`)).status === 503, 15_000, '/readyz 503 without NATS');
      const down = (await (await fetch(`${base}/readyz`)).json()) as { reason: string };
      expect(down.reason).toMatch(/^plugin:@midge\/plugin-cluster-nats: NATS at .* is unreachable/);
      expect(await metric(/^midge_cluster_connected (\d+)$/m)).toBe('0');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await nats.stop();
    }
  });
});
