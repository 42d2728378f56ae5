/**
 * The plugin host: the registry of the loaded plugins and their hooks. It loads them
 * (load.ts), asks their decision hooks by the combination rule (decide.ts), fans out events, reloads them
 * and closes them in reverse order. A config reload builds the next host from the running one (`rebuild`),
 * keeping the plugins whose options did not change. The broker, and an MQTT client for its own plugins,
 * talk to plugins only through this class.
 */
import type { PluginEntry } from '../config/types.js';
import { PluginError } from '../errors.js';
import { allow, deny } from '../plugin-api/decision.js';
import type {
  AuthenticateRequest,
  AuthorizeClientRequest,
  AuthorizeTopicRequest,
  BrokerApi,
  BrokerEventName,
  BrokerEvents,
  ClientApi,
  ClientInfo,
  ClientPluginContext,
  Decision,
  DecisionTiming,
  HealthCheck,
  PluginMetric,
  DenyDecision,
  EnhancedAuthRequest,
  EnhancedAuthStep,
  Logger,
  Message,
  StoreMessageRequest,
  MidgePlugin,
  PluginContext,
  PluginHooks,
  SessionClaimRequest,
} from '../plugin-api/types.js';
import type { PersistedSession } from '../persistence/types.js';
import { awaitAnswer, decide, failed, NOBODY_ALLOWED, verdictOf } from './decide.js';
import type { DecisionRule, HookFailure, Voter } from './decide.js';
import { followChildLevels, setLogLevel } from '../broker/log-level.js';
import { DECISION_BOUNDS, TimingHistogram } from '../broker/timing-histogram.js';
import { sampleEveryOf, timedHook } from './timed-hook.js';
import { loadPlugins, setUp } from './load.js';
import { planPluginChanges, type PluginChange } from './plugin-changes.js';
import { call, isThenable, TIMED_OUT, withTimeout } from './timeout.js';

/** What a topic request every `authorizeTopic` hook abstained on gets (config `default_decision`). */
export type DefaultDecision = 'allow' | 'deny';

interface PluginHostCommonOptions {
  /** Folders packages are resolved from, in order: the config file's folder, then the CLI's own folder. */
  readonly searchDirs: readonly string[];
  /** Given to plugins as `ctx.configDir`. */
  readonly configDir: string;
  readonly logger: Logger;
  /** Milliseconds an async decision may take before it counts as deny. 0 or Infinity = no limit. */
  readonly decisionTimeoutMs: number;
  /** Milliseconds each plugin's setup may take. 0 or Infinity = no limit. */
  readonly setupTimeoutMs: number;
  /** Milliseconds each `reload` / `close` hook may take; defaults to `setupTimeoutMs`. */
  readonly hookTimeoutMs?: number;
  /** Topic requests every authorizeTopic hook abstained on: `default_decision`, default 'deny'. */
  readonly defaultDecision?: DefaultDecision;
  /** Plugins already in memory, by entry key: used instead of resolving (createBroker({ plugins: [obj] }), tests). */
  readonly resolved?: ReadonlyMap<string, MidgePlugin>;
  /** The config file, named in ConfigError messages. */
  readonly configFile?: string;
  /** Export conditions for package resolution (see ResolvePluginOptions). */
  readonly conditions?: readonly string[];
}

/** A broker's host gives plugins `ctx.broker`; an MQTT client's gives them `ctx.client` (and runs only client plugins). */
export type PluginHostOptions = PluginHostCommonOptions &
  ({ readonly broker: BrokerApi; readonly client?: never } | { readonly client: ClientApi; readonly broker?: never });

export interface LoadedPluginInfo {
  readonly name: string;
  readonly key: string;
  /** Its npm package's version; null when given in memory, loaded from a file path, or not found. */
  readonly version: string | null;
}

export interface PluginReloadFailure {
  readonly plugin: string;
  readonly key: string;
  readonly error: unknown;
}

export interface PluginReloadResult {
  /** Plugins whose reload threw, rejected or timed out (each also logged). Empty when all succeeded. */
  readonly failures: readonly PluginReloadFailure[];
}

/** What `PluginHost.rebuild` made of a running host and a new config. */
export interface PluginRebuild {
  /** The host to use from now on (the previous one must no longer be used, nor closed). */
  readonly host: PluginHost;
  /** The plugins touched, one entry each (none when the rebuild failed). */
  readonly changes: readonly PluginChange[];
  /** Keys of the plugins kept as they ran (their `reload` is for the caller to call). */
  readonly kept: ReadonlySet<string>;
  /**
   * Why the new plugins could not all be set up: the host then runs the previous plugins, those closed for
   * the rebuild set up again with their previous options.
   */
  readonly failure?: unknown;
  /** Previous plugins that could not be set up again after a failure: not running until the next reload. */
  readonly lost: readonly PluginReloadFailure[];
}

