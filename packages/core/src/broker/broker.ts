import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { MidgeError } from '../codec/errors.js';
import type { QoS } from '../codec/packets.js';
import { ReasonCode } from '../codec/reason-codes.js';
import { handOverSession, type HandOverOptions } from './session-handover.js';
import { loadConfig } from '../config/index.js';
import type { ConfigInput } from '../config/schema.js';
import type { BrokerConfig, PluginEntry } from '../config/types.js';
import { loggerFromConfig } from '../log.js';
import { MemoryPersistence } from '../persistence/memory.js';
import { loadPersistence } from '../persistence/load.js';
import type { Persistence } from '../persistence/types.js';
import type {
  ApiOrigin,
  BrokerApi,
  BrokerEventName,
  BrokerEvents,
  BrokerStats,
  BrokerTimings,
  BrokerHealth,
  ReloadOutcome,
  ReloadReport,
  ClientDetail,
  PluginMetric,
  HealthCheck,
  StoreStats,
  ClientInfo,
  ConnectedClient,
  LocalConnectionOptions,
  Logger,
  Message,
  MidgePlugin,
  PublishAuthority,
  PublishOptions,
  RetainedChange,
  RetainedMessage,
} from '../plugin-api/types.js';
import { describePluginChange, PluginHost, type PluginHostOptions } from '../plugin-host/index.js';
import { Connection } from './connection.js';
import { deleteOfflineSession, describeSession, summarizeSession } from './session-admin.js';
import type { BrokerContext } from './context.js';
import { EventBus, type BrokerEventListener } from './events.js';
import { isRefusal, Pipeline, TRUSTED, type PublishOutcome } from './pipeline.js';
import { Journal } from './journal.js';
import { isPromise } from './plugin-port.js';
import { startListener, type ConnectionInfo, type Listener, type ListenerOptions } from './listeners.js';
import { setLogLevel } from './log-level.js';
import { applyListenerChanges } from './reconfigure-listeners.js';
import { planReconfiguration } from './reconfigure-plan.js';
import { Router } from './router.js';
import type { BrokerServices } from './services.js';
import { SessionStore } from './session-store.js';
import { copyMessage } from './message.js';
import { restoreQueue, restoreSession } from './snapshot.js';
import { subscriptionEntries } from './subscription-entries.js';
import { LimitReporter } from './limit-reporter.js';
import { localPair } from './local-pair.js';
import { StatsCounter } from './stats.js';
import { LATENCY_SAMPLE_EVERY } from './latency-probe.js';
import { isBrokerOnlyTopic, validateTopicFilter, validateTopicName } from './topic.js';
import { redactConfig } from '../config/redact.js';

const VERSION = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

export interface BrokerOptions {
  /** In-memory plugins, set up after the config's `plugins:` entries, in this order. */
  plugins?: readonly MidgePlugin[];
  /** Defaults to a pino logger at the config's `log_level`. */
  logger?: Logger;
  /** Folders plugin packages are resolved from (default: the config file's folder). */
  searchDirs?: readonly string[];
  /** Where the broker's state is kept (default: the store the config's `persistence:` names, else in memory). */
  persistence?: Persistence;
  /**
   * Export conditions used to pick a plugin package's entry point (e.g. `['midge-source']` to load
   * TypeScript sources in tests). Default: `node`, `import` and this process's `--conditions`.
   */
  conditions?: readonly string[];
  /**
   * What `BrokerApi.requestReload()` (an admin API's reload) runs: the embedding application's own config
   * reload, the one its SIGHUP runs (`midge` reads its config file again). Without it, a requested reload
   * is `reload()` of the running config: plugins re-read their files.
   */
  reloadHandler?: () => Promise<ReloadOutcome>;
}

/** What `Broker.reload` did: one line per change, per failure, and the settings that need a restart. */
export type { ReloadReport } from '../plugin-api/types.js';

