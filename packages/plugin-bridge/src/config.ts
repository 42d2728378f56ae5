/**
 * The plugin's options, checked before anything connects: one entry per bridge under `bridges:`, each
 * shaped like a Mosquitto `connection` block (address, credentials, protocol, `topic` lines). Unknown
 * keys are errors, as everywhere in Midge.
 */
import { topicFilterProblem } from '@midge/mqtt-core';
import { parseClientUrl } from '@midge/mqtt-core/client';
import * as v from 'valibot';

/** A bridge name names its `$SYS` topics and its messages' origin (`bridge:<name>`): one topic level, no wildcards. */
const NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

function urlProblem(url: string): string | undefined {
  try {
    parseClientUrl(url);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

const nonEmpty = v.pipe(v.string(), v.minLength(1, 'must not be empty'));

/** A prefix is glued to topics as is: it may not carry wildcards, which would make the result no topic. */
const prefix = v.pipe(
  v.string(),
  v.check((s) => !/[+#\0]/.test(s), 'must not hold + # or NUL: it is prepended to topic names'),
);

const filter = v.pipe(
  v.string(),
  v.check(
    (f) => topicFilterProblem(f) === undefined,
    (issue) => topicFilterProblem(String(issue.input)) ?? 'invalid topic filter',
  ),
  v.check((f) => !f.startsWith('$share/'), 'a bridge topic cannot be a shared subscription ($share/...)'),
);

const seconds = (min: number, max: number) =>
  v.pipe(v.number(), v.minValue(min, `must be at least ${min}`), v.maxValue(max, `must be at most ${max}`));

export const topicSchema = v.strictObject({
  /** Topic filter, without the prefixes (Mosquitto's `topic <pattern>`). */
  filter,
  /** `out`: local → remote; `in`: remote → local; `both`. */
  direction: v.optional(v.picklist(['in', 'out', 'both'], "must be 'in', 'out' or 'both'"), 'out'),
  /** Highest QoS the bridge subscribes with on the sending side; messages keep theirs up to it. */
  qos: v.optional(v.picklist([0, 1, 2], 'must be 0, 1 or 2'), 0),
  /** Prepended to `filter` on this broker. */
  local_prefix: v.optional(prefix, ''),
  /** Prepended to `filter` on the remote broker. */
  remote_prefix: v.optional(prefix, ''),
});

export const bridgeSchema = v.pipe(
  v.strictObject({
    /** mqtt://, mqtts://, ws:// or wss:// address of the remote broker. */
    url: v.pipe(
      v.string(),
      v.check(
        (u) => urlProblem(u) === undefined,
        (issue) => urlProblem(String(issue.input)) ?? 'invalid url',
      ),
    ),
    /** Client id on the remote broker (default `<host name>.<bridge name>`, as Mosquitto). */
    client_id: v.optional(nonEmpty),
    username: v.optional(nonEmpty),
    password: v.optional(v.string()),
    /** A file holding the remote password (relative to the config file's folder). */
    password_file: v.optional(nonEmpty),
    /** 3 (MQTT 3.1), 4 (3.1.1) or 5. */
    protocol: v.optional(v.picklist([3, 4, 5], 'must be 3, 4 or 5'), 5),
    /** Seconds, sent in CONNECT. */
    keepalive: v.optional(seconds(0, 65535), 60),
    /**
     * Clean start on the remote: false (default) keeps the remote session, so QoS 1/2 messages for `in`
     * topics wait on the remote broker while the bridge is away.
     */
    clean_start: v.optional(v.boolean(), false),
    /** v5: seconds the remote keeps the session after the bridge's connection closes. */
    session_expiry_interval: v.optional(seconds(0, 0xffffffff), 3600),
    /** Seconds: the first reconnect delay and the cap of the doubling delay; each delay is drawn in between. */
    reconnect_delay_min: v.optional(seconds(0.01, 3600), 1),
    reconnect_delay_max: v.optional(seconds(0.01, 86_400), 60),
    /** Seconds to wait for the remote's socket and CONNACK. */
    connect_timeout: v.optional(seconds(0.1, 600), 10),
    /**
     * QoS 1/2 messages sent to the remote and not yet acknowledged, at most. Keep it at or below the
     * remote's Receive Maximum (Mosquitto's default: 20).
     */
    max_inflight: v.optional(v.pipe(v.number(), v.integer('must be an integer'), v.minValue(1), v.maxValue(65535)), 20),
    /** TLS (mqtts, wss): files relative to the config file's folder. */
    ca: v.optional(nonEmpty),
    cert: v.optional(nonEmpty),
    key: v.optional(nonEmpty),
    /** TLS: do not check the remote's host name against its certificate (the chain is still verified). */
    insecure: v.optional(v.boolean(), false),
    /** Client id of the bridge's session in this broker (default `$bridge/<name>`). */
    local_client_id: v.optional(nonEmpty),
    /** Credentials of the bridge's session in this broker, when an authentication plugin asks for them. */
    local_username: v.optional(nonEmpty),
    local_password_file: v.optional(nonEmpty),
    topics: v.pipe(v.array(topicSchema), v.minLength(1, 'must list at least one topic')),
  }),
  v.forward(
    v.check(
      (b) => !(b.password !== undefined && b.password_file !== undefined),
      'set password or password_file, not both',
    ),
    ['password_file'],
  ),
  v.forward(
    v.check((b) => b.reconnect_delay_min <= b.reconnect_delay_max, 'must not be above reconnect_delay_max'),
    ['reconnect_delay_min'],
  ),
  v.forward(
    v.check((b) => (b.cert === undefined) === (b.key === undefined), 'cert and key go together'),
    ['cert'],
  ),
);

export const configSchema = v.strictObject({
  bridges: v.pipe(
    v.record(
      v.pipe(v.string(), v.regex(NAME_PATTERN, 'a bridge name is 1 to 64 letters, digits, - and _')),
      bridgeSchema,
    ),
    v.check((b) => Object.keys(b).length > 0, 'must name at least one bridge'),
  ),
});

export type BridgeConfig = v.InferOutput<typeof bridgeSchema>;
export type TopicConfig = v.InferOutput<typeof topicSchema>;
export type PluginBridgeConfig = v.InferOutput<typeof configSchema>;
