/**
 * Client options: aMQTT's client config keys (snake_case, same defaults) and typed camelCase options, in
 * one object, resolved once into `ResolvedClientOptions`. When both spellings of a setting are given the
 * camelCase one wins.
 */
import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { ConnectProperties, ProtocolVersion, QoS, Will, WillProperties } from '../codec/packets.js';
import { mapAmqttPluginName, PLUGIN_PACKAGES } from '../config/amqtt-compat.js';
import type { PluginEntry } from '../config/types.js';
import { nullLogger } from '../log.js';
import type { Logger, MidgePlugin } from '../plugin-api/types.js';
import { ClientError, ClientErrorCode } from './errors.js';
import type { Authenticate } from './types.js';

export type Transport = 'mqtt' | 'mqtts' | 'ws' | 'wss';

export interface WillOptions {
  topic: string;
  /** `message` is aMQTT's name, `payload` ours; either works. */
  message?: string | Buffer;
  payload?: string | Buffer;
  qos?: QoS;
  retain?: boolean;
  /** v5 only. */
  properties?: WillProperties;
}

/** aMQTT's client config (YAML shape). Defaults are aMQTT's. */
export interface ClientConfig {
  /** Seconds (default 10); sent in CONNECT. 0 turns keepalive off. */
  keep_alive?: number;
  /** Seconds (default 1): PINGREQ is sent this long before keep_alive runs out. */
  ping_delay?: number;
  /** QoS of publish() when none is given (default 0). */
  default_qos?: QoS;
  /** Retain flag of publish() when none is given (default false). */
  default_retain?: boolean;
  /** Reconnect after a lost connection (default true). */
  auto_reconnect?: boolean;
  /** Clean session / clean start (default true). */
  cleansession?: boolean;
  /** Seconds, cap of the exponential backoff (default 10). */
  reconnect_max_interval?: number;
  /** Attempts per lost connection (default 2); negative = forever. */
  reconnect_retries?: number;
  connection?: {
    /** Default `mqtt://127.0.0.1`. */
    uri?: string;
    cafile?: string;
    /** PEM text of CA certificates. */
    cadata?: string;
    certfile?: string;
    keyfile?: string;
  };
  client_id?: string;
  username?: string;
  password?: string;
  will?: WillOptions;
  /** Plugin key → its options (null = none), as in the YAML. Default: the packet logger. `{}` loads none. */
  plugins?: Readonly<Record<string, Readonly<Record<string, unknown>> | null | undefined>>;
}

/** Typed options; each documents the ClientConfig key it overrides. */
export interface ClientOptions {
  /** mqtt://, mqtts://, ws://, wss:// (tcp://, ssl://, tls:// too), with optional user:pass@ and a path for ws. (connection.uri) */
  url?: string;
  /** Override the URL's host / port. */
  host?: string;
  port?: number;
  /** WebSocket path when the URL has none (default '/'). */
  path?: string;
  clientId?: string; // client_id; random `midge-xxxxxxxx` when absent
  username?: string; // username (or from the URL)
  password?: string | Buffer; // password (or from the URL)
  keepalive?: number; // keep_alive
  pingDelay?: number; // ping_delay
  /** Seconds to wait for PINGRESP before the connection counts as dead (default: keepalive). */
  pingTimeout?: number;
  defaultQos?: QoS; // default_qos
  defaultRetain?: boolean; // default_retain
  autoReconnect?: boolean; // auto_reconnect
  clean?: boolean; // cleansession
  reconnectMaxInterval?: number; // reconnect_max_interval
  reconnectRetries?: number; // reconnect_retries
  /** Seconds before the first reconnect attempt; doubles each attempt (default 1). */
  reconnectInitialDelay?: number;
  /**
   * Full jitter: each reconnect delay is drawn at random between reconnectInitialDelay and the doubled
   * delay (capped by reconnectMaxInterval), so many clients that lost the same broker do not all come
   * back at the same instant (default false: the delay as computed).
   */
  reconnectJitter?: boolean;
  /** Seconds to wait for the socket and CONNACK (default 10). */
  connectTimeout?: number;
  /** 3 (MQTT 3.1), 4 (3.1.1, default) or 5. */
  protocolVersion?: ProtocolVersion;
  /** v5 CONNECT properties, passed through. */
  properties?: ConnectProperties;
  /**
   * v5 enhanced authentication: answers each AUTH 0x18 (continue authentication) challenge of the broker,
   * before CONNACK and during `reauthenticate()`, with the Authentication Data to send back. Needs
   * protocolVersion 5 and `properties.authenticationMethod` (with `authenticationData` as the first step).
   */
  authenticate?: Authenticate;
  /** TLS: CA certificates, client certificate and key, as file paths or PEM buffers. (connection.cafile/certfile/keyfile) */
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Verify the server's certificate chain (default true). */
  rejectUnauthorized?: boolean;
  /** Skip the host name check of the server certificate (the chain is still verified), like mosquitto's --insecure. */
  insecure?: boolean;
  /** TLS SNI name (default: the host, unless it is an IP address). */
  servername?: string;
  /** Extra HTTP headers for the WebSocket upgrade. */
  wsHeaders?: Record<string, string>;
  /** Plugins already in memory, set up after `plugins`. */
  extraPlugins?: readonly MidgePlugin[];
  /** Where client plugins log (default: nowhere). */
  logger?: Logger;
  /** Folders plugin packages are resolved from (default: process.cwd()). */
  searchDirs?: readonly string[];
  /** Messages an async iterator buffers before QoS 0 ones are dropped and QoS 1/2 acks are held (default 1000). */
  messageBufferSize?: number;
  /**
   * Opens the byte stream the client speaks MQTT over, instead of the network connection `url` names
   * (the URL then only names the server in messages). Called for each connection, reconnects included:
   * e.g. `() => broker.api.connectLocal()` for an in-process connection to a Midge broker.
   */
  stream?: () => Duplex | Promise<Duplex>;
  /**
   * QoS 1/2 messages received are acknowledged (PUBACK, PUBREC) only once the application calls the
   * message's `ack()`, not when it is handed over (default false). For a program that must pass a
   * message on safely first (a bridge acknowledges only what the other broker acknowledged): until
   * then the broker keeps it in its inflight window and sends it again after a reconnect.
   */
  manualAck?: boolean;
}