export interface ListenerAddress {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** DISCONNECT reason code of `disconnectClients` (MQTT 5.0 section 3.14.2.1). */

/** Logged once at start when no plugin implements `authenticate`. */
export const NO_AUTH_WARNING = 'no authentication plugin configured: every client is allowed';

type BrokerState = 'new' | 'starting' | 'running' | 'closing' | 'closed';

/** What `restore` found in the store, for the start log. */
interface RestoreCounts {
  readonly sessions: number;
  readonly queued: number;
  readonly retained: number;
}

/**
 * The MQTT broker: listeners feed connections; connections talk to sessions and the router; plugins
 * decide and observe through the plugin host.
 *
 * Shutdown publishes the will of every connected client: the spec publishes a will whenever the
 * network connection closes without a DISCONNECT from the client [MQTT-3.1.2-8], and a server
 * shutdown is such a close. Persistent sessions are saved to persistence on shutdown.
 */
export class Broker {
  /** The config in force: a reload (`reconfigure`) replaces what it applied, the rest waits for a restart. */
  config: BrokerConfig;
  readonly log: Logger;
  private readonly ctx: BrokerContext;
  private readonly options: BrokerOptions;
  private readonly connections = new Set<Connection>();
  private readonly openListeners: Listener[] = [];
  private host: PluginHost | undefined;
  private state: BrokerState = 'new';
  private closing: Promise<void> | undefined;
  /** What plugins get as `ctx.broker`. */
  readonly api: BrokerApi;

  constructor(config: BrokerConfig, options: BrokerOptions = {}) {
    this.config = config;
    this.options = options;
    this.log = options.logger ?? loggerFromConfig(config).logger;
    const stats = new StatsCounter();
    const events = new EventBus(this.log);
    const shared = {
      config,
      log: this.log,
      debug: this.log.isLevelEnabled('debug'),
      stats,
      limits: new LimitReporter(this.log, stats, config.limit_log_interval),
      events,
      host: undefined,
      persistence: options.persistence ?? new MemoryPersistence(),
      topicLimits: {
        maxLength: config.max_topic_length,
        maxLevels: config.max_topic_levels,
        rejectControl: config.control_characters === 'reject',
      },
    };
    // One object: the journal reads `persistence` from it, which start() may replace by the configured store.
    const services: BrokerServices = Object.assign(shared, { journal: new Journal(shared) });
    const router = new Router(services);
    const pipeline = new Pipeline(services, router);
    const sessions = new SessionStore(services, router, pipeline);
    // The same object, not a copy: `host` (set by start()) and `debug` (re-read by reload()) change
    // later, and every part must see the change.
    const ctx: BrokerContext = Object.assign(services, { router, pipeline, sessions });
    this.ctx = ctx;
    this.api = Object.freeze({
      version: VERSION,
      publish: (m: PublishOptions, authority: PublishAuthority) => this.publish(m, authority),
      getRetained: (topic: string): RetainedMessage | undefined => ctx.router.getRetained(topic),
      retainedMessages: (filter: string): RetainedMessage[] => {
        const invalid = validateTopicFilter(filter, ctx.topicLimits);
        if (invalid !== undefined)
          throw new MidgeError('BROKER_INVALID_TOPIC', `cannot list the retained messages of '${filter}': ${invalid}`);
        return ctx.router.retainedMessages(filter);
      },
      setRetained: (change: RetainedChange, options?: { readonly origin?: ApiOrigin }): void => {
        const invalid = validateTopicName(change.topic, ctx.topicLimits);
        if (invalid !== undefined)
          throw new MidgeError(
            'BROKER_INVALID_TOPIC',
            `cannot set the retained message of '${change.topic}': ${invalid}`,
          );
        ctx.router.setRetained(change, options?.origin ?? 'api');
      },
      stats: () => this.stats(),
      timings: () => this.timings(),
      pluginMetrics: () => this.pluginMetrics(),
      plugins: () => (this.host?.plugins ?? []).map((p) => ({ ...p, state: 'running' as const })),
      listen: <K extends BrokerEventName>(event: K, listener: BrokerEventListener<K>): (() => void) => {
        ctx.events.on(event, listener);
        return () => ctx.events.off(event, listener);
      },
      storeStats: () => this.storeStats(),
      health: () => this.health(),
      sessionCount: () => ctx.sessions.size,
      subscriptionCount: () => ctx.stats.subscriptionCount,
      subscriptions: () => subscriptionEntries(ctx.sessions.values()),
      disconnectClients: (match: (client: ClientInfo) => boolean, reason?: string) =>
        this.disconnectClients(match, reason),
      connectedClients: () => this.connectedClients(),
      sessions: () => Array.from(ctx.sessions.values(), summarizeSession),
      clientDetail: (clientId: string) => this.clientDetail(clientId),
      effectiveConfig: () => redactConfig(this.config) as Record<string, unknown>,
      requestReload: () => this.requestReload(),
      deleteSession: (clientId: string) => deleteOfflineSession(ctx.sessions, clientId),
      handOverSession: (clientId: string, options?: HandOverOptions) => handOverSession(ctx, clientId, options),
      deliverShared: (share: { readonly group: string; readonly filter: string }, message: Message) =>
        validateTopicName(message.topic, ctx.topicLimits) === undefined &&
        !isBrokerOnlyTopic(message.topic) &&
        ctx.router.deliverShared(share.group, share.filter, message),
      connectLocal: (options?: LocalConnectionOptions): Duplex => {
        const [client, server] = localPair();
        this.handle(server, {
          listener: options?.listener ?? 'local',
          remoteAddress: '',
          remotePort: 0,
          secure: false,
        });
        return client;
      },
    });
  }