interface Loaded {
  readonly name: string;
  readonly key: string;
  readonly logger: Logger;
  readonly controller: AbortController;
  readonly hooks: PluginHooks;
  /** What it was set up from: a rebuild compares it with the new config, and sets it up again from it on failure. */
  readonly entry: PluginEntry;
  readonly plugin: MidgePlugin;
  /** Its options as validated by its schema. */
  readonly config: unknown;
  /** Sampled answer times of its decision hooks (kept by a rebuild that keeps the plugin). */
  readonly timings: Map<HookName, TimingHistogram>;
  readonly version: string | null;
}

type HookName = 'authenticate' | 'authorizeTopic' | 'vetoTopic' | 'authorizeClient' | 'enhancedAuth';

/** A decision hook of one plugin, bound once at setup. */
interface DecisionHook<R> extends Voter<R> {
  readonly p: Loaded;
  readonly hook: HookName;
}
interface EventHook {
  readonly p: Loaded;
  readonly fn: (payload: unknown) => unknown;
}
type DecisionRequest = { readonly client: ClientInfo };
type Rule<R extends DecisionRequest> = DecisionRule<R, DecisionHook<R>>;

const SHUT_DOWN: DenyDecision = deny('shutting down');

export class PluginHost {
  /** The loaded plugins in setup order. */
  readonly plugins: readonly LoadedPluginInfo[];

  readonly #options: PluginHostOptions;
  readonly #loaded: Loaded[] = [];
  /** The plugins this host set up itself, as opposed to those a rebuild kept from the previous host. */
  readonly #fresh = new Set<Loaded>();
  readonly #info: LoadedPluginInfo[] = [];
  // Precomputed at setup so a decision or event is a loop over a ready array: no lookup, no allocation.
  readonly #authenticate: DecisionHook<AuthenticateRequest>[] = [];
  /** authorizeTopic and vetoTopic hooks together, in config order. */
  readonly #topic: DecisionHook<AuthorizeTopicRequest>[] = [];
  readonly #authorizeClient: DecisionHook<AuthorizeClientRequest>[] = [];
  readonly #events = new Map<string, EventHook[]>();
  /** Authentication Method → the plugin that handles it (enhanced authentication). */
  readonly #enhancedAuth = new Map<string, DecisionHook<EnhancedAuthRequest>>();
  /** The one plugin that claims client ids across brokers (a cluster plugin), if any. */
  #claimSession: { readonly p: Loaded; readonly fn: NonNullable<PluginHooks['claimSession']> } | undefined;
  /** The one plugin that decides on wills restored from the store, if any. */
  #willKeeper: { readonly p: Loaded; readonly fn: NonNullable<PluginHooks['keepRestoredWill']> } | undefined;
  #routeAwaiter: { readonly p: Loaded; readonly fn: NonNullable<PluginHooks['awaitRoutes']> } | undefined;
  #messageStore: { readonly p: Loaded; readonly fn: NonNullable<PluginHooks['storeMessage']> } | undefined;
  /** The one plugin that delivers shared subscriptions across brokers, if any. */
  #sharedTaker: { readonly p: Loaded; readonly fn: () => boolean } | undefined;
  #sharedTakerFailed = false;
  readonly #authenticateRule: Rule<AuthenticateRequest>;
  /** Set again once every plugin is set up: what all-abstain answers depends on which topic hooks exist. */
  #topicRule: Rule<AuthorizeTopicRequest>;
  readonly #clientRule: Rule<AuthorizeClientRequest>;
  readonly #enhancedRule: Rule<EnhancedAuthRequest>;
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(options: PluginHostOptions) {
    this.#options = options;
    this.plugins = this.#info;
    this.#authenticateRule = this.#rule(NOBODY_ALLOWED);
    this.#topicRule = this.#rule(NOBODY_ALLOWED);
    // authorizeClient hooks only veto: when all abstain, the client is admitted.
    this.#clientRule = this.#rule(allow);
    this.#enhancedRule = this.#rule(NOBODY_ALLOWED);
  }

