/** The plugin's options: what a config may say, checked before anything connects. */
import { hostname } from 'node:os';
import * as v from 'valibot';

export const DEFAULT_SERVER = 'nats://127.0.0.1:4222';
export const DEFAULT_SUBJECT_PREFIX = 'midge';
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 5;
/** One day of QoS 1/2 messages for sessions that resume after their node died. */
export const DEFAULT_SESSION_MESSAGES_MAX_AGE_SECONDS = 86_400;
export const MAX_NODE_LENGTH = 64;

/**
 * Node names: letters, digits, `-` and `_`. A node name will also name this node's keys and subjects in
 * NATS (liveness, the client-id registry), where `.` separates tokens and `*`, `>` and spaces mean
 * something else, so they are kept out from the start.
 */
const NODE_PATTERN = /^[A-Za-z0-9_-]+$/;
/** Subject prefixes: tokens of letters, digits, `-` and `_`, separated by dots (`midge`, `acme.mqtt`). */
const PREFIX_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/** The node name a broker gets when the config names none: host name and process id (`web-3-4211`). */
export function defaultNode(): string {
  const host = hostname().replace(/[^A-Za-z0-9_-]/g, '-') || 'midge';
  const suffix = `-${process.pid}`;
  return host.slice(0, MAX_NODE_LENGTH - suffix.length) + suffix;
}

/** Why `server` is not a NATS server address this plugin accepts, or undefined when it is. */
export function serverProblem(server: string): string | undefined {
  const withScheme = server.includes('://') ? server : `nats://${server}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    return 'must be a NATS server address such as nats://host:4222, tls://host:4222 or host:4222';
  }
  if (parsed.protocol !== 'nats:' && parsed.protocol !== 'tls:')
    return `must start with nats:// or tls://, not ${parsed.protocol}//`;
  if (parsed.hostname === '') return 'names no host';
  return undefined;
}

const server = v.pipe(
  v.string(),
  v.check(
    (s) => serverProblem(s) === undefined,
    (issue) => serverProblem(String(issue.input)) ?? 'invalid NATS server address',
  ),
);

export const DEFAULT_REPLICAS = 1;
export const DEFAULT_HANDOVER_TIMEOUT_SECONDS = 2;
export const DEFAULT_SYS_INTERVAL_SECONDS = 20;

const nonEmpty = v.pipe(v.string(), v.minLength(1, 'must not be empty'));

export const configSchema = v.pipe(
  v.strictObject({
    /** The NATS servers: one address or a list (the client picks one and fails over to the others). */
    servers: v.optional(
      v.union([server, v.pipe(v.array(server), v.minLength(1, 'must list a server'))]),
      DEFAULT_SERVER,
    ),
    /** This broker's name in the cluster; unique per broker. Default: host name and process id. */
    node: v.optional(
      v.pipe(
        v.string(),
        v.minLength(1, 'must not be empty'),
        v.maxLength(MAX_NODE_LENGTH, `must be at most ${MAX_NODE_LENGTH} characters long`),
        v.regex(NODE_PATTERN, 'may hold only letters, digits, - and _'),
      ),
      defaultNode,
    ),
    /** NATS user name (with `password` or `password_file`). */
    user: v.optional(nonEmpty),
    /** The NATS user's password, in the config. `password_file` keeps it out of the config. */
    password: v.optional(nonEmpty),
    /** A file holding the NATS user's password (relative to the config file's folder). */
    password_file: v.optional(nonEmpty),
    /** A file holding an nkey user seed (`SU...`, relative to the config file's folder), instead of a user. */
    nkey_seed_file: v.optional(nonEmpty),
    /** The first tokens of every subject the cluster uses: brokers with different prefixes are separate clusters. */
    subject_prefix: v.optional(
      v.pipe(
        v.string(),
        v.maxLength(64, 'must be at most 64 characters long'),
        v.regex(
          PREFIX_PATTERN,
          'must be dot-separated tokens of letters, digits, - and _ (such as midge or acme.mqtt)',
        ),
      ),
      DEFAULT_SUBJECT_PREFIX,
    ),
    /** Seconds the broker start waits for NATS before it fails. */
    connect_timeout: v.optional(
      v.pipe(v.number(), v.gtValue(0, 'must be more than 0 seconds'), v.finite()),
      DEFAULT_CONNECT_TIMEOUT_SECONDS,
    ),
    /**
     * Copies JetStream keeps of the cluster's state (the client-id registry, retained messages) across a
     * NATS cluster: 1, 3 or 5, at most the number of NATS servers. 3 on a 3-server cluster survives a server.
     */
    replicas: v.optional(v.picklist([1, 3, 5], 'must be 1, 3 or 5'), DEFAULT_REPLICAS),
    /** Seconds between two publications of `$SYS/broker/cluster/...` on this node; 0: none. */
    sys_interval: v.optional(
      v.pipe(v.number(), v.minValue(0, 'must be 0 (off) or more seconds'), v.maxValue(86_400, 'must be at most 86400')),
      DEFAULT_SYS_INTERVAL_SECONDS,
    ),
    /**
     * Keep persistent sessions in JetStream (their subscriptions, and the QoS 1/2 messages they match,
     * stored before the publisher's PUBACK/PUBREC), so a session resumes on another node after its own node
     * died. Off: a session resumes elsewhere only while its node is up to hand it over.
     */
    persistent_sessions: v.optional(v.boolean('must be true or false'), true),
    /**
     * Seconds JetStream keeps a QoS 1/2 message for the persistent sessions: a session resumed after its
     * node died gets the messages of at most this long (its node, back, still has all it had queued).
     */
    session_messages_max_age: v.optional(
      v.pipe(v.number(), v.gtValue(0, 'must be more than 0 seconds'), v.finite()),
      DEFAULT_SESSION_MESSAGES_MAX_AGE_SECONDS,
    ),
    /**
     * Seconds a node admitting a client id waits for the node that held its session to hand it over;
     * below the broker's plugin_decision_timeout. A node that does not answer in time is taken for dead.
     */
    handover_timeout: v.optional(
      v.pipe(v.number(), v.gtValue(0, 'must be more than 0 seconds'), v.maxValue(60, 'must be at most 60 seconds')),
      DEFAULT_HANDOVER_TIMEOUT_SECONDS,
    ),
  }),
  v.forward(
    v.check(
      (c) => !(c.password !== undefined && c.password_file !== undefined),
      'set password or password_file, not both',
    ),
    ['password_file'],
  ),
  v.forward(
    v.check(
      (c) => c.user === undefined || c.password !== undefined || c.password_file !== undefined,
      'user needs password or password_file',
    ),
    ['user'],
  ),
  v.forward(
    v.check(
      (c) => c.user !== undefined || (c.password === undefined && c.password_file === undefined),
      'a password needs user',
    ),
    ['user'],
  ),
  v.forward(
    v.check(
      (c) => c.nkey_seed_file === undefined || c.user === undefined,
      'set user (with a password) or nkey_seed_file, not both',
    ),
    ['nkey_seed_file'],
  ),
);

export type ClusterNatsConfig = v.InferOutput<typeof configSchema>;

/** The servers as a list. */
export function serverList(config: Pick<ClusterNatsConfig, 'servers'>): string[] {
  return typeof config.servers === 'string' ? [config.servers] : [...config.servers];
}