  /** The loaded plugins (after `start()`), in setup order. */
  get plugins(): PluginHost | undefined {
    return this.host;
  }

  get running(): boolean {
    return this.state === 'running';
  }

  /** Loads persisted state, sets plugins up, then opens every configured listener. */
  async start(): Promise<this> {
    if (this.state !== 'new')
      throw new MidgeError('BROKER_STATE', `start() called on a ${this.state} broker; create a new one`);
    this.state = 'starting';
    const ctx = this.ctx;
    try {
      // The store the config's `persistence:` names, unless one was given in code.
      if (this.options.persistence === undefined && this.config.persistence !== undefined)
        ctx.persistence = await loadPersistence(this.config, {
          searchDirs: this.options.searchDirs,
          conditions: this.options.conditions,
          log: this.log,
        });
      await ctx.persistence.open?.();
      const began = performance.now();
      const restored = await this.restore();
      this.host = await this.startPlugins();
      ctx.host = this.host;
      // Said once, loudly: an open broker is a fine default for development and a mistake in production.
      if (this.host?.hasAuthentication !== true) this.log.warn(NO_AUTH_WARNING);
      ctx.events.host = this.host;
      this.emit('broker:pre-start', {});
      // After pre-start: the wills this broker publishes now (its clients' when it stopped ungracefully) go
      // through plugins' events like any message, so a cluster plugin, routing from pre-start on, sends them
      // to the subscribers on other nodes too.
      const wills = await this.restoreWills();
      if (restored.sessions + restored.retained + wills > 0)
        this.log.info(
          { ...restored, wills, ms: Math.round(performance.now() - began) },
          `restored ${restored.sessions.toLocaleString('en')} sessions, ${restored.queued.toLocaleString('en')} queued messages, ${restored.retained.toLocaleString('en')} retained, ${wills} wills in ${((performance.now() - began) / 1000).toFixed(1)} s`,
        );
      for (const listener of Object.values(this.config.listeners)) {
        this.openListeners.push(
          await startListener(listener, (stream, info) => this.handle(stream, info), this.log, this.listenerOptions()),
        );
      }
      this.state = 'running';
      this.emit('broker:post-start', {});
      return this;
    } catch (err) {
      await Promise.allSettled(this.openListeners.map((l) => l.close()));
      await this.host?.close();
      // The store is released too (an LMDB store holds its directory's lock until closed).
      await ctx.journal.idle();
      await ctx.persistence
        .close()
        .catch((error: unknown) => this.log.error({ err: error }, 'closing the store failed'));
      this.state = 'closed';
      throw err;
    }
  }

  private async startPlugins(): Promise<PluginHost | undefined> {
    const entries = this.pluginEntries(this.config);
    if (entries.length === 0) return undefined;
    return PluginHost.start(entries, this.pluginHostOptions(this.config));
  }

  private listenerOptions(): ListenerOptions {
    return {
      maxWebSocketPayload: this.config.max_packet_size,
      handshakeTimeoutMs: this.config.connect_timeout * 1000,
      errorLogIntervalMs: this.config.limit_log_interval * 1000,
    };
  }

