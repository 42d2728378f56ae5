/**
 * Loading plugins, up to the hooks they return: resolve each entry (or take the plugin given in memory),
 * check it may run on this side, validate every plugin's config at once, then run one setup within its
 * timeout. The host (host.ts) calls these in order and keeps what they produce.
 */
import { formatPath } from '../config/issues.js';
import type { ConfigIssue, PluginEntry } from '../config/types.js';
import { ConfigError, PluginError } from '../errors.js';
import { messageOf } from '../error-message.js';
import type { Logger, MidgePlugin, PluginContext, ClientPluginContext, PluginHooks } from '../plugin-api/types.js';
import { checkPlugin, resolvePlugin } from './resolve.js';
import { call, TIMED_OUT, withTimeout } from './timeout.js';
import { checkNamesAndDependencies, validatePluginConfigs } from './validate.js';
import { packageVersionOf } from './package-version.js';

/** Which host loads the plugins: the broker's, or an MQTT client's. */
export type HostSide = 'broker' | 'client';

export interface LoadOptions {
  readonly side: HostSide;
  /** Folders packages are resolved from, in order. */
  readonly searchDirs: readonly string[];
  readonly logger: Logger;
  /** Plugins already in memory, by entry key: used instead of resolving. */
  readonly resolved?: ReadonlyMap<string, MidgePlugin>;
  /** Export conditions for package resolution (see ResolvePluginOptions). */
  readonly conditions?: readonly string[];
  /** The config file, named in ConfigError messages. */
  readonly configFile?: string;
}

/** A plugin named in a config that cannot be used, as a problem of that config (its code kept). */
export function pluginIssue(err: PluginError, key: string): ConfigIssue {
  return {
    path: formatPath(['plugins', key]),
    message: err.message.replace(`plugin ${err.plugin}: `, ''),
    code: err.code,
  };
}

/**
 * The plugins of `entries`, in order, each checked for this side, with their validated configs.
 *
 * @throws PluginError when a plugin given in memory (`options.resolved`) is not a plugin for this side.
 * @throws ConfigError with every problem of every plugin named by the config: not found, not loadable,
 *   not a plugin or made for the other side (each issue keeps its PluginError code in `code`; the first
 *   such error is the cause), config schema issues, options given to a plugin without a schema, duplicate
 *   names, dependencies missing or listed later. Issues carry the line and column of the config file
 *   when the entries came from one (PluginEntry.positions).
 */
export async function loadPlugins(
  entries: readonly PluginEntry[],
  options: LoadOptions,
): Promise<{ plugins: MidgePlugin[]; configs: unknown[]; versions: (string | null)[] }> {
  const plugins: (MidgePlugin | undefined)[] = [];
  /** Each plugin's npm package version (null: given in memory, loaded from a path, or not found). */
  const versions: (string | null)[] = [];
  const issues: ConfigIssue[] = [];
  let firstFailure: PluginError | undefined;
  for (const entry of entries) {
    const given = options.resolved?.get(entry.key);
    if (given !== undefined) {
      plugins.push(checkSide(checkPlugin(given, entry.key), entry.key, options.side));
      versions.push(null);
      continue;
    }
    // Every entry is tried, so a config with several wrong plugin names is fixed in one pass.
    try {
      const opts = options.conditions ? { conditions: options.conditions } : {};
      const resolved = await resolvePlugin(entry, options.searchDirs, opts);
      options.logger.debug({ key: entry.key, url: resolved.url }, 'plugin resolved');
      plugins.push(checkSide(resolved.plugin, entry.key, options.side));
      versions.push(packageVersionOf(resolved.url, entry.specifier));
    } catch (err) {
      if (!(err instanceof PluginError)) throw err;
      firstFailure ??= err;
      issues.push(pluginIssue(err, entry.key));
      plugins.push(undefined);
      versions.push(null);
    }
  }
  issues.push(...checkNamesAndDependencies(entries, plugins));
  const configs = await validatePluginConfigs(entries, plugins, issues);
  if (issues.length > 0) {
    const positions = entries.find((e) => e.positions !== undefined)?.positions;
    const located = positions === undefined ? issues : issues.map((i) => positions.annotate(i));
    throw new ConfigError(
      located,
      options.configFile,
      firstFailure === undefined ? undefined : { cause: firstFailure },
    );
  }
  return { plugins: plugins as MidgePlugin[], configs, versions };
}

