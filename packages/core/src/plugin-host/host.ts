/**
 * The plugin host (DESIGN section 2): loads the configured plugins, validates every plugin's config at
 * once, sets them up in config order, combines their decisions, fans out events, and closes them in
 * reverse order. The broker talks to plugins only through this class.
 */
import type { PluginEntry } from '../config/types.js';
import { checkNamesAndDependencies, validatePluginConfigs } from './validate.js';
import { ConfigError, PluginError } from '../errors.js';
import { messageOf } from '../error-message.js';
import { allow, deny } from '../plugin-api/decision.js';
import type {
  AuthenticateRequest,
  AuthorizeClientRequest,
  AuthorizeTopicRequest,
  BrokerApi,
  BrokerEventName,
  BrokerEvents,
  ClientInfo,
  Decision,
  DenyDecision,
  EnhancedAuthRequest,
  EnhancedAuthStep,
  Logger,
  MidgePlugin,
  PluginContext,
  PluginHooks,
} from '../plugin-api/types.js';
import { checkPlugin, resolvePlugin } from './resolve.js';

export interface PluginHostOptions {
  /** Folders packages are resolved from, in order: the config file's folder, then the CLI's own folder. */
  readonly searchDirs: readonly string[];
  /** Given to plugins as `ctx.configDir`. */
  readonly configDir: string;
  readonly logger: Logger;
  readonly broker: BrokerApi;
  /** Milliseconds an async decision may take before it counts as deny. 0 or Infinity = no limit. */
  readonly decisionTimeoutMs: number;
  /** Milliseconds each plugin's setup may take. 0 or Infinity = no limit. */
  readonly setupTimeoutMs: number;
  /** Milliseconds each `reload` / `close` hook may take; defaults to `setupTimeoutMs`. */
  readonly hookTimeoutMs?: number;
  /** Plugins already in memory, by entry key: used instead of resolving (createBroker({ plugins: [obj] }), tests). */
  readonly resolved?: ReadonlyMap<string, MidgePlugin>;
  /** The config file, named in ConfigError messages. */
  readonly configFile?: string;
  /** Export conditions for package resolution (see ResolvePluginOptions). */
  readonly conditions?: readonly string[];
}

export interface LoadedPluginInfo {
  readonly name: string;
  readonly key: string;
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

interface Loaded {
  readonly name: string;
  readonly key: string;
  readonly logger: Logger;
  readonly controller: AbortController;
  readonly hooks: PluginHooks;
}

type DecisionFn<R> = (request: R) => Decision | Promise<Decision>;
interface DecisionHook<R> {
  readonly p: Loaded;
  readonly fn: DecisionFn<R>;
}
interface EventHook {
  readonly p: Loaded;
  readonly fn: (payload: unknown) => unknown;
}
type HookName = 'authenticate' | 'authorizeTopic' | 'authorizeClient' | 'enhancedAuth';
interface EnhancedAuthEntry {
  readonly p: Loaded;
  readonly step: (request: EnhancedAuthRequest) => unknown;
}

// Reasons are sent to clients as v5 reason strings, so they say what happened and nothing more.
const NOBODY_ALLOWED: DenyDecision = deny('no plugin allowed it');
const HOOK_FAILED: DenyDecision = deny('plugin error');
const HOOK_TIMED_OUT: DenyDecision = deny('timeout');
const SHUT_DOWN: DenyDecision = deny('shutting down');

const TIMED_OUT: unique symbol = Symbol('timed out');

export class PluginHost {
  /** The loaded plugins in setup order. */
  readonly plugins: readonly LoadedPluginInfo[];

  readonly #options: PluginHostOptions;
  readonly #loaded: Loaded[] = [];
  readonly #info: LoadedPluginInfo[] = [];
  // Precomputed at setup so a decision or event is a loop over a ready array: no lookup, no allocation.
  readonly #authenticate: DecisionHook<AuthenticateRequest>[] = [];
  readonly #authorizeTopic: DecisionHook<AuthorizeTopicRequest>[] = [];
  readonly #authorizeClient: DecisionHook<AuthorizeClientRequest>[] = [];
  readonly #events = new Map<string, EventHook[]>();
  /** Authentication Method → the plugin that handles it (enhanced authentication). */
  readonly #enhancedAuth = new Map<string, EnhancedAuthEntry>();
  #closed = false;
  #closing: Promise<void> | undefined;