  /** The config's plugins, then those given in code (`BrokerOptions.plugins`). */
  private pluginEntries(config: BrokerConfig): PluginEntry[] {
    const entries: PluginEntry[] = [...config.plugins];
    for (const plugin of this.options.plugins ?? [])
      entries.push({ key: plugin.name, specifier: plugin.name, config: {} });
    return entries;
  }

  private pluginHostOptions(config: BrokerConfig): PluginHostOptions {
    const resolved = new Map<string, MidgePlugin>((this.options.plugins ?? []).map((p) => [p.name, p]));
    return {
      searchDirs: this.options.searchDirs ?? [this.config.config_dir],
      configDir: this.config.config_dir,
      logger: this.log,
      broker: this.api,
      decisionTimeoutMs: this.config.plugin_decision_timeout,
      setupTimeoutMs: this.config.plugin_setup_timeout,
      defaultDecision: this.config.default_decision,
      resolved,
      ...(this.options.conditions !== undefined ? { conditions: this.options.conditions } : {}),
      ...(config.config_file !== undefined ? { configFile: config.config_file } : {}),
    };
  }

  /**
   * Rebuilds the state the store holds: retained messages, persistent sessions (subscriptions, queues,
   * inflight windows, inbound QoS 2 ids). Expiry runs in wall-clock time: what expired while the broker was
   * down is removed, not restored. A session still connected when the broker stopped (a crash) is taken as
   * disconnected now. Wills wait for the plugins (restoreWills): they are authorized like any publish.
   */
  private async restore(): Promise<RestoreCounts> {
    const ctx = this.ctx;
    const store = ctx.persistence;
    const now = Date.now();
    let retained = 0;
    for (const m of await store.listRetained()) {
      if (m.expiresAt !== undefined && m.expiresAt <= now) {
        ctx.journal.write(store.deleteRetained(m.topic));
        continue;
      }
      ctx.router.retained.set(m.topic, m);
      retained++;
    }
    ctx.stats.retainedCount = ctx.router.retained.size;
    let sessions = 0;
    let queued = 0;
    // Sessions without their queues: each queue is read a page at a time, and only its keys kept in memory.
    for (const p of await store.listSessions(0)) {
      const expiry = p.expiryInterval ?? this.config.session_expiry_interval;
      if (
        expiry > 0 &&
        expiry < 0xffffffff &&
        p.disconnectedAt !== undefined &&
        now - p.disconnectedAt >= expiry * 1000
      ) {
        ctx.journal.write(store.deleteSession(p.clientId));
        continue;
      }
      if (p.disconnectedAt === undefined) ctx.journal.write(store.updateSession(p.clientId, { disconnectedAt: now }));
      const session = restoreSession(ctx, p);
      queued += await restoreQueue(ctx, session);
      ctx.sessions.restore(session, p.disconnectedAt ?? now);
      sessions++;
    }
    return { sessions, queued, retained };
  }

  /**
   * Wills the store holds: of clients connected when the broker stopped (a crash is an ungraceful
   * disconnect: published now, or after their delay from now) and delayed wills still pending (published
   * when due; at once if that passed while the broker was down, or if their session is gone).
   */
  private async restoreWills(): Promise<number> {
    const ctx = this.ctx;
    const now = Date.now();
    let count = 0;
    for (const [clientId, w] of await ctx.persistence.listWills()) {
      count++;
      const client: ClientInfo = Object.freeze({
        clientId,
        username: w.username ?? undefined,
        protocolVersion: w.protocolVersion,
        listener: '',
        remoteAddress: '',
        remotePort: 0,
        secure: false,
      });
      const message = copyMessage(w.message);
      // A cluster may have published it while this broker was down.
      if (ctx.host?.keepRestoredWill !== undefined && !(await ctx.host.keepRestoredWill({ clientId, will: message }))) {
        ctx.sessions.forgetWill(clientId);
        continue;
      }
      const session = ctx.sessions.get(clientId);
      const publishAt = w.publishAt ?? now + w.delay * 1000;
      if (session === undefined || w.delay <= 0 || publishAt <= now) {
        ctx.sessions.publishWill(client, message);
        continue;
      }
      if (w.publishAt === undefined) ctx.sessions.storeWill(client, message, w.delay, publishAt);
      ctx.sessions.delayWill(session, client, message, publishAt);
    }
    return count;
  }

