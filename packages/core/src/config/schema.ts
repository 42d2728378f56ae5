/**
 * The broker YAML, after aMQTT translation, as a valibot schema. The same schema validates configs at load
 * time and is turned into the shipped JSON Schema (dist/config.schema.json), so both always agree.
 *
 * Every object is strict: an unknown key is an error, never silently ignored, because a misspelt limit
 * that is ignored leaves the broker running with a default the user believes they changed.
 *
 * Listener keys carry no defaults here: a listener inherits each unset key from `listeners.default`
 * (aMQTT semantics), which only works if "unset" stays visible. Defaults are applied in listeners.ts.
 */
import * as v from 'valibot';
import { BIND_PATTERN, parseBind } from './bind.js';
import { expected } from './issues.js';

/** setTimeout's limit (2^31 - 1 ms): longer timers fire at once, so longer timeouts are refused. */
export const MAX_TIMER_SECONDS = 2_147_483;
const MAX_TIMER_MS = 2_147_483_647;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Who may resume a session: see `session_owner` in the README. */
export const SESSION_OWNER_POLICIES = ['strict', 'fresh', 'off'] as const;
export type SessionOwnerPolicy = (typeof SESSION_OWNER_POLICIES)[number];

/** What a topic request gets when every authorizeTopic hook abstained: see `default_decision` in the README. */
export const DEFAULT_DECISIONS = ['deny', 'allow'] as const;
export type DefaultDecisionPolicy = (typeof DEFAULT_DECISIONS)[number];

/** What to do with U+0001-U+001F and U+007F-U+009F in topics, client ids and usernames. */
export const CONTROL_CHARACTER_POLICIES = ['reject', 'allow'] as const;
export type ControlCharacterPolicy = (typeof CONTROL_CHARACTER_POLICIES)[number];

// js-yaml reads YAML 1.2, where aMQTT's (YAML 1.1) on/off/yes/no stay strings; accept them for flags.
const FLAG_WORDS = ['true', 'false', 'on', 'off', 'yes', 'no'] as const;
const FLAG_SPELLINGS = FLAG_WORDS.flatMap((w) => [w, w.charAt(0).toUpperCase() + w.slice(1), w.toUpperCase()]);
const TRUE_WORDS = new Set(['true', 'on', 'yes']);

/** Reads a YAML flag: a boolean, or one of aMQTT's on/off/yes/no/true/false words in any case. */
export function toFlag(value: boolean | string): boolean {
  return typeof value === 'boolean' ? value : TRUE_WORDS.has(value.toLowerCase());
}

/** Whether `value` is a flag `toFlag` understands. */
export function isFlag(value: unknown): value is boolean | string {
  return typeof value === 'boolean' || (typeof value === 'string' && FLAG_SPELLINGS.includes(value));
}

/** What of a client certificate `use_identity_as_username` takes as the username (config/types.ts). */
export const CERTIFICATE_IDENTITIES = ['cn', 'san:dns', 'san:email', 'san:uri'] as const;

function flag(description: string) {
  return v.pipe(
    v.union([v.boolean(), v.picklist(FLAG_SPELLINGS)], expected("true or false (aMQTT's on/off and yes/no work too)")),
    v.description(description),
    v.transform(toFlag),
  );
}

function integer(min: number, max: number | undefined, description: string) {
  const message = expected(max === undefined ? `an integer >= ${min}` : `an integer from ${min} to ${max}`);
  return max === undefined
    ? v.pipe(v.number(message), v.integer(message), v.minValue(min, message), v.description(description))
    : v.pipe(
        v.number(message),
        v.integer(message),
        v.minValue(min, message),
        v.maxValue(max, message),
        v.description(description),
      );
}

/** Seconds; fractions allowed (tests use short timeouts). `positive` refuses 0. */
function seconds(positive: boolean, max: number, description: string) {
  const message = expected(`a number of seconds ${positive ? 'above 0' : 'from 0'} up to ${max}`);
  return positive
    ? v.pipe(v.number(message), v.gtValue(0, message), v.maxValue(max, message), v.description(description))
    : v.pipe(v.number(message), v.minValue(0, message), v.maxValue(max, message), v.description(description));
}

