/**
 * The plugin API. Types only: runtime helpers are in define.ts and decision.ts.
 * Third parties extend `BrokerEvents` by declaration merging:
 *
 *   declare module '@midge/mqtt-core' { interface BrokerEvents { 'acme:thing': { n: number } } }
 */
import type { Duplex } from 'node:stream';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { ConnectPacket, Packet, ProtocolVersion, PublishProperties, QoS } from '../codec/packets.js';
import type { PersistedSession } from '../persistence/types.js';
import type { Logger } from './logger.js';

/** What plugins know of a connected client. `username` is undefined for clients that sent none. */
export interface ClientInfo {
  readonly clientId: string;
  readonly username: string | undefined;
  readonly protocolVersion: ProtocolVersion;
  /** Name of the listener (config key) the client came in on. */
  readonly listener: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** True over tls/wss. */
  readonly secure: boolean;
}

/** An application message as plugins see it. `payload` may be a view: copy it to keep it past the call. */
/** One entry of `BrokerApi.sessions()`. */
export interface SessionSummary {
  readonly clientId: string;
  /** Of the client that last used it. */
  readonly username: string | undefined;
  readonly connected: boolean;
  /** Kept in the broker's store (it outlives its connection). */
  readonly persistent: boolean;
  readonly subscriptions: number;
  readonly queued: number;
  readonly inflight: number;
  /** Seconds it outlives its connection (v5 Session Expiry Interval); undefined: the broker's default. */
  readonly expiryInterval: number | undefined;
}

/** What `Broker.reload` did: one line per change, per failure, and the settings that need a restart. */
export interface ReloadReport {
  /** What changed, one line each ("listener ws2 added on 127.0.0.1:9001 (ws)"); empty when nothing did. */
  readonly changes: readonly string[];
  /** What could not be applied, one line each: that part keeps running as it was. */
  readonly failures: readonly string[];
  /** Config paths whose change only a restart applies (`max_queued_messages`, `listeners.a.max_connections`). */
  readonly needsRestart: readonly string[];
}

/** What a config reload through `BrokerApi.requestReload()` did (the same as SIGHUP does in `midge`). */
export interface ReloadOutcome extends ReloadReport {
  /** False: the config read again had errors (`errors`), and nothing changed. */
  readonly applied: boolean;
  readonly errors: readonly string[];
}

/** A plugin the broker runs (`BrokerApi.plugins()`). */
export interface PluginSummary {
  /** Its definition's name (logs are tagged with it). */
  readonly name: string;
  /** The key it is listed under in `plugins:` (package name, subpath, path, aMQTT class name). */
  readonly key: string;
  /** Its npm package's version; null when given in memory, loaded from a file path, or not found. */
  readonly version: string | null;
  /**
   * `running`: set up and answering. A plugin whose setup fails stops the start (or a reload, which keeps
   * the previous plugins), so no other state is ever listed.
   */
  readonly state: 'running';
}

/** One subscription of a session, as `BrokerApi.clientDetail()` shows it. */
export interface SubscriptionDetail {
  readonly filter: string;
  /** The maximum QoS granted. */
  readonly qos: QoS;
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  /** v5 Subscription Identifier, if the client gave one. */
  readonly subscriptionId: number | undefined;
}

/** Everything an operator may want to know of one session (`BrokerApi.clientDetail()`). */
export interface ClientDetail extends SessionSummary {
  /** MQTT 3 (3.1), 4 (3.1.1) or 5, of the client that last used it. */
  readonly protocolVersion: ProtocolVersion;
  /** Ends with its connection (v3/v4 clean session, v5 session expiry 0). */
  readonly clean: boolean;
  /** Listener and address of the connection (of the last one while offline). */
  readonly listener: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly secure: boolean;
  /** When its CONNACK went out (epoch ms), while connected. */
  readonly connectedAt: number | undefined;
  readonly subscriptionList: readonly SubscriptionDetail[];
  /** Bytes of topic and payload queued (max_queued_bytes counts these). */
  readonly queuedBytes: number;
  /** QoS 2 packet ids received and not yet released (PUBREL). */
  readonly inboundQos2: number;
  /** A will waits for its delay (v5 Will Delay Interval) after the connection ended. */
  readonly pendingWill: boolean;
}

/** One entry of `BrokerApi.connectedClients()`. */
export interface ConnectedClient {
  readonly client: ClientInfo;
  /** When its CONNACK went out (epoch ms). */
  readonly connectedAt: number;
}

export interface Message {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: QoS;
  readonly retain: boolean;
  readonly properties?: PublishProperties | undefined;
}

// ---- decisions -------------------------------------------------------------------------------