  /** Serves any Duplex (a socket, a WebSocket stream, an in-process pair) as one client connection. */
  handle(stream: Duplex, info: Partial<ConnectionInfo> = {}): void {
    if (this.state === 'closing' || this.state === 'closed') {
      stream.destroy();
      return;
    }
    const s = stream as Duplex & { remoteAddress?: string; remotePort?: number };
    // A listener's info is complete: used as is (one object per connection, not two).
    const full: ConnectionInfo = isComplete(info)
      ? info
      : {
          listener: info.listener ?? 'embedded',
          remoteAddress: info.remoteAddress ?? s.remoteAddress ?? '',
          remotePort: info.remotePort ?? s.remotePort ?? 0,
          secure: info.secure ?? false,
        };
    const conn = new Connection(this.ctx, stream, full, this.forget);
    this.connections.add(conn);
  }

  private readonly forget = (conn: Connection): void => {
    this.connections.delete(conn);
  };

  /**
   * Publishes a message from the embedding application (or a plugin, through `api`), with the rights
   * `authority` names: `{ as: client }` authorizes it as that client's PUBLISH, `{ trusted: true }` skips
   * authorization (and may publish `$SYS` topics). Resolves once routed; rejects with a MidgeError:
   * `BROKER_INVALID_TOPIC`, `BROKER_PUBLISH_DENIED` (the `$`-topic rule or authorization refused it), or
   * `BROKER_PUBLISH_OPTIONS` (no or contradictory `authority`, an origin the API may not claim).
   */
  publish(options: PublishOptions, authority: PublishAuthority): Promise<void> {
    const problem = authorityProblem(authority);
    if (problem !== undefined)
      return Promise.reject(
        new MidgeError('BROKER_PUBLISH_OPTIONS', `cannot publish to '${options.topic}': ${problem}`),
      );
    const invalid = validateTopicName(options.topic, this.ctx.topicLimits);
    if (invalid !== undefined)
      return Promise.reject(new MidgeError('BROKER_INVALID_TOPIC', `cannot publish to '${options.topic}': ${invalid}`));
    const payload = typeof options.payload === 'string' ? Buffer.from(options.payload) : options.payload;
    const qos: QoS = options.qos ?? 0;
    const message: Message =
      options.properties === undefined
        ? { topic: options.topic, payload, qos, retain: options.retain ?? false }
        : { topic: options.topic, payload, qos, retain: options.retain ?? false, properties: options.properties };
    const origin = authority.origin ?? 'api';
    const publisher = authority.trusted === true ? TRUSTED : authority.as;
    const settle = (outcome: PublishOutcome): void | Promise<void> => {
      if (typeof outcome === 'number') return;
      if (!isRefusal(outcome))
        // Resolves once the store holds it (persistent subscribers, the retained value), as a PUBACK would.
        return outcome.stored.catch((err: unknown) => {
          throw new MidgeError(
            'BROKER_PUBLISH_NOT_STORED',
            `publish to '${options.topic}' was not stored: ${String(err)}`,
            { cause: err },
          );
        });
      const who = publisher === TRUSTED ? `from ${origin}` : `as client '${publisher.clientId}'`;
      const why = outcome.verdict === 'deny' && outcome.reason !== undefined ? outcome.reason : 'not authorized';
      throw new MidgeError('BROKER_PUBLISH_DENIED', `publish to '${options.topic}' ${who} refused: ${why}`);
    };
    try {
      const outcome = this.ctx.pipeline.publishFrom(
        origin,
        publisher,
        message,
        undefined,
        authority.trusted !== true || authority.keepRetained !== false,
      );
      if (isPromise(outcome)) return outcome.then(settle);
      const stored = settle(outcome);
      if (stored !== undefined) return stored;
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return Promise.resolve();
  }

  /** Reloads run one after the other: a reload asked for during another waits for it. */
  private reloading: Promise<unknown> = Promise.resolve();

  /**
   * SIGHUP for embedders (the CLI calls it with the config file read again). Without `next`, every plugin
   * re-reads its files (`reload` hooks: a password file, ACL files); clients stay connected unless a plugin
   * disconnects them (auth-file: users removed).
   *
   * With `next` (a config from `loadConfig`), the running broker takes it over as far as it can live, then
   * resolves with what changed (`changes`, one line each, empty when nothing did), what failed (that part
   * keeps running as it was) and the changed settings that only a restart applies (`needsRestart`: they
   * keep their running value). Clients stay connected except those of a listener removed or changed.
   * - Plugins (their key, package and options compared): a changed one is closed, then set up with the new
   *   options, and so are the plugins that depend on it (closed dependents first, set up in config order);
   *   added ones are set up, removed ones closed; the others keep running and re-read their files. Until
   *   the new plugins are set up the previous ones answer; if a setup fails, the previous plugins run again.
   * - Listeners: removed ones close (their clients get DISCONNECT 0x98 first), added ones bind; one whose
   *   bind, type, `ssl` or `require_certificate` changed closes and binds again (its clients reconnect).
   * - tls/wss listeners read their certificate, key and CA again: new handshakes use them when the files
   *   changed, open connections keep theirs.
   * - The log level (`log.level`, `log_level`) of the broker and its plugins.
   */
  reload(next?: BrokerConfig): Promise<ReloadReport> {
    const run = this.reloading.then(() =>
      next === undefined
        ? this.reloadPlugins().then((failures) => ({ changes: [], failures, needsRestart: [] }))
        : this.reconfigure(next),
    );
    this.reloading = run.catch(() => undefined);
    return run;
  }

  private async reloadPlugins(only?: ReadonlySet<string>): Promise<string[]> {
    this.ctx.debug = this.log.isLevelEnabled('debug');
    const result = await this.host?.reload(only);
    return (result?.failures ?? []).map((f) => `plugin ${f.key}: reload failed: ${(f.error as Error).message}`);
  }

  private async reconfigure(next: BrokerConfig): Promise<ReloadReport> {
    if (this.state !== 'running')
      throw new MidgeError('BROKER_STATE', `reload(config) called on a ${this.state} broker`);
    const ctx = this.ctx;
    const plan = planReconfiguration(this.config, next);
    const changes: string[] = [];
    const failures: string[] = [];
    let kept: ReadonlySet<string> | undefined;
    let plugins = this.config.plugins;
    if (plan.plugins) {
      const hadAuthentication = this.host?.hasAuthentication === true;
      try {
        const rebuilt = await PluginHost.rebuild(this.host, this.pluginEntries(next), this.pluginHostOptions(next));
        // New plugins learn the broker's state as at a start (a cluster plugin reads the subscriptions).
        rebuilt.host.emitToNewPlugins('broker:pre-start', {});
        this.host = rebuilt.host;
        ctx.host = rebuilt.host;
        ctx.events.host = rebuilt.host;
        rebuilt.host.emitToNewPlugins('broker:post-start', {});
        kept = rebuilt.kept;
        changes.push(...rebuilt.changes.map(describePluginChange));
        if (rebuilt.failure === undefined) plugins = next.plugins;
        else failures.push(`plugins: ${(rebuilt.failure as Error).message}; the previous plugins run again`);
        for (const lost of rebuilt.lost)
          failures.push(`plugin ${lost.key}: could not be set up again: ${(lost.error as Error).message}; not running`);
        // A plugin lost is out of the config in force: the next reload sets it up as an added one.
        if (rebuilt.lost.length > 0) plugins = plugins.filter((p) => !rebuilt.lost.some((l) => l.key === p.key));
        if (hadAuthentication && !rebuilt.host.hasAuthentication) this.log.warn(NO_AUTH_WARNING);
      } catch (err) {
        failures.push(`plugins: ${(err as Error).message}; the running plugins stay as they are`);
      }
    }
    // Plugins kept as they ran re-read their files (new ones have just read them).
    failures.push(...(await this.reloadPlugins(kept)));

    const listeners = await applyListenerChanges(
      {
        open: this.openListeners,
        start: (config) =>
          startListener(config, (stream, info) => this.handle(stream, info), this.log, this.listenerOptions()),
        disconnect: (name, reason) => this.disconnectClients((c) => c.listener === name, reason),
      },
      plan,
      this.config.listeners,
    );
    changes.push(...listeners.changes);
    failures.push(...listeners.failures);

    if (plan.logLevel !== undefined) {
      setLogLevel(this.log, plan.logLevel.to);
      this.host?.setLogLevel(plan.logLevel.to);
      ctx.debug = this.log.isLevelEnabled('debug');
      changes.push(`log level ${plan.logLevel.from} -> ${plan.logLevel.to}`);
    }
    // What was applied is the config in force; the rest keeps its running value until a restart.
    const level = next.log?.level;
    const { level: _oldLevel, ...keptLog } = this.config.log ?? {};
    this.config = {
      ...this.config,
      listeners: listeners.applied,
      plugins,
      log_level: next.log_level,
      ...(level !== undefined || Object.keys(keptLog).length > 0
        ? { log: { ...keptLog, ...(level !== undefined ? { level } : {}) } }
        : {}),
    };
    return { changes, failures, needsRestart: plan.needsRestart };
  }

  stats(): BrokerStats {
    return this.ctx.stats.snapshot();
  }

  #reloading: Promise<unknown> = Promise.resolve();

  /** A reload asked for through the API: `reloadHandler`, else the running config again; one at a time. */
  requestReload(): Promise<ReloadOutcome> {
    const handler = this.options.reloadHandler;
    const run = async (): Promise<ReloadOutcome> => {
      if (handler !== undefined) return handler();
      const report = await this.reload();
      return { applied: true, errors: [], ...report };
    };
    const next = this.#reloading.then(run, run);
    this.#reloading = next.catch(() => undefined);
    return next;
  }

  /** One session in detail, connected or offline; undefined when there is none. */
  clientDetail(clientId: string): ClientDetail | undefined {
    const session = this.ctx.sessions.get(clientId);
    if (session === undefined || session.ended) return undefined;
    let connectedAt: number | undefined;
    if (session.connection !== undefined)
      for (const conn of this.connections)
        if (conn.state === 'connected' && conn.client?.clientId === clientId) connectedAt = conn.connectedAt;
    return describeSession(session, connectedAt);
  }

  /** The figures of every plugin with a `metrics` hook, by plugin name. */
  pluginMetrics(): { plugin: string; metrics: readonly PluginMetric[] }[] {
    return this.host?.pluginMetrics() ?? [];
  }

  /** The store's write figures (whatever the engine). */
  storeStats(): StoreStats {
    const kind =
      this.options.persistence !== undefined
        ? this.options.persistence.constructor.name
        : (this.config.persistence?.store ?? 'memory');
    return { kind, ...this.ctx.journal.figures() };
  }

  /** Ready for traffic: listeners open, the store taking writes, every plugin with a health hook ready. */
  health(): BrokerHealth {
    const checks: HealthCheck[] = [];
    const listeners =
      this.state === 'running'
        ? `${this.openListeners.length} listener${this.openListeners.length === 1 ? '' : 's'} open`
        : `the broker is ${this.state === 'new' ? 'not started' : this.state}`;
    checks.push({ name: 'listeners', ok: this.state === 'running', reason: listeners });
    const failing = this.ctx.journal.figures().failing;
    checks.push(
      failing === undefined
        ? { name: 'store', ok: true, reason: 'the store takes writes' }
        : { name: 'store', ok: false, reason: `the last store write failed: ${failing}` },
    );
    if (this.host !== undefined) checks.push(...this.host.health());
    return { ready: checks.every((c) => c.ok), checks };
  }

  /** Sampled durations: plugin decision times (by plugin and hook) and publish-to-delivery latency. */
  timings(): BrokerTimings {
    return {
      decisions: this.host?.decisionTimings() ?? [],
      deliveryLatency: this.ctx.stats.latency.snapshot(),
      deliveryLatencySampleEvery: LATENCY_SAMPLE_EVERY,
    };
  }

  /**
   * Closes every connection whose client `match`es (e.g. a user removed from a password file): v5 clients
   * get DISCONNECT 0x98 Administrative action. Not graceful, so wills are published; persistent sessions
   * stay until they expire. Returns how many connections were closed.
   */
  disconnectClients(match: (client: ClientInfo) => boolean, reason = 'disconnected by the server'): number {
    let closed = 0;
    // A copy: closing removes connections from the set.
    for (const conn of [...this.connections]) {
      const client = conn.client;
      if (client === undefined || conn.state === 'closed' || !match(client)) continue;
      conn.close(`administrative action: ${reason}`, false, {
        reasonCode: ReasonCode.administrativeAction,
        reasonString: reason,
      });
      closed++;
    }
    return closed;
  }

  /** The clients connected now (CONNACK sent, not closed), with when their CONNACK went out. */
  connectedClients(): ConnectedClient[] {
    const out: ConnectedClient[] = [];
    for (const conn of this.connections) {
      if (conn.state === 'connected' && conn.client !== undefined && conn.connectedAt !== undefined)
        out.push({ client: conn.client, connectedAt: conn.connectedAt });
    }
    return out;
  }

  sessionCount(): number {
    return this.ctx.sessions.size;
  }

  /** Bound addresses of the open listeners (port 0 in config → the port picked). */
  listeners(): ListenerAddress[] {
    return this.openListeners.map((l) => ({ name: l.name, ...l.address() }));
  }

  on<K extends BrokerEventName>(event: K, listener: BrokerEventListener<K>): this {
    this.ctx.events.on(event, listener);
    return this;
  }

  off<K extends BrokerEventName>(event: K, listener: BrokerEventListener<K>): this {
    this.ctx.events.off(event, listener);
    return this;
  }

  once<K extends BrokerEventName>(event: K, listener: BrokerEventListener<K>): this {
    const wrapped: BrokerEventListener<K> = (e) => {
      this.off(event, wrapped);
      listener(e);
    };
    return this.on(event, wrapped);
  }

  private emit<K extends BrokerEventName>(event: K, payload: BrokerEvents[K]): void {
    if (this.ctx.events.wants(event)) this.ctx.events.emit(event, payload);
  }

  /**
   * Graceful shutdown: stop accepting, pre-shutdown, close every client (wills fire), save persistent
   * sessions, post-shutdown (still seen by plugins), then close plugins in reverse order.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.state === 'new') {
      this.state = 'closed';
      return;
    }
    this.state = 'closing';
    const ctx = this.ctx;
    // 'closing' already makes handle() refuse new connections; listeners close after the clients
    // because closing a listener destroys its sockets, which would cut the v5 DISCONNECT short.
    this.emit('broker:pre-shutdown', {});
    for (const conn of [...this.connections]) conn.close('server shutting down', false, { reasonCode: 0x8b });
    await Promise.allSettled(this.openListeners.map((l) => l.close()));
    ctx.sessions.close();
    // Everything was written through as it happened; what is still on its way is waited for.
    await ctx.journal.idle();
    this.emit('broker:post-shutdown', {});
    try {
      await this.host?.close();
    } finally {
      await ctx.persistence.close();
      this.state = 'closed';
    }
  }
}

/**
 * What is wrong with a publish's `authority`, checked at run time too: JavaScript callers get no type
 * error, and a publish must never go out unauthorized because its options were missing or misspelt.
 */
function authorityProblem(authority: PublishAuthority | undefined): string | undefined {
  if (typeof authority !== 'object' || authority === null)
    return 'say whose rights it is published with: { as: client } or { trusted: true }';
  const trusted = authority.trusted === true;
  const as = authority.as !== undefined;
  if (trusted === as)
    return trusted
      ? 'give either { as: client } or { trusted: true }, not both'
      : 'say whose rights it is published with: { as: client } or { trusted: true }';
  if (as && typeof authority.as?.clientId !== 'string') return '`as` must be a ClientInfo';
  const origin: unknown = authority.origin;
  if (origin !== undefined && origin !== 'api' && !(typeof origin === 'string' && /^(cluster|bridge):./.test(origin))) {
    return `origin must be 'api', 'cluster:<node>' or 'bridge:<name>', not ${JSON.stringify(origin)}`;
  }
  return undefined;
}

function isComplete(info: Partial<ConnectionInfo>): info is ConnectionInfo {
  return (
    info.listener !== undefined &&
    info.remoteAddress !== undefined &&
    info.remotePort !== undefined &&
    info.secure !== undefined
  );
}

/**
 * Loads `config` (a YAML file path or an in-memory YAML-shaped object, validated with defaults) and
 * returns a broker ready to `start()`. Deprecated spellings are logged as warnings.
 */
export async function createBroker(config: string | ConfigInput, options: BrokerOptions = {}): Promise<Broker> {
  const { config: loaded, deprecations, warnings } = await loadConfig(config);
  const broker = new Broker(loaded, options);
  for (const d of [...deprecations, ...warnings]) broker.log.warn({ path: d.path }, d.message);
  return broker;
}