export type MqttClientOptions = ClientOptions & ClientConfig;

export interface ResolvedClientOptions {
  readonly transport: Transport;
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly clientId: string;
  readonly username: string | undefined;
  readonly password: Buffer | undefined;
  readonly keepalive: number;
  readonly pingDelay: number;
  readonly pingTimeout: number;
  readonly defaultQos: QoS;
  readonly defaultRetain: boolean;
  readonly autoReconnect: boolean;
  readonly clean: boolean;
  readonly reconnectMaxInterval: number;
  readonly reconnectRetries: number;
  readonly reconnectInitialDelay: number;
  readonly reconnectJitter: boolean;
  readonly connectTimeout: number;
  readonly protocolVersion: ProtocolVersion;
  readonly properties: ConnectProperties | undefined;
  readonly authenticate: Authenticate | undefined;
  readonly will: Will | undefined;
  readonly tls: {
    readonly ca: string | Buffer | undefined;
    readonly cert: string | Buffer | undefined;
    readonly key: string | Buffer | undefined;
    readonly rejectUnauthorized: boolean;
    readonly insecure: boolean;
    readonly servername: string | undefined;
  };
  readonly wsHeaders: Record<string, string> | undefined;
  readonly plugins: readonly PluginEntry[];
  readonly extraPlugins: readonly MidgePlugin[];
  readonly logger: Logger;
  readonly searchDirs: readonly string[];
  readonly messageBufferSize: number;
  readonly stream: (() => Duplex | Promise<Duplex>) | undefined;
  readonly manualAck: boolean;
}

/** aMQTT's default client config. */
export const CLIENT_DEFAULTS = Object.freeze({
  keep_alive: 10,
  ping_delay: 1,
  default_qos: 0,
  default_retain: false,
  auto_reconnect: true,
  cleansession: true,
  reconnect_max_interval: 10,
  reconnect_retries: 2,
  connection: Object.freeze({ uri: 'mqtt://127.0.0.1' }),
  plugins: Object.freeze({ [PLUGIN_PACKAGES.packetLogger]: null }),
});

const DEFAULT_PORTS: Readonly<Record<Transport, number>> = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 };
const SCHEMES: Readonly<Record<string, Transport>> = {
  'mqtt:': 'mqtt',
  'tcp:': 'mqtt',
  'mqtts:': 'mqtts',
  'ssl:': 'mqtts',
  'tls:': 'mqtts',
  'ws:': 'ws',
  'wss:': 'wss',
};

function invalid(message: string): ClientError {
  return new ClientError(ClientErrorCode.invalidArgument, message);
}

export function randomClientId(): string {
  return `midge-${randomBytes(4).toString('hex')}`;
}

export function checkQos(qos: unknown, what: string): QoS {
  if (qos !== 0 && qos !== 1 && qos !== 2) throw invalid(`${what} must be 0, 1 or 2, got ${String(qos)}`);
  return qos;
}

function seconds(value: number | undefined, what: string, min: number, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || value > max) {
    throw invalid(`${what} must be a number from ${min}${max === Infinity ? '' : ` to ${max}`}, got ${String(value)}`);
  }
  return value;
}

interface ParsedUrl {
  transport: Transport;
  host: string;
  port: number;
  path: string | undefined;
  username: string | undefined;
  password: string | undefined;
}

export function parseClientUrl(uri: string): ParsedUrl {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalid(`'${uri}' is not a URL: use mqtt://host:port, mqtts://, ws:// or wss://`);
  }
  const transport = SCHEMES[url.protocol];
  if (transport === undefined)
    throw invalid(`unsupported scheme '${url.protocol}' in '${uri}': use mqtt, mqtts, ws or wss`);
  // ws/wss are "special" URL schemes: their default port is reported as ''.
  const port = url.port === '' ? DEFAULT_PORTS[transport] : Number(url.port);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') throw invalid(`'${uri}' names no host`);
  const path =
    url.pathname === '' || (url.pathname === '/' && !uri.endsWith('/')) ? undefined : url.pathname + url.search;
  return {
    transport,
    host,
    port,
    path,
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
  };
}

