/**
 * A node starting while JetStream cannot answer (a NATS cluster without quorum, electing no leaders):
 * the retained store does not fail the start, it serves without the cluster's values, says so, and reads
 * them as soon as JetStream is back (issue 13: no failed setup during a JetStream failover).
 */
import { describe, expect, it } from 'vitest';
import { jetStreamWithoutQuorum } from './cluster-node.js';
import { until } from './mqtt.js';
import { hasNatsServer } from './nats-server.js';
import { ClusterRetained } from '../src/retained.js';

describe.skipIf(!hasNatsServer && process.env.CI === undefined)('the retained store without JetStream', () => {
  it('starts without the cluster values when JetStream does not answer in time, and reads them once it does', async () => {
    // One server of three: no quorum, so no JetStream meta leader and no stream can be created or read.
    const cluster = await jetStreamWithoutQuorum();
    const { ctx } = cluster;
    let retained: ClusterRetained | undefined;
    try {
      const started = Date.now();
      retained = await ClusterRetained.open({ ...cluster.state, loadTimeoutMs: 1500 });
      // It did not fail the start, and did not wait much past its time.
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(retained.loaded).toBe(false);
      const warning = ctx.logger.records.find((r) => r.level === 'warn');
      expect(String(warning?.msg)).toMatch(/retained messages are not read yet .* keeps reading/);

      // The servers back: the store reads the stream by itself.
      await cluster.restore();
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
      await cluster.stop();
    }
  }, 90_000);
});
