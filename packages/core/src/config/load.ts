/**
 * Loading a broker config: read → YAML → aMQTT translation → overrides → validation → BrokerConfig.
 * Every problem is collected and thrown as one ConfigError, so a user fixes a config in one pass.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { CORE_SCHEMA, YAMLException, constructFromEvents, mergeTag, parseEvents } from 'js-yaml';
import * as v from 'valibot';
import { ConfigError } from '../errors.js';
import { translateAmqtt } from './amqtt-compat.js';
import { describeValue, formatPath, fromValibotIssues } from './issues.js';
import type { ConfigPositions } from './positions.js';
import { yamlPositions } from './positions.js';
import { checkListenerFiles, osReason, resolveListeners } from './listeners.js';
import { brokerConfigSchema, knownKeysAt, type ConfigInput } from './schema.js';
import type {
  BrokerConfig,
  ConfigDeprecation,
  ConfigIssue,
  ConfigWarning,
  LogConfig,
  PersistenceConfig,
  PluginEntry,
} from './types.js';

/**
 * Replaces top-level keys of the file (our spelling), e.g. from command-line flags. `listeners` and
 * `plugins` merge per name (and a listener's keys one by one), `persistence` key by key when both are
 * mappings; everything is validated like the file. Relative paths start at the config's folder.
 */
export type ConfigOverrides = Partial<ConfigInput>;

export interface LoadConfigOptions {
  readonly overrides?: ConfigOverrides;
  /** Folder relative paths start from, for an in-memory config (default process.cwd()). */
  readonly configDir?: string;
}

export interface LoadedConfig {
  readonly config: BrokerConfig;
  /** Old spellings that were translated: print them as warnings (formatConfigIssues). */
  readonly deprecations: ConfigDeprecation[];
  /** Valid settings that are probably not meant (a wss listener requiring client certificates): print them too. */
  readonly warnings: ConfigWarning[];
  /** Where the file wrote each key (absent for a config given in memory). */
  readonly positions?: ConfigPositions;
}

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// YAML 1.2 core schema plus merge keys (`<<: *base`), which PyYAML, and so aMQTT users, have.
const YAML_SCHEMA = CORE_SCHEMA.withTags(mergeTag);

/**
 * Parses the text of a YAML config into a plain mapping (nothing validated). An empty document is an
 * empty config. Syntax errors throw a ConfigError giving the line and column.
 */
export function parseConfigYaml(text: string, file?: string): Mapping {
  return parseConfigYamlWithPositions(text, file).config;
}

/** parseConfigYaml, and where each key was written (for the line and column of every problem). */
export function parseConfigYamlWithPositions(
  text: string,
  file?: string,
): { config: Mapping; positions: ConfigPositions } {
  let docs: unknown[];
  let positions: ConfigPositions;
  try {
    const options = file === undefined ? {} : { filename: file };
    const events = parseEvents(text, options);
    docs = constructFromEvents(events, { source: text, schema: YAML_SCHEMA, ...options });
    positions = yamlPositions(text, events);
  } catch (err) {
    if (err instanceof YAMLException) {
      const at = err.mark === undefined ? {} : { line: err.mark.line + 1, column: err.mark.column + 1 };
      throw new ConfigError([{ path: '', message: `YAML syntax error: ${err.reason}`, ...at }], file, { cause: err });
    }
    throw err;
  }
  if (docs.length > 1) {
    throw new ConfigError(
      [{ path: '', message: `expected one YAML document, found ${docs.length} (remove the extra '---')` }],
      file,
    );
  }
  const doc = docs[0];
  if (doc === undefined || doc === null) return { config: {}, positions };
  if (!isMapping(doc)) {
    throw new ConfigError([{ path: '', message: `expected a mapping of settings, got ${describeValue(doc)}` }], file);
  }
  return { config: doc, positions };
}

async function readConfigFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const reason = osReason(err as NodeJS.ErrnoException);
    throw new ConfigError([{ path: '', message: `cannot read the config file: ${reason}` }], file, { cause: err });
  }
}

/**
 * valibot's object and record schemas accept arrays (as objects keyed '0', '1'...), which would report a
 * list given for a mapping as odd unknown keys. Report it plainly instead, and leave the value out so
 * the rest of the config is still checked.
 */
function rejectLists(config: Mapping): { config: Mapping; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const out: Mapping = { ...config };
  const list = (path: string, what: string): void => {
    issues.push({ path, message: `expected ${what}, got a list` });
  };
  if (Array.isArray(out.listeners)) {
    list('listeners', 'a mapping of listener name to settings');
    delete out.listeners;
  } else if (isMapping(out.listeners)) {
    const listeners: Mapping = {};
    for (const [name, l] of Object.entries(out.listeners)) {
      if (Array.isArray(l)) list(formatPath(['listeners', name]), 'a mapping of listener settings');
      else listeners[name] = l;
    }
    out.listeners = listeners;
  }
  if (Array.isArray(out.plugins)) {
    list('plugins', 'a mapping of plugin package name to options');
    delete out.plugins;
  } else if (isMapping(out.plugins)) {
    const plugins: Mapping = {};
    for (const [key, options] of Object.entries(out.plugins)) {
      if (Array.isArray(options)) list(formatPath(['plugins', key]), 'a mapping of plugin options (or nothing)');
      plugins[key] = Array.isArray(options) ? null : options;
    }
    out.plugins = plugins;
  }
  if (Array.isArray(out.persistence)) {
    list('persistence', 'a mapping of persistence settings (or false)');
    delete out.persistence;
  }
  return { config: out, issues };
}

