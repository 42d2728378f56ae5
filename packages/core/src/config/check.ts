/**
 * Checking a config without running it (`midge --check`): load and validate it, then resolve every
 * plugin, validate every plugin's options and run the plugins' own checks (the files they read), then
 * read the TLS files of every listener as start would (certificate and key parsed and matched, CA
 * certificates parsed) and whether `log.file` can be opened, then check the store of `persistence:` (its data directory writable, its module
 * loaded, an existing store opened read-only), collecting every problem instead of stopping at the first.
 * Nothing is set up, created or written, and no port is opened.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { translateAmqtt } from './amqtt-compat.js';
import { loadConfig, parseConfigYamlWithPositions, type ConfigOverrides } from './load.js';
import type { ConfigPositions } from './positions.js';
import { CONFIG_DEFAULTS } from './schema.js';
import { checkLogFile } from './log-file.js';
import { checkTlsMaterial } from './tls-material.js';
import type { BrokerConfig, ConfigDeprecation, ConfigIssue, ConfigWarning, PluginEntry } from './types.js';
import { ConfigError, PluginError } from '../errors.js';
import type { MidgePlugin } from '../plugin-api/types.js';
import { pluginIssue } from '../plugin-host/load.js';
import { runPluginChecks } from '../plugin-host/check.js';
import { checkNamesAndDependencies, validatePluginConfigs } from '../plugin-host/validate.js';
import { resolvePlugin } from '../plugin-host/resolve.js';
import { checkPersistence } from '../persistence/check.js';

export interface CheckConfigOptions {
  /** Folders plugin and store packages are resolved from, as for createBroker (default: the config file's folder). */
  readonly searchDirs?: readonly string[];
  /** As for loadConfig (e.g. command-line flags). */
  readonly overrides?: ConfigOverrides;
  /** Folder relative paths start from, for an in-memory config (default process.cwd()). */
  readonly configDir?: string;
  /**
   * false: the store of `persistence:` is not checked (a config reload: the running broker holds it open,
   * and a change of store needs a restart anyway). Default true.
   */
  readonly store?: boolean;
}

export interface ConfigCheckResult {
  /** True when there is no issue (deprecations are only warnings). */
  readonly ok: boolean;
  /** The config file (absolute), when checking a file. */
  readonly file: string | undefined;
  /**
   * Every problem found: config keys first (the listeners' TLS files included), then plugins
   * (`plugins.'<key>'...`, their own checks included), then `persistence.*`; each with the line and column
   * of its path in the file when known.
   */
  readonly issues: readonly ConfigIssue[];
  readonly deprecations: readonly ConfigDeprecation[];
  /**
   * Valid settings that are probably not meant (a wss listener requiring client certificates), and the
   * warnings of plugins' checks: printed, but `ok` stays true.
   */
  readonly warnings: readonly ConfigWarning[];
  /** The loaded config, when the config itself is valid (its plugins may still have issues). */
  readonly config?: BrokerConfig;
}

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Loads `source` like createBroker does and checks its plugins. Never throws for a bad config: see `issues`. */
export async function checkConfig(
  source: string | object,
  options: CheckConfigOptions = {},
): Promise<ConfigCheckResult> {
  const file = typeof source === 'string' ? resolve(source) : undefined;
  const loadOptions = {
    ...(options.overrides !== undefined ? { overrides: options.overrides } : {}),
    ...(options.configDir !== undefined ? { configDir: options.configDir } : {}),
  };
  let config: BrokerConfig | undefined;
  let deprecations: readonly ConfigDeprecation[];
  const warnings: ConfigWarning[] = [];
  const issues: ConfigIssue[] = [];
  let entries: PluginEntry[];
  let positions: ConfigPositions | undefined;
  try {
    const loaded = await loadConfig(source, loadOptions);
    config = loaded.config;
    deprecations = loaded.deprecations;
    warnings.push(...loaded.warnings);
    positions = loaded.positions;
    entries = [...config.plugins];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues.push(...err.issues);
    // The plugins are still worth checking when some other key is wrong.
    const raw = await rawPluginEntries(source);
    entries = raw.entries;
    deprecations = raw.deprecations;
    positions = raw.positions;
  }

  // The loader found the listeners' TLS files; what start would still refuse in them comes next to its problems.
  if (config !== undefined) issues.push(...(await checkTlsMaterial(config.listeners)), ...(await checkLogFile(config)));

  const configDir =
    config?.config_dir ?? (file !== undefined ? resolve(file, '..') : resolve(options.configDir ?? process.cwd()));
  const searchDirs = options.searchDirs ?? [configDir];
  const resolved: (MidgePlugin | undefined)[] = [];
  for (const entry of entries) {
    try {
      resolved.push((await resolvePlugin(entry, searchDirs)).plugin);
    } catch (err) {
      if (!(err instanceof PluginError)) throw err;
      issues.push(pluginIssue(err, entry.key));
      resolved.push(undefined);
    }
  }
  issues.push(...checkNamesAndDependencies(entries, resolved));
  const configs = await validatePluginConfigs(entries, resolved, issues);
  const checked = await runPluginChecks(entries, resolved, configs, {
    configDir,
    timeoutMs: config?.plugin_setup_timeout ?? CONFIG_DEFAULTS.plugin_setup_timeout,
  });
  warnings.push(...checked.warnings);
  issues.push(...checked.issues);
  if (config !== undefined && options.store !== false) issues.push(...(await checkPersistence(config, { searchDirs })));
  const locate = <T extends ConfigIssue>(i: T): T => (positions === undefined ? i : positions.annotate(i));
  return {
    ok: issues.length === 0,
    file,
    issues: issues.map(locate),
    deprecations,
    warnings: warnings.map(locate),
    ...(config !== undefined ? { config } : {}),
  };
}

/** The plugin entries of a config the loader rejected, read as leniently as possible (none if unreadable). */
async function rawPluginEntries(
  source: string | object,
): Promise<{ entries: PluginEntry[]; deprecations: ConfigDeprecation[]; positions?: ConfigPositions }> {
  let raw: unknown = source;
  let parsedPositions: ConfigPositions | undefined;
  try {
    if (typeof source === 'string') {
      const parsed = parseConfigYamlWithPositions(await readFile(source, 'utf8'), resolve(source));
      raw = parsed.config;
      parsedPositions = parsed.positions;
    }
  } catch {
    return { entries: [], deprecations: [] };
  }
  const translated = translateAmqtt(raw);
  const positions = parsedPositions?.withRenames(translated.renames);
  const plugins = isMapping(translated.config) ? translated.config.plugins : undefined;
  const entries: PluginEntry[] = [];
  if (isMapping(plugins)) {
    for (const [key, value] of Object.entries(plugins)) {
      // A section that is not a mapping was reported by the loader; its options cannot be checked.
      if (key === '' || (value !== null && value !== undefined && !isMapping(value))) continue;
      entries.push({ key, specifier: key, config: isMapping(value) ? value : {} });
    }
  }
  return {
    entries,
    deprecations:
      positions === undefined ? translated.deprecations : translated.deprecations.map((d) => positions.annotate(d)),
    ...(positions !== undefined ? { positions } : {}),
  };
}
