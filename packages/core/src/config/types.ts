import type { ErrorCode } from '../codec/error-codes.js';

/**
 * The broker's configuration after loading, aMQTT translation, validation and defaults.
 * Keys stay snake_case as in the YAML file, so docs, YAML and code use one spelling.
 */

/** What of a client certificate `use_identity_as_username` takes as the username. */
export type CertificateIdentity = 'cn' | 'san:dns' | 'san:email' | 'san:uri';

export interface ListenerConfig {
  /** The key under `listeners:` ('default' for the default listener). */
  readonly name: string;
  /** 'tcp' (with ssl: tls) or 'ws' (with ssl: wss). */
  readonly type: 'tcp' | 'ws';
  /** As written, e.g. '0.0.0.0:1883' or ':1883' (inherited from `default`, else '0.0.0.0:1883'). */
  readonly bind: string;
  /**
   * '' for ':port' = every interface (pass it to net/http `listen` as is: Node binds '::', dual-stack).
   * IPv6 without brackets ('[::1]:1883' → '::1').
   */
  readonly host: string;
  /** 0 picks a free port (tests); the broker reports the bound address. */
  readonly port: number;
  /** 0 = unlimited. Excess connections are refused (closed at accept). */
  readonly max_connections: number;
  readonly ssl: boolean;
  /** Absolute paths (relative ones resolved from config_dir), checked to exist at load. Set only when ssl. */
  readonly certfile?: string | undefined;
  readonly keyfile?: string | undefined;
  readonly cafile?: string | undefined;
  readonly capath?: string | undefined;
  /** Ask for and verify client certificates against cafile/capath (always false without ssl). */
  readonly require_certificate: boolean;
  /**
   * The client certificate authenticates the client, and this field of it is its username (false: the
   * CONNECT's username and the authentication plugins decide). Only with require_certificate.
   */
  readonly use_identity_as_username: false | CertificateIdentity;
  /** ws only: accepted HTTP path, undefined = any path. */
  readonly path?: string | undefined;
}

export interface PluginEntry {
  /** The key exactly as written under `plugins:` (after aMQTT class-name mapping). */
  readonly key: string;
  /** What to resolve: a package name, package subpath or a path relative to the config file (= key today). */
  readonly specifier: string;
  /** The plugin's section of the YAML (null/undefined → {}), validated later by the plugin's own schema. */
  readonly config: Readonly<Record<string, unknown>>;
  /**
   * Where the config file wrote its keys (set by loadConfig for a file): plugin problems found at start
   * are reported with their line and column.
   */
  readonly positions?: ConfigLocator;
}

/** Where a config file wrote its keys: `ConfigPositions` (positions.ts), named here without importing it. */
export interface ConfigLocator {
  /** Where `path` (or its closest written ancestor) was written. */
  locate(path: string): { readonly line: number; readonly column: number } | undefined;
  /** `issue` with the line and column of its path, when known. */
  annotate<T extends ConfigIssue>(issue: T): T;
}

/** `log:`: where logs go and how (the CLI's logger; an embedder passing `logger` decides itself). */
export interface LogConfig {
  /** Absolute (a relative `file` in the config starts at config_dir); absent = standard output. */
  readonly file?: string;
  /** Wins over `log_level` when both are set. */
  readonly level?: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  readonly format?: 'json' | 'pretty';
}

/** `persistence:`: the store durable state is kept in. */
export interface PersistenceConfig {
  /** The data directory, absolute (a relative `path` in the file starts at config_dir). */
  readonly path: string;
  /** When a write counts as done: see `PersistenceOptions.sync`. */
  readonly sync: 'batch' | 'always' | 'none';
  /** The store module as written: a package name, package subpath or path relative to config_dir. */
  readonly store: string;
}