export interface AllowDecision {
  readonly verdict: 'allow';
  /**
   * `authenticate` only (`allowAs(username)`): the identity the plugin established (a JWT's subject, an
   * HTTP endpoint's answer); the broker uses it instead of the CONNECT's username, for every plugin and
   * ACL after. Ignored on other hooks. With several allowing plugins, the first one's counts.
   */
  readonly username?: string;
}
export interface AbstainDecision {
  readonly verdict: 'abstain';
}
export interface DenyDecision {
  readonly verdict: 'deny';
  /** Logged, and sent as a v5 reason string where the packet allows one. Never include secrets. */
  readonly reason?: string;
  /** MQTT reason code to answer with (CONNACK / SUBACK / PUBACK); the broker picks a fitting one when absent. */
  readonly reasonCode?: number;
  /** Close the client's connection after answering. */
  readonly disconnect?: boolean;
}
export type Decision = AllowDecision | DenyDecision | AbstainDecision;

export interface AuthenticateRequest {
  readonly client: ClientInfo;
  /** Never log it. */
  readonly password: Buffer | undefined;
  readonly connect: ConnectPacket;
}

/**
 * An authenticated client about to be admitted: `client` carries the identity the broker will use (the
 * username an enhanced authentication set, not necessarily the CONNECT's).
 */
export interface AuthorizeClientRequest {
  readonly client: ClientInfo;
  readonly connect: ConnectPacket;
}

export type TopicAction = 'publish' | 'subscribe' | 'receive';

export interface AuthorizeTopicRequest {
  readonly client: ClientInfo;
  readonly action: TopicAction;
  /** A topic name for publish/receive; a topic filter for subscribe. */
  readonly topic: string;
  readonly qos: QoS;
}

// ---- events ----------------------------------------------------------------------------------

/** Event name → payload. Fire and forget: a handler's error is logged under the plugin's name. */
export interface BrokerEvents {
  'broker:pre-start': Record<string, never>;
  'broker:post-start': Record<string, never>;
  'broker:pre-shutdown': Record<string, never>;
  'broker:post-shutdown': Record<string, never>;
  'client:connected': {
    readonly client: ClientInfo;
    readonly clean: boolean;
    readonly sessionPresent: boolean;
    /** The client's will (v5: its properties, without the delay) and v5 Will Delay Interval in seconds. */
    readonly will?: { readonly message: Message; readonly delay: number };
  };
  'client:disconnected': {
    readonly client: ClientInfo;
    /** True when the client sent DISCONNECT (no will); false for any other close. */
    readonly graceful: boolean;
    readonly reason: string;
  };
  'client:subscribed': { readonly client: ClientInfo; readonly topic: string; readonly qos: QoS };
  'client:unsubscribed': { readonly client: ClientInfo; readonly topic: string };
  /**
   * A session of this broker now holds a subscription to `filter` it did not hold: a SUBSCRIBE, or a
   * persistent session coming back. Unlike `client:subscribed`, it covers every session, connected or not.
   * With `subscription:removed` and `BrokerApi.subscriptions()` a plugin knows every filter the broker
   * holds at any time (a cluster plugin asks other brokers only for the messages these filters match).
   */
  'subscription:added': SubscriptionEntry;
  /** A session no longer holds `filter`: an UNSUBSCRIBE, or the session ended (clean session, expiry, takeover). */
  'subscription:removed': SubscriptionEntry;
  /**
   * A session of this broker ended: a clean session's connection closed, a persistent one expired, a clean
   * start replaced it, or it was handed over to another broker (`BrokerApi.handOverSession`). The client
   * id holds nothing on this broker any more (a cluster plugin forgets where it lived).
   */
  'session:ended': { readonly clientId: string };
  /**
   * A message accepted for routing, from any origin, after the `$`-topic rule and publish authorization.
   * `client`: whose rights it was published with (the publisher, the will's owner, the API's `as`);
   * undefined for a trusted publish.
   */
  'message:received': {
    readonly client: ClientInfo | undefined;
    readonly message: Message;
    readonly origin: MessageOrigin;
  };
  /** A message routed to subscribers; `client` and `origin` as in `message:received`. */
  'message:broadcast': {
    readonly client: ClientInfo | undefined;
    readonly message: Message;
    readonly origin: MessageOrigin;
  };
  /**
   * The retained message of a topic was stored or replaced; `origin`: the publish that carried it, or
   * the plugin that set it with `BrokerApi.setRetained` (a cluster plugin skips those it applied itself).
   */
  'retained:set': { readonly message: RetainedMessage; readonly origin: MessageOrigin };
  /** The retained message of a topic was cleared (an empty retained payload, `setRetained`); not on expiry. */
  'retained:cleared': { readonly topic: string; readonly origin: MessageOrigin };
  'packet:received': { readonly client: ClientInfo | undefined; readonly packet: Packet };
  'packet:sent': { readonly client: ClientInfo | undefined; readonly packet: Packet };
}
export type BrokerEventName = keyof BrokerEvents;
export type EventHandlers = {
  [K in BrokerEventName]?: (event: BrokerEvents[K]) => void | Promise<void>;
};

