/**
 * The cluster's NATS user (a fresh password per test run) and a `midge` node that logs in with it through
 * a password file, as an operator would configure it.
 */
import { randomBytes } from 'node:crypto';
import { MidgeNode } from './midge-node.js';
import type { NodeOptions } from './midge-node.js';

export const CLUSTER_USER = 'midge';
export const CLUSTER_PASSWORD = randomBytes(12).toString('hex');
/** The cluster's user as the test NATS servers list it. */
export const CLUSTER_NATS_USER = { user: CLUSTER_USER, password: CLUSTER_PASSWORD } as const;

/** A node of the cluster on `servers`, logged in with the cluster's user and a password file. */
export function startNode(node: string, servers: string[], extra: Partial<NodeOptions> = {}): Promise<MidgeNode> {
  return MidgeNode.start({
    node,
    cluster: { servers, user: CLUSTER_USER, password_file: 'nats-password', connect_timeout: 3 },
    files: { 'nats-password': `${CLUSTER_PASSWORD}\n` },
    ...extra,
  });
}