function text(what: string, description: string) {
  const message = expected(what);
  return v.pipe(v.string(message), v.minLength(1, message), v.description(description));
}

function bindMessage(issue: v.BaseIssue<unknown>): string {
  const reason = typeof issue.input === 'string' ? parseBind(issue.input) : undefined;
  return typeof reason === 'string' ? reason : expected("'host:port'")(issue);
}

/**
 * A strict object that reports every unknown key (valibot's strictObject stops at the first one).
 * The rest schema's issues are turned into "unknown key" messages by fromValibotIssues. `required` says,
 * for each key that must be set, what to write (a missing key is the only issue of the object itself
 * that carries a path when its message is made).
 */
function strict<const TEntries extends v.ObjectEntries>(
  entries: TEntries,
  what: string,
  required: Partial<Record<keyof TEntries, string>> = {},
) {
  const wrongType = expected(what);
  return v.objectWithRest(entries, v.never(), (issue) => {
    const key = issue.path?.[0]?.key;
    const hint = typeof key === 'string' ? (required as Record<string, string | undefined>)[key] : undefined;
    return hint === undefined ? wrongType(issue) : `required: ${hint}`;
  });
}

export const listenerEntries = {
  type: v.optional(
    v.pipe(
      v.picklist(['tcp', 'ws'], expected("'tcp' or 'ws' (with ssl: true they become TLS and wss)")),
      v.description(
        "Transport: 'tcp' (MQTT over TCP, or TLS with ssl) or 'ws' (MQTT over WebSocket, or wss with ssl). Default 'tcp'.",
      ),
    ),
  ),
  bind: v.optional(
    v.pipe(
      v.string(expected("a 'host:port' string")),
      v.regex(new RegExp(BIND_PATTERN), bindMessage),
      v.check((bind) => typeof parseBind(bind) !== 'string', bindMessage),
      v.description(
        "Address and port: '0.0.0.0:1883', ':1883' (every interface, IPv4 and IPv6), '[::1]:1883'. Port 0 picks a free port. Default '0.0.0.0:1883'.",
      ),
    ),
  ),
  max_connections: v.optional(
    integer(0, undefined, 'Most simultaneous connections on this listener; 0 = unlimited. Default 0.'),
  ),
  ssl: v.optional(flag('Serve TLS (tcp) or wss (ws); needs certfile and keyfile. Default false.')),
  certfile: v.optional(
    text('a file path', 'PEM certificate (chain) of the server. Relative paths start at the config file.'),
  ),
  keyfile: v.optional(text('a file path', 'PEM private key of the server.')),
  cafile: v.optional(text('a file path', 'PEM file of CA certificates that client certificates are verified against.')),
  capath: v.optional(
    text('a folder path', 'Folder of PEM CA certificates that client certificates are verified against.'),
  ),
  require_certificate: v.optional(
    flag('Ask every client for a certificate and refuse those not signed by cafile/capath. Default false.'),
  ),
  use_identity_as_username: v.optional(
    v.pipe(
      v.union(
        [v.boolean(), v.picklist(CERTIFICATE_IDENTITIES)],
        expected(`true, false or one of ${CERTIFICATE_IDENTITIES.map((i) => `'${i}'`).join(', ')}`),
      ),
      v.description(
        "With require_certificate: the client certificate authenticates the client and names it: its subject CN (true or 'cn'), or its first DNS name, email address or URI SAN ('san:dns', 'san:email', 'san:uri'), as the username plugins and ACLs see; the CONNECT's username and password are not checked. Default false.",
      ),
    ),
  ),
  path: v.optional(
    v.pipe(
      v.string(expected("a URL path such as '/mqtt'")),
      v.startsWith('/', expected("a URL path starting with '/' such as '/mqtt'")),
      v.description('ws only: the HTTP path WebSocket clients must use. Unset = any path.'),
    ),
  ),
};

export const listenerSchema = strict(listenerEntries, 'a mapping of listener settings');