/** `sync:` with nothing after it means "not set" inside `persistence:`, as it does at the top and in listeners. */
function dropUnsetPersistenceKeys(config: Mapping): Mapping {
  const section = config.persistence;
  if (!isMapping(section)) return config;
  return { ...config, persistence: Object.fromEntries(Object.entries(section).filter(([, value]) => value !== null)) };
}

function applyOverrides(config: Mapping, overrides: ConfigOverrides | undefined): Mapping {
  if (overrides === undefined) return config;
  const out: Mapping = { ...config };
  for (const [key, value] of Object.entries(overrides as Mapping)) {
    if (value === undefined) continue;
    const current = out[key];
    if (key === 'listeners' && isMapping(value) && isMapping(current)) {
      const merged: Mapping = { ...current };
      for (const [name, listener] of Object.entries(value)) {
        const existing = merged[name];
        merged[name] = isMapping(listener) && isMapping(existing) ? { ...existing, ...listener } : listener;
      }
      out[key] = merged;
    } else if ((key === 'plugins' || key === 'persistence') && isMapping(value) && isMapping(current)) {
      out[key] = { ...current, ...value };
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** The paths whose values `overrides` sets, as applyOverrides merges them (listeners key by key...). */
function overriddenPaths(overrides: ConfigOverrides | undefined): (readonly (string | number)[])[] {
  const paths: (readonly (string | number)[])[] = [];
  for (const [key, value] of Object.entries((overrides ?? {}) as Mapping)) {
    if (value === undefined) continue;
    if (key === 'listeners' && isMapping(value)) {
      for (const [name, listener] of Object.entries(value)) {
        if (isMapping(listener)) for (const k of Object.keys(listener)) paths.push([key, name, k]);
        else paths.push([key, name]);
      }
    } else if ((key === 'plugins' || key === 'persistence') && isMapping(value)) {
      for (const k of Object.keys(value)) paths.push([key, k]);
    } else {
      paths.push([key]);
    }
  }
  return paths;
}

/**
 * Loads a broker config. A string is a file path (relative paths inside it start from its folder); an
 * object is a config already in memory. aMQTT configs are accepted and translated (see deprecations).
 * Throws a ConfigError listing every problem found, one `file: path: message` line each.
 */
export async function loadConfig(source: string | object, options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  let raw: unknown;
  let file: string | undefined;
  let configDir: string;
  let parsedPositions: ConfigPositions | undefined;
  if (typeof source === 'string') {
    file = resolve(source);
    configDir = dirname(file);
    const parsedFile = parseConfigYamlWithPositions(await readConfigFile(file), file);
    raw = parsedFile.config;
    parsedPositions = parsedFile.positions;
  } else {
    raw = source;
    configDir = resolve(options.configDir ?? process.cwd());
  }

  if (!isMapping(raw)) {
    throw new ConfigError([{ path: '', message: `expected a mapping of settings, got ${describeValue(raw)}` }], file);
  }
  const translated = translateAmqtt(raw);
  const positions = parsedPositions?.withRenames(translated.renames).withoutPaths(overriddenPaths(options.overrides));
  const locate = <T extends ConfigIssue>(issue: T): T => positions?.annotate(issue) ?? issue;
  // A mapping in gives a mapping out.
  const shaped = rejectLists(applyOverrides(dropUnsetPersistenceKeys(translated.config as Mapping), options.overrides));
  const config = shaped.config;
  const issues: ConfigIssue[] = [...translated.issues, ...shaped.issues];

  const parsed = v.safeParse(brokerConfigSchema, config, { abortPipeEarly: true });
  if (!parsed.success) issues.push(...fromValibotIssues(parsed.issues, knownKeysAt));

  const listeners = resolveListeners(config.listeners, configDir);
  issues.push(...listeners.issues);
  issues.push(...(await checkListenerFiles(listeners.listeners)));

  if (issues.length > 0 || !parsed.success) throw new ConfigError(issues.map(locate), file);

  const { listeners: _raw, plugins, persistence, log, ...limits } = parsed.output;
  const pluginEntries: PluginEntry[] = Object.entries(plugins ?? {}).map(([key, options]) => ({
    key,
    specifier: key,
    config: options ?? {},
    ...(positions !== undefined ? { positions } : {}),
  }));
  return {
    config: {
      ...limits,
      listeners: listeners.listeners,
      plugins: pluginEntries,
      ...(persistence !== undefined && persistence !== false
        ? { persistence: persistenceConfig(persistence, configDir) }
        : {}),
      ...(log !== undefined ? { log: logConfig(log, configDir) } : {}),
      config_dir: configDir,
      ...(file !== undefined ? { config_file: file } : {}),
    },
    deprecations: translated.deprecations.map(locate),
    warnings: listeners.warnings.map(locate),
    ...(positions !== undefined ? { positions } : {}),
  };
}

/** The validated `log:` mapping without its unset keys, its file made absolute. */
function logConfig(
  parsed: {
    file?: string | undefined;
    level?: LogConfig['level'] | undefined;
    format?: LogConfig['format'] | undefined;
  },
  configDir: string,
): LogConfig {
  return {
    ...(parsed.file !== undefined ? { file: resolve(configDir, parsed.file) } : {}),
    ...(parsed.level !== undefined ? { level: parsed.level } : {}),
    ...(parsed.format !== undefined ? { format: parsed.format } : {}),
  };
}

/** The validated `persistence:` mapping with its data directory made absolute. */
function persistenceConfig(parsed: PersistenceConfig, configDir: string): PersistenceConfig {
  return {
    path: isAbsolute(parsed.path) ? parsed.path : resolve(configDir, parsed.path),
    sync: parsed.sync,
    store: parsed.store,
  };
}
