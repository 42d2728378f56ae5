/**
 * A node starting while JetStream cannot answer (a NATS cluster without quorum, electing no leaders):
 * the retained store does not fail the start, it serves without the cluster's values, says so, and reads
 * them as soon as JetStream is back (issue 13: no failed setup during a JetStream failover).
 */
import { connect } from '@nats-io/transport-node';
import { fakePluginContext } from '@midge/mqtt-core/testing';
import { describe, expect, it } from 'vitest';
import { CLUSTER_NATS_USER, CLUSTER_PASSWORD, CLUSTER_USER } from './cluster-node.js';
import { until } from './mqtt.js';
import { NatsFixture, hasNatsServer } from './nats-server.js';
import type { NatsServer } from './nats-server.js';
import { ClusterRetained } from '../src/retained.js';

describe.skipIf(!hasNatsServer && process.env.CI === undefined)('the retained store without JetStream', () => {
  it('starts without the cluster values when JetStream does not answer in time, and reads them once it does', async () => {
    const nats = await NatsFixture.cluster({ users: [CLUSTER_NATS_USER] }, 3);
    const [, n1, n2] = nats.servers as [NatsServer, NatsServer, NatsServer];
    // One server of three: no quorum, so no JetStream meta leader and no stream can be created or read.
    await Promise.all([n1.kill(), n2.kill()]);
    const nc = await connect({ servers: nats.first.url, user: CLUSTER_USER, pass: CLUSTER_PASSWORD });
    const ctx = fakePluginContext();
    let retained: ClusterRetained | undefined;
    try {
      const started = Date.now();
      retained = await ClusterRetained.open({
        node: 'x',
        prefix: 'midge',
        connection: nc,
        down: () => false,
        broker: ctx.broker,
        logger: ctx.logger,
        replicas: 1,
        loadTimeoutMs: 1500,
      });
      // It did not fail the start, and did not wait much past its time.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(retained.loaded).toBe(false);
      const warning = ctx.logger.records.find((r) => r.level === 'warn');
      expect(String(warning?.msg)).toMatch(/retained messages are not read yet .* keeps reading/);

      // The servers back: the store reads the stream by itself.
      await Promise.all([n1.restart(), n2.restart()]);
      const loaded = retained;
      await until(() => loaded.loaded, 45_000, 'the retained stream read after JetStream came back').catch(
        (err: Error) => {
          // What the store said while it tried: the reason it did not get there.
          const said = ctx.logger.records.map((r) => `${r.level} ${String(r.msg)} ${JSON.stringify(r.obj ?? {})}`);
          throw new Error(`${err.message}\n${said.join('\n')}`);
        },
      );
      expect(ctx.logger.records.some((r) => r.msg === "read the cluster's retained messages")).toBe(true);
    } finally {
      retained?.close();
      await nc.close();
      await nats.stop();
    }
  }, 90_000);
});