/** `plugin` when it is made to run on `side` (its `runsIn`); a PluginError naming the fix otherwise. */
export function checkSide(plugin: MidgePlugin, key: string, side: HostSide): MidgePlugin {
  const runsIn = plugin.runsIn ?? 'broker';
  if (runsIn === 'both' || runsIn === side) return plugin;
  const message =
    side === 'broker'
      ? "runs in MQTT clients only (runsIn: 'client'): list it under a client config's plugins:"
      : "is a broker plugin: an MQTT client runs only plugins defined with runsIn: 'client' or 'both'";
  throw new PluginError('PLUGIN_INVALID', key, message);
}

export interface SetupOptions {
  readonly key: string;
  /** Milliseconds the setup may take; 0 or Infinity = no limit. */
  readonly timeoutMs: number;
  /** Aborted here when the setup times out (the plugin's `ctx.signal`). */
  readonly controller: AbortController;
}

/**
 * Runs `plugin.setup(ctx, config)` within the timeout and checks what it returns.
 *
 * @throws PluginError `PLUGIN_SETUP_TIMEOUT`, or `PLUGIN_SETUP_FAILED` (setup threw, rejected, or returned
 *   something that is not hooks).
 */
export async function setUp(
  plugin: MidgePlugin,
  ctx: PluginContext | ClientPluginContext,
  config: unknown,
  options: SetupOptions,
): Promise<PluginHooks> {
  const { name } = plugin;
  const { key, timeoutMs, controller } = options;
  // checkSide made sure `ctx` is the context this plugin's `runsIn` expects.
  const pending = call(() => plugin.setup(ctx, config));
  try {
    const r = await withTimeout(pending, timeoutMs);
    if (r !== TIMED_OUT) return checkHooks(r, name);
  } catch (err) {
    if (err instanceof PluginError) throw err;
    throw new PluginError(
      'PLUGIN_SETUP_FAILED',
      name,
      `setup failed (${formatPath(['plugins', key])}): ${messageOf(err)}`,
      {
        cause: err,
      },
    );
  }
  controller.abort();
  // The setup may still finish; close what it built so a late plugin does not leak its resources.
  pending.then(
    (late) => lateClose(ctx.logger, late),
    () => undefined,
  );
  throw new PluginError(
    'PLUGIN_SETUP_TIMEOUT',
    name,
    `setup did not finish within ${timeoutMs} ms (${formatPath(['plugins', key])})`,
  );
}

const FUNCTION_HOOKS = [
  'authenticate',
  'authorizeTopic',
  'vetoTopic',
  'authorizeClient',
  'claimSession',
  'takesSharedSubscriptions',
  'keepRestoredWill',
  'reload',
  'close',
] as const;

/** What a setup returned, as hooks the host can register; a PluginError `PLUGIN_SETUP_FAILED` otherwise. */
export function checkHooks(value: unknown, name: string): PluginHooks {
  // A setup with nothing to register may return nothing.
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object') {
    throw new PluginError('PLUGIN_SETUP_FAILED', name, `setup must return an object of hooks, got ${typeof value}`);
  }
  const hooks = value as Record<string, unknown>;
  for (const h of FUNCTION_HOOKS) {
    if (hooks[h] !== undefined && typeof hooks[h] !== 'function') {
      throw new PluginError('PLUGIN_SETUP_FAILED', name, `hook ${h} must be a function`);
    }
  }
  const enhanced = hooks.enhancedAuth;
  if (enhanced !== undefined) {
    const e: { methods?: unknown; step?: unknown } = typeof enhanced === 'object' && enhanced !== null ? enhanced : {};
    const methodsOk =
      Array.isArray(e.methods) && e.methods.length > 0 && e.methods.every((m) => typeof m === 'string' && m.length > 0);
    if (!methodsOk || typeof e.step !== 'function') {
      throw new PluginError(
        'PLUGIN_SETUP_FAILED',
        name,
        '`enhancedAuth` must be { methods: one or more non-empty strings, step(request) }',
      );
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
  call(() => hooks.close?.()).then(undefined, (err: unknown) =>
    logger.error({ err }, 'close after a timed-out setup failed'),
  );
}
