/**
 * A node starting while JetStream cannot answer (a NATS cluster without quorum): the persistent sessions'
 * store does not fail the start, it starts not ready (nothing stored, said once) and opens by itself as soon
 * as JetStream is back.
 */
import { describe, expect, it } from 'vitest';
import { jetStreamWithoutQuorum } from './cluster-node.js';
import { until } from './mqtt.js';
import { hasNatsServer } from './nats-server.js';
import { ClusterSessions } from '../src/sessions.js';
import { encodeClusterMessage } from '../src/wire.js';

describe.skipIf(!hasNatsServer && process.env.CI === undefined)(
  "the persistent sessions' store without JetStream",
  () => {
    it('starts not ready when JetStream does not answer in time, and opens once it does', async () => {
      // One server of three: no quorum, no JetStream meta leader: no bucket or stream can be created.
      const cluster = await jetStreamWithoutQuorum();
      const { ctx } = cluster;
      let sessions: ClusterSessions | undefined;
      try {
        const started = Date.now();
        sessions = await ClusterSessions.open({
          ...cluster.state,
          maxAgeSeconds: 60,
          openWithinMs: 1500,
          holds: () => true,
          frameOf: (message) => encodeClusterMessage(message, 'x'),
        });
        // It did not fail the start, and did not wait much past its time.
        expect(Date.now() - started).toBeLessThan(10_000);
        expect(sessions.ready).toBe(false);
        const message = { topic: 't', payload: Buffer.from('x'), qos: 1 as const, retain: false };
        expect(sessions.storeMessage({ message, origin: 'client', client: undefined })).toBeUndefined();
        expect(ctx.logger.records.some((r) => /store in JetStream is not open yet/.test(String(r.msg)))).toBe(true);

        await cluster.restore();
        const store = sessions;
        await until(() => store.ready, 60_000, "the sessions' store opened after JetStream came back");
        expect(ctx.logger.records.some((r) => r.msg === "the persistent sessions' store in JetStream is open")).toBe(
          true,
        );
      } finally {
        sessions?.close();
        await cluster.stop();
      }
    }, 90_000);
  },
);
