/**
 * The cluster's NATS user (a fresh password per test run) and a `midge` node that logs in with it through
 * a password file, as an operator would configure it.
 */
import { randomBytes } from 'node:crypto';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { fakePluginContext } from '@midge/mqtt-core/testing';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { MidgeNode } from './midge-node.js';
import type { NodeOptions } from './midge-node.js';
import { NatsFixture } from './nats-server.js';
import type { NatsAuth, NatsServer } from './nats-server.js';

export const CLUSTER_USER = 'midge';
export const CLUSTER_PASSWORD = randomBytes(12).toString('hex');
/** The cluster's user as the test NATS servers list it. */
export const CLUSTER_NATS_USER = { user: CLUSTER_USER, password: CLUSTER_PASSWORD } as const;

/**
 * A node of the cluster on `servers`, logged in with the cluster's user and a password file; `extra.cluster`
 * adds plugin options to those.
 */
export function startNode(node: string, servers: string[], extra: Partial<NodeOptions> = {}): Promise<MidgeNode> {
  return MidgeNode.start({
    ...extra,
    node,
    cluster: { servers, user: CLUSTER_USER, password_file: 'nats-password', connect_timeout: 3, ...extra.cluster },
    files: { 'nats-password': `${CLUSTER_PASSWORD}\n`, ...extra.files },
  });
}

/** One nats-server and three nodes on it, started before a file's tests and stopped after them. */
export interface ThreeNodes {
  nats: NatsFixture;
  a: MidgeNode;
  b: MidgeNode;
  c: MidgeNode;
}

/**
 * Registers beforeAll/afterAll hooks that start a nats-server with `auth` and nodes a, b and c on it
 * (`extraA`: options of node a only); the returned object is filled in once they run.
 */
export function threeNodesOnOneServer(auth: NatsAuth, extraA: Partial<NodeOptions> = {}): ThreeNodes {
  const cluster = {} as ThreeNodes;
  beforeAll(async () => {
    cluster.nats = await NatsFixture.single(auth);
    const url = cluster.nats.first.url;
    [cluster.a, cluster.b, cluster.c] = await Promise.all([
      startNode('a', [url], extraA),
      startNode('b', [url]),
      startNode('c', [url]),
    ]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all([cluster.a?.stop(), cluster.b?.stop(), cluster.c?.stop()]);
    await cluster.nats?.stop();
  });
  return cluster;
}

/**
 * For tests of a node dying: nodes b and c on one nats-server that outlive a file's tests, and `doomed` nodes
 * started for one test and killed after it if still running. Registers the hooks; the returned object is
 * filled in once they run.
 */
export interface SurvivorsAndDoomed {
  nats: NatsFixture;
  b: MidgeNode;
  c: MidgeNode;
  doomed(name: string, extra?: Partial<NodeOptions>): Promise<MidgeNode>;
}

export function survivorsAndDoomed(): SurvivorsAndDoomed {
  const doomed: MidgeNode[] = [];
  const cluster = {
    async doomed(name: string, extra: Partial<NodeOptions> = {}): Promise<MidgeNode> {
      const node = await startNode(name, [cluster.nats.first.url], extra);
      doomed.push(node);
      return node;
    },
  } as SurvivorsAndDoomed;
  beforeAll(async () => {
    cluster.nats = await NatsFixture.single({ users: [CLUSTER_NATS_USER] });
    const url = cluster.nats.first.url;
    [cluster.b, cluster.c] = await Promise.all([startNode('b', [url]), startNode('c', [url])]);
  }, 30_000);
  afterEach(async () => {
    await Promise.all(doomed.splice(0).map((n) => n.kill()));
  });
  afterAll(async () => {
    await Promise.all([cluster.b?.stop(), cluster.c?.stop()]);
    await cluster.nats?.stop();
  });
  return cluster;
}

/**
 * A 3-server NATS cluster with two servers killed: no quorum, so no JetStream meta leader, and no bucket or
 * stream can be created or read. `state`: what a store of the cluster's state in JetStream is opened with
 * (node x, a recording logger in `ctx`); `restore` brings the two servers back; `stop` ends it all.
 */
export async function jetStreamWithoutQuorum(): Promise<{
  readonly ctx: ReturnType<typeof fakePluginContext>;
  readonly state: {
    node: string;
    prefix: string;
    connection: NatsConnection;
    down: () => boolean;
    broker: ReturnType<typeof fakePluginContext>['broker'];
    logger: ReturnType<typeof fakePluginContext>['logger'];
    replicas: number;
  };
  restore(): Promise<void>;
  stop(): Promise<void>;
}> {
  const nats = await NatsFixture.cluster({ users: [CLUSTER_NATS_USER] }, 3);
  const [, n1, n2] = nats.servers as [NatsServer, NatsServer, NatsServer];
  await Promise.all([n1.kill(), n2.kill()]);
  const nc = await connect({ servers: nats.first.url, user: CLUSTER_USER, pass: CLUSTER_PASSWORD });
  const ctx = fakePluginContext();
  return {
    ctx,
    state: {
      node: 'x',
      prefix: 'midge',
      connection: nc,
      down: () => false,
      broker: ctx.broker,
      logger: ctx.logger,
      replicas: 1,
    },
    restore: async () => {
      await Promise.all([n1.restart(), n2.restart()]);
    },
    stop: async () => {
      await nc.close();
      await nats.stop();
    },
  };
}