/** `persistence.sync`: when a write counts as done. */
export const PERSISTENCE_SYNC_MODES = ['batch', 'always', 'none'] as const;
export type PersistenceSyncMode = (typeof PERSISTENCE_SYNC_MODES)[number];

/** The store package `persistence:` loads unless `store` names another. */
export const DEFAULT_PERSISTENCE_STORE = '@midge/persistence-lmdb';

export const persistenceEntries = {
  path: text(
    'a folder path',
    "The store's data directory, created if missing. Relative paths start at the config file's folder.",
  ),
  sync: v.optional(
    v.pipe(
      v.picklist(PERSISTENCE_SYNC_MODES, expected("'batch', 'always' or 'none'")),
      v.description(
        "'batch': each event-loop turn's writes are committed and fsync'd together before the QoS 1/2 messages they carry are acknowledged (nothing acknowledged is lost, even by a power cut). 'always': the same promise with one fsync per write (slower). 'none': the OS writes when it likes (a process crash loses nothing acknowledged; a power cut or OS crash may lose recent writes). Default 'batch'.",
      ),
    ),
    'batch',
  ),
  store: v.optional(
    text(
      'a package name or a path to a module file',
      `The store module: a package name, a package subpath or a path relative to the config file; it exports createPersistence. Default '${DEFAULT_PERSISTENCE_STORE}'.`,
    ),
    DEFAULT_PERSISTENCE_STORE,
  ),
};

/** `log.format`: JSON lines for collectors, or one readable line per record. */
export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const logLevel = v.picklist(
  LOG_LEVELS,
  expected(
    LOG_LEVELS.map((l) => `'${l}'`)
      .join(', ')
      .replace(/, ([^,]*)$/, ' or $1'),
  ),
);

export const logEntries = {
  file: v.optional(
    text(
      'a file path',
      "Where logs are appended, created if missing; relative paths start at the config file's folder. Absent = standard output. midge reopens it on SIGUSR1 and SIGHUP (for logrotate: rename the file, then signal).",
    ),
  ),
  level: v.optional(
    v.pipe(logLevel, v.description('Least severe level written; wins over the top-level log_level when both are set.')),
  ),
  format: v.optional(
    v.pipe(
      v.picklist(LOG_FORMATS, expected("'json' or 'pretty'")),
      v.description(
        "'json': one JSON record per line (pino), for log collectors. 'pretty': one readable line per record. Default: pretty when midge writes to a terminal, json otherwise (a file is json unless set).",
      ),
    ),
  ),
};

export const logSchema = strict(logEntries, 'a mapping of log settings');

export const persistenceSchema = strict(persistenceEntries, 'a mapping of persistence settings', {
  path: "the store's data directory, e.g. path: /var/lib/midge",
});

/** Defaults of every top-level key but `listeners` and `plugins`. */
export const CONFIG_DEFAULTS = {
  connect_timeout: 10,
  timeout_disconnect_delay: 0,
  max_packet_size: 1_048_576,
  max_inflight_messages: 20,
  max_queued_messages: 1000,
  session_expiry_interval: 0,
  max_topic_length: 65_535,
  max_topic_levels: 1024,
  max_outgoing_bytes: 4_194_304,
  slow_reader_timeout: 30,
  max_buffered_before_connack: 65_536,
  topic_alias_maximum: 10,
  plugin_decision_timeout: 5000,
  plugin_setup_timeout: 10_000,
  default_decision: 'deny',
  log_level: 'info',
  // Hardening limits.
  session_owner: 'strict',
  max_packet_size_before_connack: 65_536,
  max_unauthenticated_bytes: 33_554_432,
  max_filters_per_subscribe: 500,
  max_user_properties: 64,
  max_user_properties_bytes: 65_536,
  max_queued_bytes: 67_108_864,
  max_subscriptions_per_client: 10_000,
  max_retained_messages: 1_000_000,
  max_retained_bytes: 536_870_912,
  max_persistent_sessions: 100_000,
  receive_maximum: 1024,
  control_characters: 'reject',
  outgoing_topic_alias_maximum: 0,
  limit_log_interval: 60,
  max_keepalive: 65_535,
} as const satisfies Record<
  string,
  number | LogLevel | SessionOwnerPolicy | ControlCharacterPolicy | DefaultDecisionPolicy