  /**
   * Resolves, validates and sets up `entries` in order.
   *
   * @throws PluginError for a plugin given in memory made for the other side (`runsIn`),
   *   `PLUGIN_SETUP_FAILED` / `PLUGIN_SETUP_TIMEOUT` from setup (after closing the plugins already set up,
   *   in reverse order).
   * @throws ConfigError with every problem of every plugin: not found, not loadable or not usable here
   *   (`issue.code` = the PluginError code), config schema issues (`plugins.'<key>'.<path>`), options given
   *   to a plugin without a schema, duplicate names, dependencies missing or listed later (see loadPlugins).
   */
  static async start(entries: readonly PluginEntry[], options: PluginHostOptions): Promise<PluginHost> {
    const { plugins, configs, versions } = await loadPlugins(entries, loadOptionsOf(options));
    const host = new PluginHost(options);
    try {
      for (let i = 0; i < plugins.length; i++) {
        await host.#setup(entries[i] as PluginEntry, plugins[i] as MidgePlugin, configs[i], versions[i] ?? null);
      }
    } catch (err) {
      await host.close();
      throw err;
    }
    host.#seal();
    return host;
  }

  /**
   * The host for `entries` (a config reload), made from the running `previous` one (planPluginChanges): a
   * plugin whose key, package and options did not change is kept as it runs (connections, ports, state);
   * the others are closed, dependents first, then the changed, dependent and added ones are set up in
   * config order (close, then setup: a plugin holding a port can bind it again). Until the caller switches
   * to the returned host, `previous` keeps answering (its closed plugins' hooks included). If a setup
   * fails, what this rebuild set up is closed and the plugins closed for it are set up again with their
   * previous options (`failure`, `lost`).
   *
   * @throws ConfigError as `start`, before any plugin is closed: the running ones stay as they are.
   */
  static async rebuild(
    previous: PluginHost | undefined,
    entries: readonly PluginEntry[],
    options: PluginHostOptions,
  ): Promise<PluginRebuild> {
    const { plugins, configs, versions } = await loadPlugins(entries, loadOptionsOf(options));
    const running = previous === undefined ? [] : previous.#loaded;
    const plan = planPluginChanges(
      running.map((p) => ({ key: p.key, specifier: p.entry.specifier, config: p.entry.config, name: p.name })),
      entries.map((entry, i) => {
        const { name, dependencies = [] } = plugins[i] as MidgePlugin;
        return { key: entry.key, specifier: entry.specifier, config: entry.config, name, dependencies };
      }),
    );
    const byKey = new Map(running.map((p) => [p.key, p]));
    const timeoutMs = options.hookTimeoutMs ?? options.setupTimeoutMs;
    for (const key of plan.close) {
      const p = byKey.get(key);
      if (p !== undefined) await closePlugin(p, timeoutMs);
    }
    const host = new PluginHost(options);
    try {
      for (let i = 0; i < plugins.length; i++) {
        const entry = entries[i] as PluginEntry;
        const kept = plan.keep.has(entry.key) ? byKey.get(entry.key) : undefined;
        if (kept !== undefined) host.#adopt(kept);
        else await host.#setup(entry, plugins[i] as MidgePlugin, configs[i], versions[i] ?? null);
      }
      host.#seal();
      return { host, changes: plan.changes, kept: plan.keep, lost: [] };
    } catch (failure) {
      for (const p of [...host.#fresh].reverse()) await closePlugin(p, timeoutMs);
      const { host: back, lost } = await PluginHost.#restore(running, plan.keep, options);
      return { host: back, changes: [], kept: plan.keep, failure, lost };
    }
  }

  /** A host of the `running` plugins again: `keep` as they are, the others (closed) set up with their old options. */
  static async #restore(
    running: readonly Loaded[],
    keep: ReadonlySet<string>,
    options: PluginHostOptions,
  ): Promise<{ host: PluginHost; lost: PluginReloadFailure[] }> {
    const host = new PluginHost(options);
    const lost: PluginReloadFailure[] = [];
    for (const p of running) {
      try {
        if (keep.has(p.key)) host.#adopt(p);
        else await host.#setup(p.entry, p.plugin, p.config, p.version);
      } catch (error) {
        p.logger.error({ err: error }, 'could not be set up again with its previous options: not running');
        lost.push({ plugin: p.name, key: p.key, error });
      }
    }
    host.#seal();
    return { host, lost };
  }

  #seal(): void {
    this.#topicRule = this.#rule(this.#whenEveryTopicHookAbstains());
    Object.freeze(this.#info);
  }

  /** True when at least one plugin implements authorizeTopic or vetoTopic; without, topics are unrestricted. */
  get hasTopicAuthorization(): boolean {
    return this.#topic.length > 0;
  }

  /** True when at least one plugin implements authenticate; without, every client is accepted. */
  get hasAuthentication(): boolean {
    return this.#authenticate.length > 0;
  }

  /** True when some plugin handles `event`: the broker skips building payloads nobody listens to. */
  hasHook(event: BrokerEventName): boolean {
    return this.#events.has(event);
  }

  /** The figures of every plugin with a `metrics` hook; one that throws is logged and left out. */
  pluginMetrics(): { plugin: string; metrics: readonly PluginMetric[] }[] {
    const out: { plugin: string; metrics: readonly PluginMetric[] }[] = [];
    for (const p of this.#loaded) {
      const hooks = p.hooks;
      if (hooks.metrics === undefined) continue;
      try {
        const metrics = hooks.metrics();
        if (Array.isArray(metrics)) out.push({ plugin: p.name, metrics });
        else p.logger.warn('metrics returned no array; its figures are left out');
      } catch (err) {
        p.logger.warn({ err }, 'metrics failed; its figures are left out');
      }
    }
    return out;
  }

  /** The readiness of every plugin with a `health` hook (a throw counts as not ready). */
  health(): HealthCheck[] {
    const out: HealthCheck[] = [];
    for (const p of this.#loaded) {
      const hooks = p.hooks;
      if (hooks.health === undefined) continue;
      const name = `plugin:${p.name}`;
      try {
        const h = hooks.health();
        const ready = h.ready === true;
        out.push({ name, ok: ready, reason: h.reason ?? (ready ? 'ready' : 'not ready') });
      } catch (err) {
        out.push({
          name,
          ok: false,
          reason: `its health check failed: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    }
    return out;
  }

  /** Sampled answer times of every decision hook, per plugin in setup order. */
  decisionTimings(): DecisionTiming[] {
    const out: DecisionTiming[] = [];
    for (const p of this.#loaded)
      for (const [hook, histogram] of p.timings)
        out.push({ plugin: p.name, hook, sampleEvery: sampleEveryOf(hook), histogram: histogram.snapshot() });
    return out;
  }

  /**
   * The `authenticate` hooks by the combination rule (decide.ts); all-abstain denies. With no authenticate
   * hook at all every client is accepted, so an embedded broker without an auth plugin works.
   */
  authenticate(request: AuthenticateRequest): Decision | Promise<Decision> {
    if (this.#closed) return SHUT_DOWN;
    if (this.#authenticate.length === 0) return allow;
    return decide(this.#authenticate, request, this.#authenticateRule);
  }

  /**
   * The `authorizeTopic` and `vetoTopic` hooks by the combination rule; all-abstain answers
   * `defaultDecision` when some plugin has authorizeTopic, allow when there are only vetoes. With neither
   * hook, topics are unrestricted. Runs per delivery for 'receive': synchronous hooks cost no allocation.
   */
  authorizeTopic(request: AuthorizeTopicRequest): Decision | Promise<Decision> {
    if (this.#closed) return SHUT_DOWN;
    if (this.#topic.length === 0) return allow;
    return decide(this.#topic, request, this.#topicRule);
  }

  /**
   * Asks every `authorizeClient` hook about an authenticated client: any deny refuses it; allow and abstain
   * (all-abstain included) admit it, since these hooks only veto. Undefined when no plugin has the hook.
   */
  authorizeClient(request: AuthorizeClientRequest): Decision | Promise<Decision> | undefined {
    if (this.#closed) return SHUT_DOWN;
    if (this.#authorizeClient.length === 0) return undefined;
    return decide(this.#authorizeClient, request, this.#clientRule);
  }

  /**
   * The cluster plugin's `claimSession` for a client being admitted, bounded by `decisionTimeoutMs`;
   * undefined when no plugin has the hook. Never rejects: a throw, a rejection or a timeout is logged under
   * the plugin's name and resolves undefined (the client is admitted with what this broker holds).
   */
  claimSession(request: SessionClaimRequest): Promise<PersistedSession | undefined> | undefined {
    const claim = this.#claimSession;
    if (claim === undefined || this.#closed) return undefined;
    const clientId = request.client.clientId;
    return withTimeout(
      call(() => claim.fn(request)),
      this.#options.decisionTimeoutMs,
    ).then(
      (answer) => {
        if (answer !== TIMED_OUT) return answer;
        claim.p.logger.warn(
          { clientId, timeoutMs: this.#options.decisionTimeoutMs },
          'claimSession did not answer within plugin_decision_timeout: the client is admitted with what this broker holds',
        );
        return undefined;
      },
      (err: unknown) => {
        claim.p.logger.warn(
          { clientId, err },
          'claimSession failed: the client is admitted with what this broker holds',
        );
        return undefined;
      },
    );
  }

  /**
   * True while the cluster plugin takes shared subscriptions (`takesSharedSubscriptions`); false without one.
   * A throw counts as false (the broker delivers locally), logged once under the plugin's name.
   */
  takesSharedSubscriptions(): boolean {
    const taker = this.#sharedTaker;
    if (taker === undefined || this.#closed) return false;
    try {
      return taker.fn() === true;
    } catch (err) {
      if (!this.#sharedTakerFailed)
        taker.p.logger.error(
          { err },
          'takesSharedSubscriptions threw: shared subscriptions are delivered by this broker alone meanwhile',
        );
      this.#sharedTakerFailed = true;
      return false;
    }
  }

  /**
   * Whether the broker publishes a will restored from its store: the cluster plugin's `keepRestoredWill`,
   * true without one. A throw, a rejection or a timeout is logged and counts as true.
   */
  async keepRestoredWill(request: { readonly clientId: string; readonly will: Message }): Promise<boolean> {
    const keeper = this.#willKeeper;
    if (keeper === undefined) return true;
    try {
      const answer = await withTimeout(
        call(() => keeper.fn(request)),
        this.#options.decisionTimeoutMs,
      );
      if (answer !== TIMED_OUT) return answer !== false;
      keeper.p.logger.warn(
        { clientId: request.clientId },
        'keepRestoredWill did not answer within plugin_decision_timeout: the will is published',
      );
    } catch (err) {
      keeper.p.logger.warn({ clientId: request.clientId, err }, 'keepRestoredWill failed: the will is published');
    }
    return true;
  }

  /**
   * The cluster plugin's `awaitRoutes`: a promise that settles once the routes of the subscriptions just added
   * are registered (bounded by `decisionTimeoutMs`; failures logged), or undefined when none is pending.
   */
  awaitRoutes(): Promise<void> | undefined {
    const awaiter = this.#routeAwaiter;
    if (awaiter === undefined || this.#closed) return undefined;
    let pending: Promise<void> | undefined;
    try {
      pending = awaiter.fn();
    } catch (err) {
      awaiter.p.logger.warn({ err }, 'awaitRoutes failed: the SUBACK goes out');
      return undefined;
    }
    if (pending === undefined) return undefined;
    return withTimeout(pending, this.#options.decisionTimeoutMs).then(
      (answer) => {
        if (answer === TIMED_OUT)
          awaiter.p.logger.warn('awaitRoutes did not settle within plugin_decision_timeout: the SUBACK goes out');
      },
      (err: unknown) => awaiter.p.logger.warn({ err }, 'awaitRoutes failed: the SUBACK goes out'),
    );
  }

  /**
   * The cluster plugin's `storeMessage`: a promise that resolves once the plugin stored the message, and
   * rejects when it failed, threw or did not answer within `decisionTimeoutMs` (the publisher is then answered
   * as for a failed store write, which logs it); undefined when there is nothing to wait for.
   */
  storeMessage(request: StoreMessageRequest): Promise<void> | undefined {
    const store = this.#messageStore;
    if (store === undefined || this.#closed) return undefined;
    let pending: Promise<void> | undefined;
    try {
      pending = store.fn(request);
    } catch (err) {
      return Promise.reject(new Error(`plugin ${store.p.name}: storeMessage threw: ${String(err)}`, { cause: err }));
    }
    if (pending === undefined) return undefined;
    return withTimeout(pending, this.#options.decisionTimeoutMs).then(
      (answer) => {
        if (answer === TIMED_OUT)
          throw new Error(`plugin ${store.p.name}: storeMessage did not settle within plugin_decision_timeout`);
      },
      (err: unknown) => {
        throw new Error(`plugin ${store.p.name}: storeMessage failed: ${String(err)}`, { cause: err });
      },
    );
  }

  /** True when a plugin handles MQTT 5 enhanced authentication with this Authentication Method. */
  hasEnhancedAuth(method: string): boolean {
    return this.#enhancedAuth.has(method);
  }

  /**
   * One step of an enhanced authentication exchange, by the plugin that owns `request.method`. A throw, a
   * rejection, a timeout (`decisionTimeoutMs`) or an answer that is not challenge/allow/deny becomes a
   * deny, logged under the plugin's name. An unknown method denies too (callers check `hasEnhancedAuth`).
   */
  enhancedAuth(request: EnhancedAuthRequest): EnhancedAuthStep | Promise<EnhancedAuthStep> {
    if (this.#closed) return SHUT_DOWN;
    const entry = this.#enhancedAuth.get(request.method);
    if (entry === undefined) return NOBODY_ALLOWED;
    const rule = this.#enhancedRule;
    let answer: unknown;
    try {
      answer = entry.ask(request);
    } catch (err) {
      return failed(entry, request, rule, 'threw', err);
    }
    if (!isThenable(answer)) return checkStep(entry, request, rule, answer);
    return awaitAnswer(entry, request, rule, answer).then((a) => checkStep(entry, request, rule, a));
  }

  /** Calls every handler of `event`. Handler errors (sync or async) are logged under the plugin's name. Never throws. */
  emit<K extends BrokerEventName>(event: K, payload: BrokerEvents[K]): void {
    if (this.#closed) return;
    const list = this.#events.get(event);
    if (list === undefined) return;
    for (let i = 0; i < list.length; i++) {
      const h = list[i] as EventHook;
      try {
        const r = h.fn(payload);
        if (isThenable(r)) r.then(undefined, (err: unknown) => eventFailed(h.p, event, err));
      } catch (err) {
        eventFailed(h.p, event, err);
      }
    }
  }

  /**
   * `emit` to the plugins this host set up itself only: after a rebuild, the `broker:pre-start` and
   * `broker:post-start` a new plugin needs to learn the broker's state, which kept plugins had already.
   */
  emitToNewPlugins<K extends BrokerEventName>(event: K, payload: BrokerEvents[K]): void {
    if (this.#closed) return;
    for (const h of this.#events.get(event) ?? []) {
      if (!this.#fresh.has(h.p)) continue;
      try {
        const r = h.fn(payload);
        if (isThenable(r)) r.then(undefined, (err: unknown) => eventFailed(h.p, event, err));
      } catch (err) {
        eventFailed(h.p, event, err);
      }
    }
  }

  /** A config reload changed the log level: each plugin's logger follows (a pino child keeps its own level). */
  setLogLevel(level: string): void {
    for (const p of this.#loaded) setLogLevel(p.logger, level);
  }

  /**
   * Calls every plugin's `reload` (or those whose key is in `only`), in setup order, each bounded by the
   * hook timeout. A failure is logged and does not stop the others; the result lists them.
   */
  async reload(only?: ReadonlySet<string>): Promise<PluginReloadResult> {
    const failures: PluginReloadFailure[] = [];
    if (this.#closed) return { failures };
    for (const p of this.#loaded) {
      const hooks = p.hooks;
      if (hooks.reload === undefined || (only !== undefined && !only.has(p.key))) continue;
      try {
        const r = await withTimeout(
          call(() => hooks.reload?.()),
          this.#hookTimeoutMs,
        );
        if (r === TIMED_OUT) {
          const error = new PluginError(
            'PLUGIN_RELOAD_TIMEOUT',
            p.name,
            `reload did not finish within ${this.#hookTimeoutMs} ms`,
          );
          p.logger.warn({ err: error }, error.message);
          failures.push({ plugin: p.name, key: p.key, error });
        }
      } catch (err) {
        p.logger.error({ err }, 'reload failed');
        failures.push({ plugin: p.name, key: p.key, error: err });
      }
    }
    return { failures };
  }

  /**
   * Aborts every plugin's signal, then calls `close` hooks in reverse setup order, each bounded by the hook
   * timeout; errors are logged. Idempotent: later calls return the first call's promise. After close,
   * decisions deny and events are dropped.
   */
  close(): Promise<void> {
    this.#closing ??= this.#closeAll();
    return this.#closing;
  }

  get #hookTimeoutMs(): number {
    return this.#options.hookTimeoutMs ?? this.#options.setupTimeoutMs;
  }

  /** Only vetoes never grant: what none of them denies is allowed, as with no topic plugin at all. */
  #whenEveryTopicHookAbstains(): Decision {
    const grants = this.#topic.some((h) => !h.vetoOnly);
    return grants && this.#options.defaultDecision !== 'allow' ? NOBODY_ALLOWED : allow;
  }