  private constructor(options: PluginHostOptions) {
    this.#options = options;
    this.plugins = this.#info;
  }

  /**
   * Resolves, validates and sets up `entries` in order.
   *
   * @throws PluginError from resolution (first failing entry), `PLUGIN_SETUP_FAILED` / `PLUGIN_SETUP_TIMEOUT`
   *   from setup (after closing the plugins already set up, in reverse order).
   * @throws ConfigError with every problem of every plugin: config schema issues (`plugins.<key>.<path>`),
   *   options given to a plugin without a schema, duplicate names, dependencies missing or listed later.
   */
  static async start(entries: readonly PluginEntry[], options: PluginHostOptions): Promise<PluginHost> {
    const plugins: MidgePlugin[] = [];
    for (const entry of entries) {
      const given = options.resolved?.get(entry.key);
      if (given !== undefined) {
        plugins.push(checkPlugin(given, entry.key));
      } else {
        const opts = options.conditions ? { conditions: options.conditions } : {};
        const { plugin, url } = await resolvePlugin(entry, options.searchDirs, opts);
        options.logger.debug({ key: entry.key, url }, 'plugin resolved');
        plugins.push(plugin);
      }
    }

    const issues = checkNamesAndDependencies(entries, plugins);
    const configs = await validatePluginConfigs(entries, plugins, issues);
    if (issues.length > 0) throw new ConfigError(issues, options.configFile);

    const host = new PluginHost(options);
    for (let i = 0; i < plugins.length; i++) {
      await host.#setup(entries[i] as PluginEntry, plugins[i] as MidgePlugin, configs[i]);
    }
    Object.freeze(host.#info);
    return host;
  }

  /** True when at least one plugin implements authorizeTopic; without, topics are unrestricted. */
  get hasTopicAuthorization(): boolean {
    return this.#authorizeTopic.length > 0;
  }

  /** True when at least one plugin implements authenticate; without, every client is accepted. */
  get hasAuthentication(): boolean {
    return this.#authenticate.length > 0;
  }

  /** True when some plugin handles `event`: the broker skips building payloads nobody listens to. */
  hasHook(event: BrokerEventName): boolean {
    return this.#events.has(event);
  }

  /**
   * Combines every `authenticate` hook: any deny denies (the first, in config order, is returned), else
   * one allow is needed, and all-abstain denies. With no authenticate hook at all every client is accepted,
   * so an embedded broker without an auth plugin works. Synchronous when every hook answers synchronously.
   */
  authenticate(request: AuthenticateRequest): Decision | Promise<Decision> {
    if (this.#closed) return SHUT_DOWN;
    if (this.#authenticate.length === 0) return allow;
    return this.#decide(this.#authenticate, request, 'authenticate');
  }

  /**
   * Combines every `authorizeTopic` hook by the same rule as authenticate. With no authorizeTopic hook,
   * topics are unrestricted. Runs per delivery for 'receive': synchronous hooks cost no allocation.
   */
  authorizeTopic(request: AuthorizeTopicRequest): Decision | Promise<Decision> {
    if (this.#closed) return SHUT_DOWN;
    if (this.#authorizeTopic.length === 0) return allow;
    return this.#decide(this.#authorizeTopic, request, 'authorizeTopic');
  }

  /**
   * Asks every `authorizeClient` hook about an authenticated client: any deny refuses it; allow and abstain
   * (all-abstain included) admit it, since these hooks only veto. Undefined when no plugin has the hook.
   */
  authorizeClient(request: AuthorizeClientRequest): Decision | Promise<Decision> | undefined {
    if (this.#closed) return SHUT_DOWN;
    if (this.#authorizeClient.length === 0) return undefined;
    const d = this.#decide(this.#authorizeClient, request, 'authorizeClient');
    return isThenable(d) ? d.then(vetoOnly) : vetoOnly(d);
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
    let r: unknown;
    try {
      r = entry.step(request);
    } catch (err) {
      return hookFailed(entry.p, 'enhancedAuth', request.client, err);
    }
    if (!isThenable(r)) return checkStep(entry.p, request.client, r);
    return this.#settle(entry.p, 'enhancedAuth', request.client, r).then((d) => checkStep(entry.p, request.client, d));
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
   * Calls every plugin's `reload`, in setup order, each bounded by the hook timeout. A failure is logged and
   * does not stop the others; the result lists them.
   */
  async reload(): Promise<PluginReloadResult> {
    const failures: PluginReloadFailure[] = [];
    if (this.#closed) return { failures };
    for (const p of this.#loaded) {
      const hooks = p.hooks;
      if (hooks.reload === undefined) continue;
      try {
        const r = await withTimeout(call(() => hooks.reload?.()), this.#hookTimeoutMs);
        if (r === TIMED_OUT) {
          const error = new PluginError('PLUGIN_RELOAD_TIMEOUT', p.name, `reload did not finish within ${this.#hookTimeoutMs} ms`);
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

  async #setup(entry: PluginEntry, plugin: MidgePlugin, config: unknown): Promise<void> {
    const { name } = plugin;
    const { key } = entry;
    const controller = new AbortController();
    const logger = this.#options.logger.child({ plugin: name });
    const ctx: PluginContext = Object.freeze({
      name,
      key,
      logger,
      configDir: this.#options.configDir,
      signal: controller.signal,
      broker: this.#options.broker,
    });

    const pending = call(() => plugin.setup(ctx, config));
    let hooks: PluginHooks;
    try {
      const r = await withTimeout(pending, this.#options.setupTimeoutMs);
      if (r === TIMED_OUT) {
        controller.abort();
        // The setup may still finish; close what it built so a late plugin does not leak its resources.
        pending.then(
          (late) => lateClose(logger, late),
          () => undefined,
        );
        throw new PluginError(
          'PLUGIN_SETUP_TIMEOUT',
          name,
          `setup did not finish within ${this.#options.setupTimeoutMs} ms (plugins.${key})`,
        );
      }
      hooks = checkHooks(r, name);
    } catch (err) {
      controller.abort();
      await this.close();
      if (err instanceof PluginError) throw err;
      throw new PluginError('PLUGIN_SETUP_FAILED', name, `setup failed (plugins.${key}): ${messageOf(err)}`, {
        cause: err,
      });
    }

    const p: Loaded = { name, key, logger, controller, hooks };
    this.#loaded.push(p);
    this.#info.push(Object.freeze({ name, key }));
    if (hooks.authenticate) this.#authenticate.push({ p, fn: hooks.authenticate.bind(hooks) });
    if (hooks.authorizeTopic) this.#authorizeTopic.push({ p, fn: hooks.authorizeTopic.bind(hooks) });
    if (hooks.authorizeClient) this.#authorizeClient.push({ p, fn: hooks.authorizeClient.bind(hooks) });
    const enhanced = hooks.enhancedAuth;
    if (enhanced !== undefined) {
      for (const method of enhanced.methods) {
        const owner = this.#enhancedAuth.get(method);
        if (owner !== undefined) {
          await this.close();
          throw new PluginError(
            'PLUGIN_SETUP_FAILED',
            name,
            `enhancedAuth method '${method}' is already handled by plugin '${owner.p.name}' (plugins.${key})`,
          );
        }
        this.#enhancedAuth.set(method, { p, step: enhanced.step.bind(enhanced) });
      }
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
    logger.debug({ key }, 'plugin set up');
  }

  async #closeAll(): Promise<void> {
    this.#closed = true;
    const loaded = this.#loaded;
    for (let i = loaded.length - 1; i >= 0; i--) (loaded[i] as Loaded).controller.abort();
    for (let i = loaded.length - 1; i >= 0; i--) {
      const p = loaded[i] as Loaded;
      const hooks = p.hooks;
      if (hooks.close === undefined) continue;
      try {
        const r = await withTimeout(call(() => hooks.close?.()), this.#hookTimeoutMs);
        if (r === TIMED_OUT) p.logger.warn({ timeoutMs: this.#hookTimeoutMs }, 'close did not finish in time; moving on');
      } catch (err) {
        p.logger.error({ err }, 'close failed');
      }
    }
  }

  /**
   * The combination loop. Hooks run one after the other in config order and stop at the first deny, so a
   * plugin after a denying one is never consulted, whether hooks are sync or async. The synchronous path
   * allocates nothing; the first promise hands over to #decideAsync.
   */
  #decide<R extends { readonly client: ClientInfo }>(
    hooks: readonly DecisionHook<R>[],
    request: R,
    hook: HookName,
  ): Decision | Promise<Decision> {
    let allowed = false;
    for (let i = 0; i < hooks.length; i++) {
      const h = hooks[i] as DecisionHook<R>;
      let d: unknown;
      try {
        d = h.fn(request);
      } catch (err) {
        return hookFailed(h.p, hook, request.client, err);
      }
      if (isThenable(d)) return this.#decideAsync(hooks, request, hook, i, d, allowed);
      const v = verdictOf(d);
      if (v === 'deny') return d as DenyDecision;
      if (v === 'allow') allowed = true;
      else if (v !== 'abstain') return invalidDecision(h.p, hook, request.client, d);
    }
    return allowed ? allow : NOBODY_ALLOWED;
  }

  async #decideAsync<R extends { readonly client: ClientInfo }>(
    hooks: readonly DecisionHook<R>[],
    request: R,
    hook: HookName,
    start: number,
    first: PromiseLike<unknown>,
    allowedSoFar: boolean,
  ): Promise<Decision> {
    let allowed = allowedSoFar;
    for (let i = start; i < hooks.length; i++) {
      const h = hooks[i] as DecisionHook<R>;
      let d: unknown;
      if (i === start) {
        d = await this.#settle(h.p, hook, request.client, first);
      } else {
        try {
          d = h.fn(request);
        } catch (err) {
          return hookFailed(h.p, hook, request.client, err);
        }
        if (isThenable(d)) d = await this.#settle(h.p, hook, request.client, d);
      }
      const v = verdictOf(d);
      if (v === 'deny') return d as DenyDecision;
      if (v === 'allow') allowed = true;
      else if (v !== 'abstain') return invalidDecision(h.p, hook, request.client, d);
    }
    return allowed ? allow : NOBODY_ALLOWED;
  }

  /** Awaits one async decision within the decision timeout; a timeout or rejection becomes a deny. */
  async #settle(p: Loaded, hook: HookName, client: ClientInfo, pending: PromiseLike<unknown>): Promise<unknown> {
    const timeoutMs = this.#options.decisionTimeoutMs;
    try {
      const r = await withTimeout(pending, timeoutMs);
      if (r !== TIMED_OUT) return r;
      p.logger.warn({ hook, clientId: client.clientId, timeoutMs }, `${hook} did not answer within ${timeoutMs} ms; denying`);
      return HOOK_TIMED_OUT;
    } catch (err) {
      return hookFailed(p, hook, client, err);
    }
  }
}

// ---- helpers ---------------------------------------------------------------------------------

function checkHooks(value: unknown, name: string): PluginHooks {
  // A setup with nothing to register may return nothing.
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object') {
    throw new PluginError('PLUGIN_SETUP_FAILED', name, `setup must return an object of hooks, got ${typeof value}`);
  }
  const hooks = value as Record<string, unknown>;
  for (const h of ['authenticate', 'authorizeTopic', 'authorizeClient', 'reload', 'close'] as const) {
    if (hooks[h] !== undefined && typeof hooks[h] !== 'function') {
      throw new PluginError('PLUGIN_SETUP_FAILED', name, `hook ${h} must be a function`);
    }
  }
  const enhanced = hooks.enhancedAuth;
  if (enhanced !== undefined) {
    const e: { methods?: unknown; step?: unknown } = typeof enhanced === 'object' && enhanced !== null ? enhanced : {};
    const methodsOk = Array.isArray(e.methods) && e.methods.length > 0 && e.methods.every((m) => typeof m === 'string' && m.length > 0);
    if (!methodsOk || typeof e.step !== 'function') {
      throw new PluginError('PLUGIN_SETUP_FAILED', name, '`enhancedAuth` must be { methods: one or more non-empty strings, step(request) }');
    }
  }
  const events = hooks.events;
  if (events !== undefined) {
    if (typeof events !== 'object' || events === null) {
      throw new PluginError('PLUGIN_SETUP_FAILED', name, '`events` must be an object of event handlers');
    }
    for (const [event, fn] of Object.entries(events)) {
      if (fn !== undefined && typeof fn !== 'function') {
        throw new PluginError('PLUGIN_SETUP_FAILED', name, `events['${event}'] must be a function`);
      }
    }
  }
  return value;
}

function lateClose(logger: Logger, late: unknown): void {
  if (typeof late !== 'object' || late === null) return;
  const hooks = late as PluginHooks;
  if (typeof hooks.close !== 'function') return;
  call(() => hooks.close?.()).then(undefined, (err: unknown) => logger.error({ err }, 'close after a timed-out setup failed'));
}

function hookFailed(p: Loaded, hook: HookName, client: ClientInfo, err: unknown): DenyDecision {
  // Fail closed: a broken auth plugin must not let clients in. The request itself is not logged (password).
  p.logger.error({ err, hook, clientId: client.clientId }, `${hook} failed; denying`);
  return HOOK_FAILED;
}

function invalidDecision(p: Loaded, hook: HookName, client: ClientInfo, value: unknown): DenyDecision {
  p.logger.error(
    { hook, clientId: client.clientId },
    `${hook} returned ${describe(value)} instead of allow, deny() or abstain; denying`,
  );
  return HOOK_FAILED;
}

function eventFailed(p: Loaded, event: string, err: unknown): void {
  p.logger.error({ err, event }, `handler for ${event} failed`);
}

/** An enhanced authentication step as the broker may act on it; anything else is logged and denies. */
function checkStep(p: Loaded, client: ClientInfo, d: unknown): EnhancedAuthStep {
  const v = verdictOf(d);
  if (v === 'challenge' || v === 'allow' || v === 'deny') {
    const { data, username } = d as { data?: unknown; username?: unknown };
    if ((data === undefined || Buffer.isBuffer(data)) && (username === undefined || typeof username === 'string')) return d as EnhancedAuthStep;
  }
  p.logger.error({ hook: 'enhancedAuth', clientId: client.clientId }, `enhancedAuth step returned ${describe(d)} instead of challenge(), allow/authenticated() or deny(); denying`);
  return HOOK_FAILED;
}

/** `authorizeClient` vetoes: "nobody allowed" (every hook abstained) admits; a real deny stays one. */
function vetoOnly(d: Decision): Decision {
  return d === NOBODY_ALLOWED ? allow : d;
}

function verdictOf(d: unknown): unknown {
  return typeof d === 'object' && d !== null ? (d as { verdict?: unknown }).verdict : undefined;
}

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as { then?: unknown }).then === 'function';
}

/** Runs `fn` and returns its result as a promise; async so a synchronous throw becomes a rejection. */
async function call<T>(fn: () => T | PromiseLike<T>): Promise<T> {
  return fn();
}

/** Settles with `promise`'s value, or TIMED_OUT after `ms` (no limit when ms is 0, negative or not finite). */
async function withTimeout<T>(promise: PromiseLike<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  if (!(ms > 0 && Number.isFinite(ms))) return promise;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(resolve, ms, TIMED_OUT);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(x: unknown): string {
  if (x === undefined || x === null) return String(x);
  if (typeof x === 'object') return `an object without a valid verdict (${String((x as { verdict?: unknown }).verdict)})`;
  return typeof x;
}