>;

const D = CONFIG_DEFAULTS;

export const configEntries = {
  listeners: v.optional(
    v.pipe(
      v.record(v.string(), listenerSchema, expected('a mapping of listener name to settings')),
      v.description(
        "Network listeners by name. Every listener inherits the keys it does not set from 'default'. Absent = one tcp listener 'default' on 0.0.0.0:1883.",
      ),
    ),
  ),
  log: v.optional(
    v.pipe(
      logSchema,
      v.description('Where logs go and how: { file, level, format }. Absent = standard output at log_level.'),
    ),
  ),
  persistence: v.optional(
    v.pipe(
      v.union(
        [v.literal(false), persistenceSchema],
        expected('a mapping such as { path: /var/lib/midge }, or false (state in memory only)'),
      ),
      v.description(
        'Durable state (sessions, queues, inflight messages, retained messages, wills) in a store on disk: { path, sync, store }. Absent or false = in memory only, lost when the broker stops.',
      ),
    ),
  ),
  plugins: v.optional(
    v.pipe(
      v.record(
        v.pipe(v.string(), v.minLength(1, 'a plugin key cannot be empty')),
        v.nullable(v.record(v.string(), v.unknown(), expected('a mapping of plugin options (or nothing)'))),
        expected('a mapping of plugin package name to options'),
      ),
      v.description(
        'Plugins in setup order: package name, package subpath or path relative to the config file → its options (or nothing). Absent = the default plugins.',
      ),
    ),
  ),
  connect_timeout: v.optional(
    seconds(true, MAX_TIMER_SECONDS, 'Seconds a new connection has to send CONNECT before it is closed.'),
    D.connect_timeout,
  ),
  timeout_disconnect_delay: v.optional(
    seconds(
      false,
      MAX_TIMER_SECONDS,
      'Extra seconds granted on top of 1.5 x keepalive before a silent client is dropped.',
    ),
    D.timeout_disconnect_delay,
  ),
  max_packet_size: v.optional(
    integer(2, 268_435_460, 'Largest packet accepted, in bytes, fixed header included (MQTT allows up to 268435460).'),
    D.max_packet_size,
  ),
  max_inflight_messages: v.optional(
    integer(1, 65_535, 'QoS 1/2 messages sent to a client and not yet acknowledged, per client.'),
    D.max_inflight_messages,
  ),
  max_queued_messages: v.optional(
    integer(
      0,
      undefined,
      'Most messages queued per offline or throttled session (what happens beyond it: see the broker docs).',
    ),
    D.max_queued_messages,
  ),
  session_expiry_interval: v.optional(
    seconds(false, 4_294_967_295, 'Seconds an abandoned persistent session is kept; 0 = forever.'),
    D.session_expiry_interval,
  ),
  max_topic_length: v.optional(
    integer(1, 65_535, 'Longest topic name or filter accepted, in UTF-8 bytes.'),
    D.max_topic_length,
  ),
  max_topic_levels: v.optional(integer(1, undefined, "Most '/'-separated levels in a topic."), D.max_topic_levels),
  max_outgoing_bytes: v.optional(
    integer(1, undefined, 'Bytes queued to a socket before QoS 0 deliveries to it are dropped (slow reader).'),
    D.max_outgoing_bytes,
  ),
  slow_reader_timeout: v.optional(
    seconds(true, MAX_TIMER_SECONDS, 'Seconds a client may stay over max_outgoing_bytes before it is disconnected.'),
    D.slow_reader_timeout,
  ),
  max_buffered_before_connack: v.optional(
    integer(0, undefined, 'Bytes a connection may send before its CONNACK is decided (while auth is pending).'),
    D.max_buffered_before_connack,
  ),
  topic_alias_maximum: v.optional(
    integer(
      0,
      65_535,
      'MQTT 5: highest Topic Alias a client may use for its PUBLISH topics, per connection (sent in CONNACK); 0 = aliases refused.',
    ),
    D.topic_alias_maximum,
  ),
  plugin_decision_timeout: v.optional(
    integer(1, MAX_TIMER_MS, 'Milliseconds an async plugin decision may take; past it the answer is deny.'),
    D.plugin_decision_timeout,
  ),
  plugin_setup_timeout: v.optional(
    integer(1, MAX_TIMER_MS, "Milliseconds a plugin's setup may take."),
    D.plugin_setup_timeout,
  ),
  default_decision: v.optional(
    v.pipe(
      v.picklist(DEFAULT_DECISIONS, expected("'deny' or 'allow'")),
      v.description(
        'What a publish, subscribe or receive gets when every plugin with an authorizeTopic hook abstained (no deny, no allow). Plugins that only veto (vetoTopic) never make this apply. Authentication is not affected: a CONNECT every authenticate hook abstained on is refused.',
      ),
    ),
    D.default_decision,
  ),
  log_level: v.optional(
    v.pipe(
      v.picklist(
        LOG_LEVELS,
        expected(
          LOG_LEVELS.map((l) => `'${l}'`)
            .join(', ')
            .replace(/, ([^,]*)$/, ' or $1'),
        ),
      ),
      v.description('Least severe log level written.'),
    ),
    D.log_level,
  ),
  session_owner: v.optional(
    v.pipe(
      v.picklist(SESSION_OWNER_POLICIES, expected("'strict', 'fresh' or 'off'")),
      v.description(
        "A session belongs to the username that created it. 'strict': another username (or anonymous) is refused while the session exists (v5 0x87, v3 0x05). 'fresh': the other user gets a new, empty session and the old one is discarded. 'off': anyone may resume anyone's session (unsafe).",
      ),
    ),
    D.session_owner,
  ),
  max_packet_size_before_connack: v.optional(
    integer(2, 268_435_460, 'Largest packet accepted before CONNACK (the CONNECT and AUTH packets), in bytes.'),
    D.max_packet_size_before_connack,
  ),
  max_unauthenticated_bytes: v.optional(
    integer(
      0,
      undefined,
      'Bytes held by all connections that have no CONNACK yet, together; past it new data closes the connection. 0 = unlimited.',
    ),
    D.max_unauthenticated_bytes,
  ),
  max_filters_per_subscribe: v.optional(
    integer(
      1,
      65_535,
      'Most topic filters in one SUBSCRIBE or UNSUBSCRIBE packet; more closes the connection (MQTT 5: DISCONNECT 0x97 Quota exceeded).',
    ),
    D.max_filters_per_subscribe,
  ),
  max_user_properties: v.optional(
    integer(
      0,
      undefined,
      'MQTT 5: most User Properties in one packet (a will counts with its CONNECT); more closes the connection (CONNECT: CONNACK 0x95, later: DISCONNECT 0x95). 0 = unlimited.',
    ),
    D.max_user_properties,
  ),
  max_user_properties_bytes: v.optional(
    integer(
      0,
      undefined,
      'MQTT 5: most bytes of User Property names and values in one packet; more closes the connection as max_user_properties does. 0 = unlimited.',
    ),
    D.max_user_properties_bytes,
  ),
  max_queued_bytes: v.optional(
    integer(
      0,
      undefined,
      'Most topic, payload and property bytes queued per session (offline or throttled); 0 = unlimited.',
    ),
    D.max_queued_bytes,
  ),
  max_subscriptions_per_client: v.optional(
    integer(
      0,
      undefined,
      'Most subscriptions one session may hold; past it SUBSCRIBE gets 0x97 (v5) / 0x80. 0 = unlimited.',
    ),
    D.max_subscriptions_per_client,
  ),
  max_retained_messages: v.optional(
    integer(
      0,
      undefined,
      'Most retained messages kept; past it a new retained topic is delivered but not retained. 0 = unlimited.',
    ),
    D.max_retained_messages,
  ),
  max_retained_bytes: v.optional(
    integer(0, undefined, 'Most topic, payload and property bytes of retained messages kept. 0 = unlimited.'),
    D.max_retained_bytes,
  ),
  max_persistent_sessions: v.optional(
    integer(
      0,
      undefined,
      'Most persistent sessions kept; past it a new persistent session is refused (v5 0x97, v3 0x03). 0 = unlimited.',
    ),
    D.max_persistent_sessions,
  ),
  receive_maximum: v.optional(
    integer(
      1,
      65_535,
      'Most QoS 1/2 PUBLISH packets a client may have unacknowledged towards the broker (v5: Receive Maximum in CONNACK, exceeding it is DISCONNECT 0x93; v3: QoS 2 awaiting PUBREL).',
    ),
    D.receive_maximum,
  ),
  control_characters: v.optional(
    v.pipe(
      v.picklist(CONTROL_CHARACTER_POLICIES, expected("'reject' or 'allow'")),
      v.description(
        "U+0001-U+001F and U+007F-U+009F in topics, client ids and usernames: 'reject' (the default; closes a log-injection path) or 'allow' (MQTT allows them).",
      ),
    ),
    D.control_characters,
  ),
  outgoing_topic_alias_maximum: v.optional(
    integer(
      0,
      65_535,
      "MQTT 5: most Topic Aliases the broker sets on a connection for its PUBLISH packets (at most the client's Topic Alias Maximum); 0 = none.",
    ),
    D.outgoing_topic_alias_maximum,
  ),
  limit_log_interval: v.optional(
    seconds(
      true,
      MAX_TIMER_SECONDS,
      'Seconds between two log lines about the same limit being hit (the count in between is logged).',
    ),
    D.limit_log_interval,
  ),
  max_keepalive: v.optional(
    integer(
      1,
      65_535,
      'Longest keepalive a client may use, in seconds; 65535 = no cap. v5 clients above it (or asking 0 = none) get it as Server Keep Alive; v3 clients above it are refused (identifier rejected), as in Mosquitto.',
    ),
    D.max_keepalive,
  ),
};

