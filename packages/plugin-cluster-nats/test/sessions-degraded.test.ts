/**
 * A node starting while JetStream cannot answer (a NATS cluster without quorum): the persistent sessions'
 * store does not fail the start, it starts not ready (nothing stored, said once) and opens by itself as soon
 * as JetStream is back.
 */
import { connect } from '@nats-io/transport-node';
import { fakePluginContext } from '@midge/mqtt-core/testing';
import { describe, expect, it } from 'vitest';
import { CLUSTER_NATS_USER, CLUSTER_PASSWORD, CLUSTER_USER } from './cluster-node.js';
import { until } from './mqtt.js';
import { NatsFixture, hasNatsServer } from './nats-server.js';
import type { NatsServer } from './nats-server.js';
import { ClusterSessions } from '../src/sessions.js';
import { encodeClusterMessage } from '../src/wire.js';

describe.skipIf(!hasNatsServer && process.env.CI === undefined)(
  "the persistent sessions' store without JetStream",
  () => {
    it('starts not ready when JetStream does not answer in time, and opens once it does', async () => {
      const nats = await NatsFixture.cluster({ users: [CLUSTER_NATS_USER] }, 3);
      const [, n1, n2] = nats.servers as [NatsServer, NatsServer, NatsServer];
      // One server of three: no quorum, no JetStream meta leader: no bucket or stream can be created.
      await Promise.all([n1.kill(), n2.kill()]);
      const nc = await connect({ servers: nats.first.url, user: CLUSTER_USER, pass: CLUSTER_PASSWORD });
      const ctx = fakePluginContext();
      let sessions: ClusterSessions | undefined;
      try {
        const started = Date.now();
        sessions = await ClusterSessions.open({
          node: 'x',
          prefix: 'midge',
          connection: nc,
          down: () => false,
          broker: ctx.broker,
          logger: ctx.logger,
          replicas: 1,
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

        await Promise.all([n1.restart(), n2.restart()]);
        const store = sessions;
        await until(() => store.ready, 60_000, "the sessions' store opened after JetStream came back");
        expect(ctx.logger.records.some((r) => r.msg === "the persistent sessions' store in JetStream is open")).toBe(
          true,
        );
      } finally {
        sessions?.close();
        await nc.close();
        await nats.stop();
      }
    }, 90_000);
  },
);