// ---- context ---------------------------------------------------------------------------------

export type { Logger } from './logger.js';

/** Exact counters since start (the `$SYS` figures). */
export interface BrokerStats {
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly packetsReceived: number;
  readonly packetsSent: number;
  /** Application messages (PUBLISH) received from clients. */
  readonly messagesReceived: number;
  /** Application messages (PUBLISH) sent to clients. */
  readonly messagesSent: number;
  readonly publishReceived: number;
  readonly publishSent: number;
  /** `messagesReceived` by the QoS the publisher used: [QoS 0, QoS 1, QoS 2]. */
  readonly messagesReceivedByQos: readonly [number, number, number];
  /** `messagesSent` by the QoS of the delivery: [QoS 0, QoS 1, QoS 2]. */
  readonly messagesSentByQos: readonly [number, number, number];
  readonly clientsConnected: number;
  readonly clientsDisconnected: number;
  /** Peak of clientsConnected since start. */
  readonly clientsMaximum: number;
  /** Connections accepted (CONNACK 0) since start. */
  readonly clientsTotal: number;
  /**
   * CONNECTs refused with a CONNACK since start, by reason (the same name for a v3 return code and its v5
   * reason code): 'bad-credentials', 'not-authorized', 'identifier-rejected', 'unsupported-protocol',
   * 'server-unavailable', 'bad-authentication-method', 'packet-too-large', 'quota-exceeded', ...
   */
  readonly connectRefused: Readonly<Record<string, number>>;
  /** QoS 1/2 messages from clients not yet completed. */
  readonly inflightIn: number;
  /** QoS 1/2 messages to clients not yet acknowledged. */
  readonly inflightOut: number;
  /** Messages queued for offline or throttled sessions. */
  readonly messagesStored: number;
  readonly retainedCount: number;
  readonly subscriptionCount: number;
  /** Messages dropped, by reason (e.g. 'queue-full', 'slow-reader', 'denied', 'sys-topic', 'expired', 'not-stored': a QoS 1/2 message the store failed to write). */
  readonly dropped: Readonly<Record<string, number>>;
  /** Times a configured limit was hit, by cause (e.g. 'max_queued_bytes', 'max_unauthenticated_bytes'). */
  readonly limitsHit: Readonly<Record<string, number>>;
  /** Exceptions caught on one connection's data, timers or plugins (each closed that connection only). */
  readonly connectionErrors: number;
  readonly startedAt: number;
}

/** One figure of a plugin (`PluginHooks.metrics`). */
export interface PluginMetric {
  /**
   * Lower-case snake case (`[a-z_][a-z0-9_]*`), without the `midge_` prefix exporters add; a counter's
   * name ends in `_total`. Entries of one name differ by their labels (bounded sets: never a client id
   * or a topic).
   */
  readonly name: string;
  readonly help: string;
  /** `counter`: only grows (since the plugin was set up); `gauge`: a value now. */
  readonly type: 'counter' | 'gauge';
  readonly value: number;
  readonly labels?: Readonly<Record<string, string>>;
}

/** A plugin's readiness (`PluginHooks.health`). */
export interface PluginHealth {
  readonly ready: boolean;
  /** Why, in words for an operator (required when not ready). */
  readonly reason?: string;
}

/** One check of `BrokerApi.health()`. */
export interface HealthCheck {
  /** `listeners`, `store`, or `plugin:<name>`. */
  readonly name: string;
  readonly ok: boolean;
  readonly reason: string;
}

/** Whether the broker is ready for traffic, and each check that says so. */
export interface BrokerHealth {
  /** Every check ok. */
  readonly ready: boolean;
  readonly checks: readonly HealthCheck[];
}

/** The store as the broker sees it (whatever the engine): the writes it issued and how they went. */
export interface StoreStats {
  /** `memory` (the default of an embedded broker) or the store's name (e.g. `@midge/persistence-lmdb`). */
  readonly kind: string;
  /** Writes issued since start. */
  readonly writes: number;
  /** Writes the store failed (disk full, I/O error) since start. */
  readonly writeFailures: number;
  /** Writes issued and not yet confirmed by the store. */
  readonly pendingWrites: number;
  /** More writes wait than the store keeps up with: sending queued messages is held back. */
  readonly congested: boolean;
  /** The last write failed and none succeeded since: the reason, else undefined. */
  readonly failing: string | undefined;
}

/** Durations in seconds, Prometheus-shaped: fixed buckets filled by sampled observations. */
export interface HistogramSnapshot {
  /** Upper bounds of the buckets in seconds, ascending; one more bucket, above them all (+Inf), is implied. */
  readonly bounds: readonly number[];
  /** Observations per bucket, not cumulative: `bounds.length + 1` of them, the last above every bound. */
  readonly counts: readonly number[];
  /** Sum of the observed durations, seconds. */
  readonly sum: number;
  readonly count: number;
}