/** The broker config file (our spelling, after aMQTT translation). */
export const brokerConfigSchema = strict(configEntries, 'a mapping of settings at the top of the config');

export const CONFIG_KEYS: readonly string[] = Object.keys(configEntries);
export const LISTENER_KEYS: readonly string[] = Object.keys(listenerEntries);
export const PERSISTENCE_KEYS: readonly string[] = Object.keys(persistenceEntries);
export const LOG_KEYS: readonly string[] = Object.keys(logEntries);

// Spelled out from the entries: the inferred object types carry the rest schema's `[key: string]: never`.
type EntriesInput<TEntries extends v.ObjectEntries> = { [K in keyof TEntries]?: v.InferInput<TEntries[K]> };
type EntriesOutput<TEntries extends v.ObjectEntries> = { [K in keyof TEntries]: v.InferOutput<TEntries[K]> };

/** One listener as a config file may write it (our spelling). */
export type ListenerInput = EntriesInput<typeof listenerEntries>;
/** `persistence:` as a config file may write it (`path` is required there; an override may set any key). */
export type PersistenceInput = EntriesInput<typeof persistenceEntries>;
/** What a config file may hold (our spelling): also the type of `loadConfig`'s `overrides`. */
export type ConfigInput = Omit<EntriesInput<typeof configEntries>, 'listeners' | 'persistence'> & {
  listeners?: Record<string, ListenerInput>;
  persistence?: false | PersistenceInput;
};
export type ParsedListener = EntriesOutput<typeof listenerEntries>;

/** The keys allowed where an unknown key was found, for "did you mean" suggestions. */
export function knownKeysAt(parent: readonly (string | number)[]): readonly string[] | undefined {
  if (parent.length === 0) return CONFIG_KEYS;
  if (parent.length === 2 && parent[0] === 'listeners') return LISTENER_KEYS;
  if (parent.length === 1 && parent[0] === 'persistence') return PERSISTENCE_KEYS;
  if (parent.length === 1 && parent[0] === 'log') return LOG_KEYS;
  return undefined;
}