  #rule<R extends DecisionRequest>(whenAllAbstain: Decision): Rule<R> {
    const timeoutMs = this.#options.decisionTimeoutMs;
    return { whenAllAbstain, timeoutMs, onFailure: reportFailure };
  }

  #context(name: string, key: string, logger: Logger, signal: AbortSignal): PluginContext | ClientPluginContext {
    const { configDir, client, broker } = this.#options;
    if (client !== undefined) return Object.freeze({ name, key, logger, configDir, signal, client });
    return Object.freeze({ name, key, logger, configDir, signal, broker });
  }

  async #setup(entry: PluginEntry, plugin: MidgePlugin, config: unknown, version: string | null): Promise<void> {
    const { name } = plugin;
    const { key } = entry;
    const controller = new AbortController();
    const logger = this.#options.logger.child({ plugin: name });
    // A reload's new log level reaches the loggers the plugin makes from this one, too.
    followChildLevels(logger);
    const ctx = this.#context(name, key, logger, controller.signal);
    let hooks: PluginHooks;
    try {
      hooks = await setUp(plugin, ctx, config, { key, timeoutMs: this.#options.setupTimeoutMs, controller });
    } catch (err) {
      controller.abort();
      throw err;
    }
    const p: Loaded = { name, key, logger, controller, hooks, entry, plugin, config, timings: new Map(), version };
    try {
      this.#adopt(p);
    } catch (err) {
      // Set up but not registered (a hook only one plugin may have): closed here, its caller closes the rest.
      await closePlugin(p, this.#hookTimeoutMs);
      throw err;
    }
    this.#fresh.add(p);
    logger.debug({ key }, 'plugin set up');
  }

  /** Registers the hooks of a set-up plugin; throws, registering nothing, when one of them is taken already. */
  #adopt(p: Loaded): void {
    const { hooks, name, key } = p;
    const taken = (hook: string, owner: Loaded | undefined): void => {
      if (owner === undefined) return;
      throw new PluginError(
        'PLUGIN_SETUP_FAILED',
        name,
        `${hook} is already implemented by plugin '${owner.name}': one cluster plugin at most (plugins.${key})`,
      );
    };
    if (hooks.claimSession !== undefined) taken('claimSession', this.#claimSession?.p);
    if (hooks.keepRestoredWill !== undefined) taken('keepRestoredWill', this.#willKeeper?.p);
    if (hooks.awaitRoutes !== undefined) taken('awaitRoutes', this.#routeAwaiter?.p);
    if (hooks.storeMessage !== undefined) taken('storeMessage', this.#messageStore?.p);
    if (hooks.takesSharedSubscriptions !== undefined) taken('takesSharedSubscriptions', this.#sharedTaker?.p);
    const enhanced = hooks.enhancedAuth;
    for (const method of enhanced?.methods ?? []) {
      const owner = this.#enhancedAuth.get(method);
      if (owner !== undefined)
        throw new PluginError(
          'PLUGIN_SETUP_FAILED',
          name,
          `enhancedAuth method '${method}' is already handled by plugin '${owner.p.name}' (plugins.${key})`,
        );
    }

    this.#loaded.push(p);
    this.#info.push(Object.freeze({ name, key, version: p.version }));
    if (hooks.authenticate) this.#authenticate.push(voter(p, 'authenticate', hooks.authenticate.bind(hooks)));
    if (hooks.authorizeTopic) this.#topic.push(voter(p, 'authorizeTopic', hooks.authorizeTopic.bind(hooks)));
    if (hooks.vetoTopic) this.#topic.push(voter(p, 'vetoTopic', hooks.vetoTopic.bind(hooks), true));
    if (hooks.authorizeClient)
      this.#authorizeClient.push(voter(p, 'authorizeClient', hooks.authorizeClient.bind(hooks)));
    if (hooks.claimSession !== undefined) this.#claimSession = { p, fn: hooks.claimSession.bind(hooks) };
    if (hooks.keepRestoredWill !== undefined) this.#willKeeper = { p, fn: hooks.keepRestoredWill.bind(hooks) };
    if (hooks.awaitRoutes !== undefined) this.#routeAwaiter = { p, fn: hooks.awaitRoutes.bind(hooks) };
    if (hooks.storeMessage !== undefined) this.#messageStore = { p, fn: hooks.storeMessage.bind(hooks) };
    if (hooks.takesSharedSubscriptions !== undefined)
      this.#sharedTaker = { p, fn: hooks.takesSharedSubscriptions.bind(hooks) };
    if (enhanced !== undefined) {
      for (const method of enhanced.methods)
        this.#enhancedAuth.set(method, voter(p, 'enhancedAuth', enhanced.step.bind(enhanced)));
    }
    if (hooks.events) {
      const events = hooks.events as Record<string, ((payload: unknown) => unknown) | undefined>;
      for (const event of Object.keys(events)) {
        const fn = events[event];
        if (fn === undefined) continue;
        let list = this.#events.get(event);
        if (list === undefined) this.#events.set(event, (list = []));
        list.push({ p, fn: fn.bind(events) });
      }
    }
  }

  async #closeAll(): Promise<void> {
    this.#closed = true;
    const loaded = this.#loaded;
    for (let i = loaded.length - 1; i >= 0; i--) (loaded[i] as Loaded).controller.abort();
    for (let i = loaded.length - 1; i >= 0; i--) await closePlugin(loaded[i] as Loaded, this.#hookTimeoutMs);
  }
}

/** The options `loadPlugins` takes, from the host's. */
function loadOptionsOf(options: PluginHostOptions): Parameters<typeof loadPlugins>[1] {
  return {
    side: options.client !== undefined ? 'client' : 'broker',
    searchDirs: options.searchDirs,
    logger: options.logger,
    ...(options.resolved !== undefined ? { resolved: options.resolved } : {}),
    ...(options.conditions !== undefined ? { conditions: options.conditions } : {}),
    ...(options.configFile !== undefined ? { configFile: options.configFile } : {}),
  };
}

/** Aborts a plugin's signal and calls its `close` within `timeoutMs`; a failure or a timeout is logged. */
async function closePlugin(p: Loaded, timeoutMs: number): Promise<void> {
  p.controller.abort();
  const hooks = p.hooks;
  if (hooks.close === undefined) return;
  try {
    const r = await withTimeout(
      call(() => hooks.close?.()),
      timeoutMs,
    );
    if (r === TIMED_OUT) p.logger.warn({ timeoutMs }, 'close did not finish in time; moving on');
  } catch (err) {
    p.logger.error({ err }, 'close failed');
  }
}

// ---- helpers ---------------------------------------------------------------------------------

function voter<R>(p: Loaded, hook: HookName, ask: (request: R) => unknown, vetoOnly = false): DecisionHook<R> {
  let histogram = p.timings.get(hook);
  if (histogram === undefined) p.timings.set(hook, (histogram = new TimingHistogram(DECISION_BOUNDS)));
  return { p, hook, ask: timedHook(ask, histogram, sampleEveryOf(hook)), vetoOnly };
}

/** Logs a failing hook under its plugin's name. Fail closed: the decision denies. The request itself is not logged (password). */
function reportFailure<R extends DecisionRequest>(
  h: DecisionHook<R>,
  request: R,
  failure: HookFailure,
  detail: unknown,
): void {
  const { hook } = h;
  const clientId = request.client.clientId;
  switch (failure) {
    case 'threw':
    case 'rejected':
      h.p.logger.error({ err: detail, hook, clientId }, `${hook} failed; denying`);
      return;
    case 'timed-out':
      h.p.logger.warn(
        { hook, clientId, timeoutMs: detail },
        `${hook} did not answer within ${String(detail)} ms; denying`,
      );
      return;
    case 'invalid': {
      const what = hook === 'enhancedAuth' ? 'enhancedAuth step' : hook;
      const expected =
        hook === 'enhancedAuth' ? 'challenge(), allow/authenticated() or deny()' : 'allow, deny() or abstain';
      h.p.logger.error({ hook, clientId }, `${what} returned ${describe(detail)} instead of ${expected}; denying`);
      return;
    }
  }
}

function eventFailed(p: Loaded, event: string, err: unknown): void {
  p.logger.error({ err, event }, `handler for ${event} failed`);
}

/** An enhanced authentication step as the broker may act on it; anything else is reported and denies. */
function checkStep(
  entry: DecisionHook<EnhancedAuthRequest>,
  request: EnhancedAuthRequest,
  rule: Rule<EnhancedAuthRequest>,
  d: unknown,
): EnhancedAuthStep {
  const v = verdictOf(d);
  if (v === 'challenge' || v === 'allow' || v === 'deny') {
    const { data, username } = d as { data?: unknown; username?: unknown };
    if ((data === undefined || Buffer.isBuffer(data)) && (username === undefined || typeof username === 'string'))
      return d as EnhancedAuthStep;
  }
  return failed(entry, request, rule, 'invalid', d);
}

function describe(x: unknown): string {
  if (x === undefined || x === null) return String(x);
  if (typeof x === 'object')
    return `an object without a valid verdict (${String((x as { verdict?: unknown }).verdict)})`;
  return typeof x;
}