/** How long one plugin's decision hook took to answer (sampled), since it was set up. */
export interface DecisionTiming {
  /** The plugin's name. */
  readonly plugin: string;
  readonly hook: 'authenticate' | 'authorizeTopic' | 'vetoTopic' | 'authorizeClient' | 'enhancedAuth';
  /** One call in this many is timed (1: every call); an asynchronous answer is timed until it settles. */
  readonly sampleEvery: number;
  readonly histogram: HistogramSnapshot;
}

/** Sampled timings of the broker (`BrokerApi.timings()`), for metrics exporters. */
export interface BrokerTimings {
  readonly decisions: readonly DecisionTiming[];
  /**
   * Publish-to-delivery latency: from a PUBLISH entering the broker (before authorization) to the end of
   * its fan-out (written to every connected receiver, queued for the others), for one message in
   * `deliveryLatencySampleEvery`.
   */
  readonly deliveryLatency: HistogramSnapshot;
  readonly deliveryLatencySampleEvery: number;
}

export interface PublishOptions {
  topic: string;
  payload: Buffer | string;
  qos?: QoS;
  retain?: boolean;
  properties?: PublishProperties;
}

/**
 * Where a message entered the broker: a client's PUBLISH (`client`), a client's will (`will`), or a
 * publish through the API (`ApiOrigin`). Events carry it, so a cluster or bridge plugin tells the
 * messages it injected apart by their data, not by when an event fires.
 */
export type MessageOrigin = 'client' | 'will' | ApiOrigin;

/**
 * What a publish through `broker.publish` / `ctx.broker.publish` says it comes from: the embedding
 * application or a plugin (`api`, the default), another broker of a cluster (`cluster:<node>`), a bridge
 * to another system (`bridge:<name>`).
 */
export type ApiOrigin = 'api' | `cluster:${string}` | `bridge:${string}`;

/**
 * Whose rights a publish through the API uses; required, so a publish is never silently unauthorized.
 * - `{ as: client }`: the client's, as if it had published the message itself: `$SYS` and `$share`
 *   topics are refused and the plugins' `authorizeTopic` ('publish') decides. A refusal rejects the
 *   promise with a `MidgeError` of code `BROKER_PUBLISH_DENIED`.
 * - `{ trusted: true }`: nobody's, nothing is authorized (the broker's own messages, messages another
 *   broker of the cluster authorized already). With origin `api` it may publish `$SYS` topics (as
 *   `@midge/plugin-sys` does); from a `cluster:` or `bridge:` origin `$SYS` and `$share` are refused,
 *   since they describe this broker only.
 */
export type PublishAuthority =
  | { readonly as: ClientInfo; readonly trusted?: false; readonly origin?: ApiOrigin }
  | {
      readonly trusted: true;
      readonly as?: undefined;
      readonly origin?: ApiOrigin;
      /**
       * false: a RETAIN=1 message is delivered with its flag as published (v5 Retain As Published
       * subscribers see RETAIN=1) but does not change this broker's retained store, for a cluster plugin
       * that keeps the retained store itself (`setRetained`). Default true.
       */
      readonly keepRetained?: boolean;
    };

/**
 * A retained message as the broker keeps it: `expiresAt` (epoch ms) when it was published with a v5
 * Message Expiry Interval; subscribers get the time left [MQTT-3.3.2-6] and it is dropped once passed.
 */
export interface RetainedMessage extends Message {
  readonly expiresAt?: number | undefined;
}

/** What `BrokerApi.setRetained` stores: a message, or the clearing of a topic's retained message. */
export type RetainedChange = RetainedMessage | { readonly topic: string; readonly clear: true };

/** One subscription of one session: `filter` as subscribed (`$share/{group}/...` included). */
export interface SubscriptionEntry {
  readonly clientId: string;
  readonly filter: string;
}

/** Options of `BrokerApi.connectLocal`. */
export interface LocalConnectionOptions {
  /**
   * The listener name the connection reports (`ClientInfo.listener`, default `local`): auth and ACL
   * plugins that look at the listener tell in-process connections apart by it.
   */
  readonly listener?: string;
}