function pluginEntries(plugins: ClientConfig['plugins']): PluginEntry[] {
  return Object.entries(plugins ?? {}).map(([name, config]) => {
    const key = mapAmqttPluginName(name) ?? name;
    return { key, specifier: key, config: config ?? {} };
  });
}

export function resolveClientOptions(o: MqttClientOptions): ResolvedClientOptions {
  const d = CLIENT_DEFAULTS;
  const url = parseClientUrl(o.url ?? o.connection?.uri ?? d.connection.uri);
  const port = o.port ?? url.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw invalid(`port must be an integer from 0 to 65535, got ${port}`);
  const protocolVersion = o.protocolVersion ?? 4;
  if (protocolVersion !== 3 && protocolVersion !== 4 && protocolVersion !== 5) {
    throw invalid(`protocolVersion must be 3 (MQTT 3.1), 4 (3.1.1) or 5, got ${String(protocolVersion)}`);
  }
  const keepalive = seconds(o.keepalive ?? o.keep_alive, 'keepalive', 0, 65535) ?? d.keep_alive;
  const password = o.password ?? url.password;
  const w = o.will;
  let will: Will | undefined;
  if (w !== undefined) {
    if (typeof w.topic !== 'string' || w.topic === '' || /[+#]/.test(w.topic))
      throw invalid(`will topic '${String(w.topic)}' is not a valid topic name`);
    const body = w.payload ?? w.message ?? '';
    will = {
      topic: w.topic,
      payload: typeof body === 'string' ? Buffer.from(body) : body,
      qos: checkQos(w.qos ?? 0, 'will qos'),
      retain: w.retain ?? false,
      ...(w.properties !== undefined ? { properties: w.properties } : {}),
    };
  }
  if (o.authenticate !== undefined) {
    if (typeof o.authenticate !== 'function') throw invalid('authenticate must be a function');
    // Without a method in the CONNECT no broker may challenge [MQTT-4.12.0-6]: the function could never run.
    if (protocolVersion !== 5 || o.properties?.authenticationMethod === undefined) {
      throw invalid('authenticate needs protocolVersion 5 and properties.authenticationMethod');
    }
  }
  if (o.stream !== undefined && typeof o.stream !== 'function') throw invalid('stream must be a function');
  const conn = o.connection;
  const bufferSize = o.messageBufferSize ?? 1000;
  if (!Number.isInteger(bufferSize) || bufferSize < 1)
    throw invalid(`messageBufferSize must be a positive integer, got ${bufferSize}`);
  return {
    transport: url.transport,
    host: o.host ?? url.host,
    port,
    path: url.path ?? o.path ?? '/',
    clientId: o.clientId ?? o.client_id ?? randomClientId(),
    username: o.username ?? url.username,
    password: password === undefined ? undefined : typeof password === 'string' ? Buffer.from(password) : password,
    keepalive,
    pingDelay: seconds(o.pingDelay ?? o.ping_delay, 'pingDelay', 0) ?? d.ping_delay,
    pingTimeout: seconds(o.pingTimeout, 'pingTimeout', 0) ?? keepalive,
    defaultQos: checkQos(o.defaultQos ?? o.default_qos ?? d.default_qos, 'defaultQos'),
    defaultRetain: o.defaultRetain ?? o.default_retain ?? d.default_retain,
    autoReconnect: o.autoReconnect ?? o.auto_reconnect ?? d.auto_reconnect,
    clean: o.clean ?? o.cleansession ?? d.cleansession,
    reconnectMaxInterval:
      seconds(o.reconnectMaxInterval ?? o.reconnect_max_interval, 'reconnectMaxInterval', 0) ??
      d.reconnect_max_interval,
    reconnectRetries: o.reconnectRetries ?? o.reconnect_retries ?? d.reconnect_retries,
    reconnectInitialDelay: seconds(o.reconnectInitialDelay, 'reconnectInitialDelay', 0) ?? 1,
    reconnectJitter: o.reconnectJitter ?? false,
    connectTimeout: seconds(o.connectTimeout, 'connectTimeout', 0) ?? 10,
    protocolVersion,
    properties: o.properties,
    authenticate: o.authenticate,
    will,
    tls: {
      ca: o.ca ?? conn?.cafile ?? (conn?.cadata !== undefined ? Buffer.from(conn.cadata) : undefined),
      cert: o.cert ?? conn?.certfile,
      key: o.key ?? conn?.keyfile,
      rejectUnauthorized: o.rejectUnauthorized ?? true,
      insecure: o.insecure ?? false,
      servername: o.servername,
    },
    wsHeaders: o.wsHeaders,
    plugins: pluginEntries(o.plugins ?? d.plugins),
    extraPlugins: o.extraPlugins ?? [],
    logger: o.logger ?? nullLogger,
    searchDirs: o.searchDirs ?? [process.cwd()],
    messageBufferSize: bufferSize,
    stream: o.stream,
    manualAck: o.manualAck ?? false,
  };
}