export interface BrokerConfig {
  readonly listeners: Readonly<Record<string, ListenerConfig>>;
  /** In config order: setup runs in this order, close in reverse. */
  readonly plugins: readonly PluginEntry[];
  /** Seconds a new connection has to send CONNECT. Time values in seconds may be fractional. */
  readonly connect_timeout: number;
  /** Extra seconds granted on top of 1.5 x keepalive before a silent client is dropped. */
  readonly timeout_disconnect_delay: number;
  /** Bytes; the whole packet, fixed header included. */
  readonly max_packet_size: number;
  readonly max_inflight_messages: number;
  readonly max_queued_messages: number;
  /** Seconds an abandoned persistent session is kept; 0 = forever. */
  readonly session_expiry_interval: number;
  readonly max_topic_length: number;
  readonly max_topic_levels: number;
  /** Bytes queued to a socket before QoS 0 deliveries to it are dropped. */
  readonly max_outgoing_bytes: number;
  /** Seconds a client may stay over max_outgoing_bytes before it is disconnected. */
  readonly slow_reader_timeout: number;
  /** v5: highest Topic Alias a client may use (CONNACK Topic Alias Maximum); 0 = aliases refused. */
  readonly topic_alias_maximum: number;
  /** Bytes a connection may send before its CONNACK is decided (auth pending). */
  readonly max_buffered_before_connack: number;
  /** Milliseconds an async plugin decision may take; past it the answer is deny. */
  readonly plugin_decision_timeout: number;
  /** Milliseconds a plugin's setup may take. */
  readonly plugin_setup_timeout: number;
  /** Topic requests every authorizeTopic hook abstained on: 'deny' (default) or 'allow'. Not used for authentication. */
  readonly default_decision: 'deny' | 'allow';
  readonly log_level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';
  /** Who may resume a session: 'strict' (its creator only), 'fresh' (others get a new session), 'off'. */
  readonly session_owner: 'strict' | 'fresh' | 'off';
  /** Largest CONNECT/AUTH packet before CONNACK, in bytes. */
  readonly max_packet_size_before_connack: number;
  /** Bytes held by all connections without CONNACK together; 0 = unlimited. */
  readonly max_unauthenticated_bytes: number;
  /** Most topic filters in one SUBSCRIBE or UNSUBSCRIBE. */
  readonly max_filters_per_subscribe: number;
  /** v5: most User Properties per packet. */
  readonly max_user_properties: number;
  /** v5: most bytes of User Property names and values per packet. */
  readonly max_user_properties_bytes: number;
  /** Most topic + payload bytes queued per session; 0 = unlimited. */
  readonly max_queued_bytes: number;
  /** Most subscriptions per session; 0 = unlimited. */
  readonly max_subscriptions_per_client: number;
  /** Most retained messages; 0 = unlimited. */
  readonly max_retained_messages: number;
  /** Most topic + payload bytes of retained messages; 0 = unlimited. */
  readonly max_retained_bytes: number;
  /** Most persistent sessions; 0 = unlimited. */
  readonly max_persistent_sessions: number;
  /** Inbound QoS 1/2 window per client (v5 Receive Maximum; v3: QoS 2 awaiting PUBREL). */
  readonly receive_maximum: number;
  /** Control characters in topics, client ids and usernames. */
  readonly control_characters: 'reject' | 'allow';
  /** v5: most Topic Aliases the broker uses towards one client; 0 = none. */
  readonly outgoing_topic_alias_maximum: number;
  /** Seconds between two log lines about the same limit. */
  readonly limit_log_interval: number;
  /** Longest keepalive accepted, seconds (v5: Server Keep Alive; v3: refused above it); 65535 = no cap. */
  readonly max_keepalive: number;
  /**
   * The store named by `persistence:` (the broker loads it at start unless `BrokerOptions.persistence` is
   * given); absent: state is kept in memory.
   */
  readonly persistence?: PersistenceConfig;
  /** `log:` as written (file made absolute); the level to use is `log.level ?? log_level`. */
  readonly log?: LogConfig;
  /** Folder of the config file (process.cwd() for an in-memory config): relative paths resolve from it. */
  readonly config_dir: string;
  /** Path of the config file, when loaded from one. */
  readonly config_file?: string;
}

/** One problem found while loading a config: `file:line:col: path: message`. */
export interface ConfigIssue {
  /** Dotted/indexed path into the YAML, e.g. `listeners.default.bind`, `plugins.'@midge/plugin-sys'.sys_interval`. */
  readonly path: string;
  readonly message: string;
  /** 1-based line of the path in the config file (of its closest written ancestor for a missing key). */
  readonly line?: number;
  /** 1-based column, with `line`. */
  readonly column?: number;
  /** The error code of a plugin that could not be used (`PLUGIN_NOT_FOUND`...); absent for other problems. */
  readonly code?: ErrorCode;
}

/** A deprecated spelling that was translated: printed as a warning. */
export interface ConfigDeprecation {
  readonly path: string;
  readonly message: string;
  readonly line?: number;
  readonly column?: number;
}

/**
 * A valid setting that is probably not what was meant (a wss listener requiring client certificates):
 * printed as a warning, like a deprecation; the config still loads.
 */
export type ConfigWarning = ConfigDeprecation;