/** What the broker offers plugins. */
export interface BrokerApi {
  readonly version: string;
  /**
   * Routes a message (delivery to subscribers, retained store) with the rights `authority` names.
   * Resolves once it is routed; rejects with a `MidgeError` when it is not: `BROKER_INVALID_TOPIC` (not
   * a valid topic name), `BROKER_PUBLISH_DENIED` (refused by the `$`-topic rule or by authorization).
   */
  publish(message: PublishOptions, authority: PublishAuthority): Promise<void>;
  getRetained(topic: string): RetainedMessage | undefined;
  /** The retained messages whose topics match `filter` (a snapshot; `#` skips `$` topics, as MQTT does). */
  retainedMessages(filter: string): RetainedMessage[];
  /**
   * For a cluster plugin keeping a retained store shared by several brokers: stores `change` as the
   * retained message of its topic (or clears the topic: `{ topic, clear: true }`, or an empty payload)
   * in this broker's retained store and its persistent store, as a retained PUBLISH would, without
   * delivering anything to subscribers. `max_retained_messages` / `max_retained_bytes` apply. The
   * `retained:set` / `retained:cleared` events carry `origin` (default `api`). Throws a `MidgeError`
   * `BROKER_INVALID_TOPIC` for a topic that is not a valid topic name.
   */
  setRetained(change: RetainedChange, options?: { readonly origin?: ApiOrigin }): void;
  stats(): BrokerStats;
  /** Sampled durations: plugin decision times by plugin and hook, publish-to-delivery latency. */
  timings(): BrokerTimings;
  /**
   * Adds a listener of a broker event while the plugin runs, for listening now and then (a dashboard's
   * message tail while someone watches it): an event nobody listens to costs the broker nothing, where an
   * `events` hook is there for the plugin's whole life. Returns the function that removes it. A listener's
   * throw is logged and does not reach the broker.
   */
  listen<K extends BrokerEventName>(event: K, listener: (payload: BrokerEvents[K]) => void): () => void;
  /** The plugins the broker runs now, in setup order (after a reload: the new set). */
  plugins(): PluginSummary[];
  /** The figures of every plugin with a `metrics` hook, read now, by plugin name. */
  pluginMetrics(): { readonly plugin: string; readonly metrics: readonly PluginMetric[] }[];
  /** The store's write figures. */
  storeStats(): StoreStats;
  /**
   * Ready for traffic: the listeners are open (the broker started, not shutting down), the store takes
   * writes, and every plugin with a `health` hook says ready. For readiness probes (/readyz).
   */
  health(): BrokerHealth;
  sessionCount(): number;
  subscriptionCount(): number;
  /**
   * Every subscription the broker's sessions hold now, connected or not (those restored from the store
   * included). Read it in `broker:pre-start`, then follow `subscription:added` / `subscription:removed`:
   * from that event on, they report every change.
   */
  subscriptions(): IterableIterator<SubscriptionEntry>;
  /**
   * Closes the connection of every client (connected or still authenticating) for which `match` returns
   * true: v5 clients get DISCONNECT 0x98 (Administrative action) with `reason` as reason string. Wills are
   * published (the client did not say goodbye); persistent sessions stay. Returns how many were closed.
   */
  disconnectClients(match: (client: ClientInfo) => boolean, reason?: string): number;
  /**
   * The clients connected now (CONNACK sent, not yet closed), each with when its CONNACK went out (epoch
   * ms): a snapshot that costs O(connections), for occasional reads (an admin request, a scrape); a plugin
   * set up again by a config reload learns from it who was already connected.
   */
  connectedClients(): ConnectedClient[];
  /** Every session this broker holds now, connected or not (a snapshot, unsorted). */
  sessions(): SessionSummary[];
  /**
   * One session in detail (connected or offline): its connection, subscriptions with their options,
   * queue, inflight, QoS 2 ids, pending will. Undefined when there is no such session. O(that session).
   */
  clientDetail(clientId: string): ClientDetail | undefined;
  /**
   * The config the broker runs now (defaults filled in, after the last reload) as plain JSON, with every
   * secret replaced by "[redacted]": values of keys naming a password, secret, token, credentials or seed,
   * PEM blocks, passwords in URLs. Paths to secret files stay.
   */
  effectiveConfig(): Record<string, unknown>;
  /**
   * Reloads the config as SIGHUP does: the embedding application's reload (`BrokerOptions.reloadHandler`:
   * `midge` reads its config file again, checks it as `--check` does and applies it), else the plugins
   * re-read their files. Reloads run one at a time. Resolves with what it did; never rejects for a bad
   * config (`applied: false`, `errors`).
   */
  requestReload(): Promise<ReloadOutcome>;
  /**
   * Deletes an offline session as its expiry would: its subscriptions, queued and inflight messages and
   * stored copy go; a will waiting for its delay is published. `connected` (nothing done) when a client
   * uses it: disconnect the client first; `unknown` when there is no such session.
   */
  deleteSession(clientId: string): 'deleted' | 'connected' | 'unknown';
  /**
   * For cluster plugins, when another broker admits `clientId` [MQTT-3.1.4-3]: closes its connection here
   * (v5 DISCONNECT 0x8E Session taken over; its will as for any takeover), drops a will waiting for its
   * delay (the client is back [MQTT-3.1.3-9]) and removes the session from this broker. Resolves with the
   * session (subscriptions, queued messages, inflight, QoS 2 ids) when it was persistent, for the other
   * broker's `claimSession` to return; undefined when there is none or it ended with its connection.
   * With `cleanStart` (the client asked the other broker for a new session) the session ends here as a
   * clean start ends it locally (a will waiting for its delay is published) and nothing is returned.
   */
  handOverSession(clientId: string, options?: { readonly cleanStart?: boolean }): Promise<PersistedSession | undefined>;
  /**
   * For a cluster plugin that takes shared subscriptions (`takesSharedSubscriptions`): delivers `message`,
   * routed on another broker, to one member of this broker's shared subscription `$share/{group}/{filter}`,
   * receive-authorized for that member. Not retained, no events. Returns false when this broker holds no
   * member of it, or the topic is not a valid topic name or a `$` topic (never delivered).
   */
  deliverShared(share: { readonly group: string; readonly filter: string }, message: Message): boolean;
  /**
   * An in-process connection to this broker: returns the client's end of a byte stream whose other end
   * the broker serves like a network connection (CONNECT, authentication and authorization by the
   * plugins, sessions, limits), with `remoteAddress` '' and `secure` false. Give it to an MQTT client
   * (`@midge/mqtt-core/client`'s `stream` option) to hold a real session, persistent if it asks for one,
   * without a listener or a port (a bridge plugin keeps its outgoing queue in such a session).
   * Destroying the stream closes the connection as a lost socket would (the will is published).
   */
  connectLocal(options?: LocalConnectionOptions): Duplex;
}

/** A message a client plugin publishes through its client. */
export interface ClientPublishMessage {
  readonly topic: string;
  readonly payload: Buffer | string;
  readonly qos?: QoS;
  readonly retain?: boolean;
  readonly properties?: PublishProperties;
}

/** What an MQTT client (`@midge/mqtt-core/client`) offers the plugins of its config. */
export interface ClientApi {
  /**
   * Publishes through the client, as the client: the broker judges it by the client's identity. Settles
   * as `MqttClient.publish` does (QoS 0 once written, QoS 1 on PUBACK, QoS 2 on PUBCOMP).
   */
  publish(message: ClientPublishMessage): Promise<void>;
  /** The client as events show it: its client id (the one the broker assigned, once known), username, the broker's address. */
  info(): ClientInfo;
}

/** Where a plugin can run: in the broker (the default), in MQTT clients, or both. */
export type PluginRunsIn = 'broker' | 'client' | 'both';

interface PluginContextBase {
  /** The plugin's name (its definition's `name`). */
  readonly name: string;
  /** The config key it was loaded under (package name, subpath, path or aMQTT class name). */
  readonly key: string;
  readonly logger: Logger;
  /** Folder of the config file (or process.cwd() without one): resolve relative paths against it. */
  readonly configDir: string;
  /** Aborted when the broker (or the client) shuts down. */
  readonly signal: AbortSignal;
}

/** What a plugin's setup gets in the broker. */
export interface PluginContext extends PluginContextBase {
  readonly broker: BrokerApi;
  readonly client?: never;
}

/** What a plugin's setup gets in an MQTT client (`runsIn: 'client'` or `'both'`). */
export interface ClientPluginContext extends PluginContextBase {
  readonly client: ClientApi;
  readonly broker?: never;
}

/** The context `setup` gets for a `runsIn`: a `'both'` plugin tells them apart with `ctx.client` / `ctx.broker`. */
export type PluginContextFor<R extends PluginRunsIn> = R extends 'broker'
  ? PluginContext
  : R extends 'client'
    ? ClientPluginContext
    : PluginContext | ClientPluginContext;

/**
 * One step of an MQTT 5 enhanced authentication exchange (section 4.12): the CONNECT (step 0), a client's
 * AUTH 0x19 that starts a re-authentication (step 0, `reauthenticating`), or a client's AUTH 0x18 answering
 * the plugin's last challenge (step 1, 2, ...).
 */
export interface EnhancedAuthRequest {
  readonly client: ClientInfo;
  /** The Authentication Method, one of the plugin's `methods`. */
  readonly method: string;
  /** The Authentication Data of the CONNECT or AUTH, if any. */
  readonly data: Buffer | undefined;
  readonly step: number;
  readonly reauthenticating: boolean;
  /** What the plugin returned as `state` with its last challenge (undefined at step 0). */
  readonly state: unknown;
  /** The CONNECT at connect time; undefined during a re-authentication. */
  readonly connect: ConnectPacket | undefined;
}

/** Sends `data` to the client in an AUTH 0x18 and waits for its answer; `state` comes back in the next request. */
export interface ChallengeStep {
  readonly verdict: 'challenge';
  readonly data?: Buffer;
  readonly state?: unknown;
}

/** The client is authenticated; `data` goes to it in the CONNACK (or the AUTH 0x00 of a re-authentication). */
export interface AuthenticatedStep {
  readonly verdict: 'allow';
  readonly data?: Buffer;
  /**
   * The username the proof established. The broker uses it, not the CONNECT's User Name, for the client
   * from then on (sessions, topic authorization, events). A re-authentication that names another username
   * than the connection's is refused (DISCONNECT 0x87).
   */
  readonly username?: string;
}

/** What an enhanced authentication step answers: challenge again, allow (`allow` or `authenticated(data)`), or `deny(...)`. */
export type EnhancedAuthStep = ChallengeStep | AuthenticatedStep | DenyDecision;

/**
 * MQTT 5 enhanced authentication for the Authentication Methods in `methods` (a method belongs to one
 * plugin). A CONNECT naming one of them is authenticated by this hook alone: the `authenticate` hooks
 * are not consulted for it. Steps time out as deny (`plugin_decision_timeout`); a step that throws denies.
 */
export interface EnhancedAuthHook {
  readonly methods: readonly string[];
  step(request: EnhancedAuthRequest): EnhancedAuthStep | Promise<EnhancedAuthStep>;
}

/** A client about to be admitted, for the cluster plugin's `claimSession`. */
export interface SessionClaimRequest {
  /** The client with the identity the broker will use (after authentication). */
  readonly client: ClientInfo;
  /** Clean Start (v5) / Clean Session (v3): the client asks for a new session. */
  readonly cleanStart: boolean;
}

/** A message for the cluster plugin's `storeMessage`; `client` and `origin` as in `message:received`. */
export interface StoreMessageRequest {
  readonly message: Message;
  readonly origin: MessageOrigin;
  readonly client: ClientInfo | undefined;
}

/** What `setup` returns: the hooks this plugin implements. Absent hooks cost nothing. */
export interface PluginHooks {
  authenticate?(request: AuthenticateRequest): Decision | Promise<Decision>;
  /** MQTT 5 enhanced authentication (AUTH packets) for some Authentication Methods. */
  enhancedAuth?: EnhancedAuthHook;
  authorizeTopic?(request: AuthorizeTopicRequest): Decision | Promise<Decision>;
  /**
   * Topic rules that only forbid (a taboo list): deny, or abstain on everything else. A veto never grants,
   * so it does not count as a topic authorizer: with veto hooks alone, what none of them denies is allowed.
   */
  vetoTopic?(request: AuthorizeTopicRequest): DenyDecision | AbstainDecision | Promise<DenyDecision | AbstainDecision>;
  /**
   * After authentication (password or enhanced) succeeded, with the identity the broker will use: a deny
   * refuses the CONNECT (its reasonCode, else v5 0x87 / v3 0x05); allow and abstain let it through, so a
   * plugin can veto clients (client id rules) without deciding who is authenticated.
   */
  authorizeClient?(request: AuthorizeClientRequest): Decision | Promise<Decision>;
  /**
   * For a cluster plugin (one plugin at most): a client id is being admitted on this broker, after
   * authentication and `authorizeClient`, before its session is opened and CONNACK sent. Resolve once the
   * other brokers let the id go (their connections with it closed, [MQTT-3.1.4-3]); resolve with the session
   * another broker handed over (its `BrokerApi.handOverSession`) to have this broker adopt it: the client
   * then resumes it (session present, re-authorized for this client as any resume) unless it asked for a
   * clean start. A rejection, or no answer within `plugin_decision_timeout`, is logged and the client is
   * admitted with what this broker holds.
   */
  claimSession?(request: SessionClaimRequest): Promise<PersistedSession | undefined> | undefined;
  /**
   * For a cluster plugin (one plugin at most) that delivers shared subscriptions across brokers: while it
   * returns true, the broker picks no member of a `$share` group for the messages it routes; the plugin
   * has each message reach one member in the whole cluster, through `BrokerApi.deliverShared` on the
   * broker it picked (return false when it cannot, NATS being down, and the broker picks locally again).
   * Called once per routed message matching a shared subscription: keep it a field read.
   */
  takesSharedSubscriptions?(): boolean;
  /**
   * For a cluster plugin (one plugin at most): the broker restarted after stopping without publishing the
   * will of `clientId` (a crash is an ungraceful disconnect); it publishes the will (when due) only if this
   * resolves true. A cluster whose other brokers publish the wills of a dead broker answers false for a
   * will one of them published already, so a will goes out once. A throw, a rejection or no answer within
   * `plugin_decision_timeout` counts as true (a will is rather sent twice than never).
   */
  keepRestoredWill?(request: { readonly clientId: string; readonly will: Message }): boolean | Promise<boolean>;
  /**
   * For a cluster plugin (one plugin at most): called after a SUBSCRIBE added subscriptions (their
   * `subscription:added` events were emitted), before its SUBACK. A returned promise — the plugin's new routes
   * being registered with the cluster — delays the SUBACK (and the packets the client sent after the
   * SUBSCRIBE) until it settles, so a message published on another broker after the client saw its SUBACK
   * reaches it. Return undefined when nothing is pending. A rejection, or no answer within
   * `plugin_decision_timeout`, is logged and the SUBACK goes out.
   */
  awaitRoutes?(): Promise<void> | undefined;
  /**
   * For a cluster plugin (one plugin at most) that keeps QoS 1/2 messages in a store of its own (a
   * replicated stream, for sessions that may resume on another broker): called for each accepted QoS 1/2
   * message from an origin other than a cluster's (`cluster:...`), after routing. A returned promise holds the
   * publisher's acknowledgement (PUBACK/PUBREC, the API's promise, in order with the connection's other
   * acknowledgements) until it settles; a rejection, or no answer within `plugin_decision_timeout`, answers as
   * a failed store write does (v5 0x97 Quota exceeded; a 3.1.1 connection is closed, the client resends).
   * Return undefined to acknowledge without waiting. `message.payload` may be a view on socket memory:
   * copy or encode it before returning.
   */
  storeMessage?(request: StoreMessageRequest): Promise<void> | undefined;
  events?: EventHandlers;
  /** Re-read external state (SIGHUP, `broker.reload()`); the broker keeps its clients (a plugin may disconnect those it no longer admits). */
  reload?(): void | Promise<void>;
  /**
   * The plugin's figures for metrics exporters (`BrokerApi.pluginMetrics()`, `@midge/plugin-admin`'s
   * /metrics, each name prefixed `midge_`): called when scraped, so return what you already count. A throw
   * is logged and the plugin's figures are left out of that scrape.
   */
  metrics?(): readonly PluginMetric[];
  /**
   * Whether the plugin is ready for traffic (a cluster plugin: joined its cluster). `BrokerApi.health()`
   * and /readyz report the broker not ready, with this reason, while it says not ready. A throw counts
   * as not ready.
   */
  health?(): PluginHealth;
  /** Called once on shutdown, in reverse setup order. */
  close?(): void | Promise<void>;
}

export interface PluginDefinition<Config = unknown, RunsIn extends PluginRunsIn = PluginRunsIn> {
  /** Unique among the loaded plugins; logs are tagged with it. */
  readonly name: string;
  /** The plugin API version this plugin was written for. */
  readonly apiVersion: 1;
  /**
   * Where the plugin runs: `'broker'` (absent), `'client'` (a client config's `plugins:`) or `'both'`. It
   * types `setup`'s context; a host refuses a plugin made for the other side.
   */
  readonly runsIn?: RunsIn;
  /** Any Standard Schema V1 validator (valibot, zod, arktype...). Config is strict: unknown keys must fail. */
  readonly configSchema?: StandardSchemaV1<unknown, Config>;
  /** Names of plugins that must be set up before this one. */
  readonly dependencies?: readonly string[];
  setup(ctx: PluginContextFor<RunsIn>, config: Config): PluginHooks | Promise<PluginHooks>;
  /**
   * Optional: checks what `setup` would load from outside the config (files its options name) without
   * setting anything up, for `midge --check` and `checkConfig`, which run it after validating `config`.
   * Returns every problem found (none: an empty list). It must not open ports, connect, write or start
   * timers; it may be stricter than `setup` (a line `setup` skips with a warning is an error here).
   */
  check?(
    ctx: PluginCheckContext,
    config: Config,
  ): readonly PluginCheckProblem[] | Promise<readonly PluginCheckProblem[]>;
}

/** What a plugin's `check` gets: no broker, no client, no logger. */
export interface PluginCheckContext {
  /** The plugin's name (its definition's `name`). */
  readonly name: string;
  /** The config key it is listed under. */
  readonly key: string;
  /** Folder of the config file (or process.cwd() without one): resolve relative paths against it. */
  readonly configDir: string;
}

/** One problem a plugin's `check` found, reported as `file:line:col: plugins.'<key>'.<option>: message`. */
export interface PluginCheckProblem {
  /** The option it is about (`'password_file'`, or a path: `['acl', 'alice']`), so it points at its line. */
  readonly option?: string | readonly (string | number)[];
  /** What is wrong, naming the file (with its line when it is about one) and the fix. */
  readonly message: string;
  /** 'warning' is printed without failing the check (default 'error'). */
  readonly severity?: 'error' | 'warning';
}

export const PLUGIN_BRAND: unique symbol = Symbol.for('midge.plugin');
export const PLUGIN_API_VERSION = 1;

export interface MidgePlugin<Config = unknown, RunsIn extends PluginRunsIn = PluginRunsIn> extends PluginDefinition<
  Config,
  RunsIn
> {
  readonly [PLUGIN_BRAND]: true;
}
