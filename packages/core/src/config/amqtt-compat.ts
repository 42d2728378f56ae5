/**
 * aMQTT config → Midge config, before validation. aMQTT users keep their YAML: old spellings are translated
 * and each translation is reported as a deprecation naming the new spelling, so the warning doubles as the
 * migration guide. What cannot be translated is an issue, never silently dropped.
 */
import { defaultPluginMap } from './defaults.js';
import { describeValue, formatPath, type PathSegment } from './issues.js';
import { CONFIG_KEYS, LISTENER_KEYS, isFlag, toFlag } from './schema.js';
import type { ConfigDeprecation, ConfigIssue } from './types.js';

/** Our first-party plugin packages. */
export const PLUGIN_PACKAGES = {
  eventLogger: '@midge/plugin-logging/event-logger',
  packetLogger: '@midge/plugin-logging/packet-logger',
  authAnonymous: '@midge/plugin-auth-anonymous',
  authFile: '@midge/plugin-auth-file',
  topicTaboo: '@midge/plugin-topic-taboo',
  topicAcl: '@midge/plugin-topic-acl',
  sys: '@midge/plugin-sys',
} as const;

const P = PLUGIN_PACKAGES;

/** aMQTT's dotted class names (its current `plugins:` keys) → our packages. */
export const AMQTT_CLASS_NAMES: Readonly<Record<string, string>> = {
  'amqtt.plugins.logging_amqtt.EventLoggerPlugin': P.eventLogger,
  'amqtt.plugins.logging_amqtt.PacketLoggerPlugin': P.packetLogger,
  'amqtt.plugins.authentication.AnonymousAuthPlugin': P.authAnonymous,
  'amqtt.plugins.authentication.FileAuthPlugin': P.authFile,
  'amqtt.plugins.topic_checking.TopicTabooPlugin': P.topicTaboo,
  'amqtt.plugins.topic_checking.TopicAccessControlListPlugin': P.topicAcl,
  'amqtt.plugins.sys.broker.BrokerSysPlugin': P.sys,
};

/** aMQTT's old entry-point names (`amqtt.broker.plugins`, used by `auth.plugins` and friends) → our packages. */
export const AMQTT_ENTRY_POINT_NAMES: Readonly<Record<string, string>> = {
  event_logger_plugin: P.eventLogger,
  packet_logger_plugin: P.packetLogger,
  auth_anonymous: P.authAnonymous,
  auth_file: P.authFile,
  topic_taboo: P.topicTaboo,
  topic_acl: P.topicAcl,
  broker_sys: P.sys,
};

/** Our package for an aMQTT plugin name (class or entry point), or undefined for anything else. */
export function mapAmqttPluginName(name: string): string | undefined {
  return Object.hasOwn(AMQTT_CLASS_NAMES, name)
    ? AMQTT_CLASS_NAMES[name]
    : Object.hasOwn(AMQTT_ENTRY_POINT_NAMES, name)
      ? AMQTT_ENTRY_POINT_NAMES[name]
      : undefined;
}

export interface AmqttTranslation {
  /** The config in our spelling, still unvalidated (a non-mapping input is returned as is). */
  readonly config: unknown;
  readonly deprecations: ConfigDeprecation[];
  /** What could not be translated (e.g. `cadata`, conflicting spellings). */
  readonly issues: ConfigIssue[];
  /**
   * Paths of the translated config (formatPath) → the path the user wrote for them, where they differ
   * (`plugins.'@midge/plugin-auth-file'` → `auth`), so problems found later point at the file's lines.
   */
  readonly renames: ReadonlyMap<string, readonly PathSegment[]>;
}

type Mapping = Record<string, unknown>;
type PluginMap = Record<string, Mapping | null>;

function isMapping(value: unknown): value is Mapping {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Top-level keys aMQTT has that the schema does not: translated or dropped below.
const LEGACY_TOP_KEYS = ['auth', 'topic_check', 'sys_interval', 'qos1_puback_timeout'];

// aMQTT listener keys we do not implement, with what to do instead. Refused rather than ignored: each
// changes how clients connect, so running without it would not be the server the user configured.
const UNSUPPORTED_LISTENER_KEYS: Readonly<Record<string, string>> = {
  cadata: "inline certificates are not supported: save them to a PEM file and set 'cafile'",
  reader: "custom stream adapters are not supported: Midge listeners are 'tcp' or 'ws'",
  writer: "custom stream adapters are not supported: Midge listeners are 'tcp' or 'ws'",
};

const AUTH_KEYS = ['plugins', 'allow_anonymous', 'password_file'];
const ACL_KEYS = ['acl', 'publish_acl', 'subscribe_acl', 'receive_acl'];
const TOPIC_CHECK_KEYS = ['enabled', 'plugins', ...ACL_KEYS];

const kebabToSnake = (key: string): string => key.replace(/-/g, '_');

/** Flow-style YAML for deprecation messages, e.g. `{ '@midge/plugin-sys': { sys_interval: 20 } }`. */
export function renderFlow(value: unknown, quoteKeys = false): string {
  if (value === null || value === undefined) return '{}';
  if (Array.isArray(value)) return `[${value.map((item) => renderFlow(item)).join(', ')}]`;
  if (isMapping(value)) {
    const parts = Object.entries(value).map(([k, v]) => {
      const key = quoteKeys || !/^[\w-]+$/.test(k) ? quote(k) : k;
      return `${key}: ${renderFlow(v)}`;
    });
    return parts.length === 0 ? '{}' : `{ ${parts.join(', ')} }`;
  }
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return typeof value;
}

function quote(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

class Translator {
  readonly deprecations: ConfigDeprecation[] = [];
  readonly issues: ConfigIssue[] = [];
  readonly renames = new Map<string, readonly PathSegment[]>();

  /** Records that `translated` was written as `written` (the first record of a path wins). */
  renamed(translated: readonly PathSegment[], written: readonly PathSegment[]): void {
    const key = formatPath(translated);
    if (key !== formatPath(written) && !this.renames.has(key)) this.renames.set(key, written);
  }

  deprecate(path: readonly PathSegment[], message: string): void {
    this.deprecations.push({ path: formatPath(path), message });
  }

  issue(path: readonly PathSegment[], message: string): void {
    this.issues.push({ path: formatPath(path), message });
  }

  /**
   * Renames kebab-case keys of one mapping to snake_case, in place order. `known` limits renaming to keys
   * that exist in snake_case, so an unknown 'foo-bar' is reported as written. `spelled` records the key
   * as the user wrote it, for paths in later messages. `translatedPath` is the mapping's path after
   * translation, when it differs from `path` (its renamed keys are recorded from there).
   */
  snakeKeys(
    obj: Mapping,
    path: readonly PathSegment[],
    options: { known?: readonly string[]; quiet?: readonly string[]; translatedPath?: readonly PathSegment[] } = {},
  ): { out: Mapping; spelled: Map<string, string> } {
    const out: Mapping = {};
    const spelled = new Map<string, string>();
    for (const [key, value] of Object.entries(obj)) {
      const snake = kebabToSnake(key);
      if (snake === key || (options.known !== undefined && !options.known.includes(snake))) {
        if (!Object.hasOwn(out, key)) {
          out[key] = value;
          spelled.set(key, key);
        }
        continue;
      }
      if (Object.hasOwn(obj, snake)) {
        this.issue([...path, key], `'${key}' and '${snake}' are the same setting: keep only '${snake}'`);
        continue;
      }
      out[snake] = value;
      spelled.set(snake, key);
      this.renamed([...(options.translatedPath ?? path), snake], [...path, key]);
      if (!options.quiet?.includes(key)) this.deprecate([...path, key], `'${key}' is deprecated: use '${snake}'`);
    }
    return { out, spelled };
  }

  translate(raw: Mapping): Mapping {
    const { out: top, spelled } = this.snakeKeys(raw, [], {
      known: [...CONFIG_KEYS, ...LEGACY_TOP_KEYS],
      // 'topic-check' gets one deprecation for the whole section below.
      quiet: ['topic-check'],
    });
    const at = (key: string): string => spelled.get(key) ?? key;

    // YAML `key:` with nothing after it is null: aMQTT treats such keys as unset, and so do we.
    for (const key of Object.keys(top)) if (top[key] === null) delete top[key];

    if (top.listeners !== undefined) top.listeners = this.listeners(top.listeners, [at('listeners')]);

    const plugins = this.plugins(top, at);

    if (top.qos1_puback_timeout !== undefined) {
      this.deprecate(
        [at('qos1_puback_timeout')],
        `'${at('qos1_puback_timeout')}' is ignored: Midge redelivers unacknowledged QoS 1 messages when the client reconnects, as MQTT requires; remove it`,
      );
    }

    const result: Mapping = {};
    for (const [key, value] of Object.entries(top)) {
      if (LEGACY_TOP_KEYS.includes(key)) continue;
      result[key] = key === 'plugins' ? plugins : value;
    }
    if (plugins !== undefined && !('plugins' in result)) result.plugins = plugins;
    return result;
  }

  listeners(section: unknown, path: readonly PathSegment[]): unknown {
    if (!isMapping(section)) return section;
    const out: Mapping = {};
    for (const [name, listener] of Object.entries(section)) {
      const lpath = [...path, name];
      // `other:` with nothing under it: a listener that inherits everything from `default`.
      if (listener === null) {
        out[name] = {};
        continue;
      }
      if (!isMapping(listener)) {
        out[name] = listener;
        continue;
      }
      const { out: l, spelled } = this.snakeKeys(listener, lpath, {
        known: [...LISTENER_KEYS, ...Object.keys(UNSUPPORTED_LISTENER_KEYS)],
      });
      for (const key of Object.keys(l)) {
        // aMQTT's ListenerConfig fields are Optional: null means "not set" (inherit from default).
        const unsupported = Object.hasOwn(UNSUPPORTED_LISTENER_KEYS, key) ? UNSUPPORTED_LISTENER_KEYS[key] : undefined;
        if (l[key] === null) delete l[key];
        else if (unsupported !== undefined) {
          this.issue([...lpath, spelled.get(key) ?? key], unsupported);
          delete l[key];
        }
      }
      // hbmqtt spelled "unlimited" as -1 (its default); we use 0, as aMQTT does today.
      if (typeof l.max_connections === 'number' && Number.isInteger(l.max_connections) && l.max_connections < 0) {
        this.deprecate(
          [...lpath, spelled.get('max_connections') ?? 'max_connections'],
          `max_connections: ${l.max_connections} is deprecated: use 0 for unlimited`,
        );
        l.max_connections = 0;
      }
      out[name] = l;
    }
    return out;
  }

  /** Builds the final `plugins:` map: the file's own (translated), the legacy sections, or the defaults. */
  plugins(top: Mapping, at: (key: string) => string): unknown {
    let map: PluginMap | undefined;
    const ppath = [at('plugins')];
    const given = top.plugins;
    if (Array.isArray(given)) {
      map = this.renamePlugins(this.pluginList(given, ppath), ppath);
      this.deprecate(
        ppath,
        `'plugins' as a list is deprecated: use a mapping of plugin to options, e.g. plugins: ${renderFlow(map, true)}`,
      );
    } else if (isMapping(given)) {
      map = this.renamePlugins(given as PluginMap, ppath);
    } else if (given !== undefined) {
      // Not translatable: let the schema report it, and add nothing the user did not ask for.
      return given;
    }

    const explicit = map !== undefined;
    const legacy = !explicit && (top.auth !== undefined || top.topic_check !== undefined);
    let fromDefaults = false;
    let plugins: PluginMap;
    if (map !== undefined) plugins = map;
    else if (legacy) {
      // aMQTT's entry-point loading always ran both loggers; only auth, topic and $SYS plugins were chosen.
      plugins = { [P.eventLogger]: null, [P.packetLogger]: null };
    } else {
      plugins = defaultPluginMap();
      fromDefaults = true;
    }

    if (top.auth !== undefined) this.auth(top.auth, [at('auth')], plugins, explicit);
    // Entry-point aMQTT with no auth section ran every auth plugin, and anonymous auth let everyone in.
    else if (legacy) plugins[P.authAnonymous] = null;
    if (top.topic_check !== undefined) this.topicCheck(top.topic_check, [at('topic_check')], plugins);
    if (top.sys_interval !== undefined)
      this.sysInterval(top.sys_interval, [at('sys_interval')], plugins, explicit, fromDefaults);
    return plugins;
  }

  pluginList(list: unknown[], path: readonly PathSegment[]): PluginMap {
    const map: PluginMap = {};
    list.forEach((item, i) => {
      if (typeof item === 'string') {
        map[item] = null;
        this.renamed([...path, item], [...path, i]);
      } else if (isMapping(item)) {
        Object.assign(map, item);
        for (const key of Object.keys(item)) this.renamed([...path, key], [...path, i, key]);
      } else
        this.issue(
          [...path, i],
          `expected a plugin name or a mapping of plugin to options, got ${describeValue(item)}`,
        );
    });
    return map;
  }

  /** aMQTT names → our packages, and kebab-case first-level options → snake_case. */
  renamePlugins(map: PluginMap, path: readonly PathSegment[]): PluginMap {
    const out: PluginMap = {};
    const writtenAs = new Map<string, string>();
    for (const [key, value] of Object.entries(map)) {
      const target = mapAmqttPluginName(key) ?? key;
      if (target !== key) {
        const kind = Object.hasOwn(AMQTT_CLASS_NAMES, key)
          ? "aMQTT's class name"
          : "aMQTT's deprecated entry-point name";
        this.deprecate([...path, key], `'${key}' is ${kind}: use '${target}'`);
      }
      const previous = writtenAs.get(target);
      if (previous !== undefined) {
        this.issue([...path, key], `'${key}' and '${previous}' both configure ${target}: keep one`);
        continue;
      }
      writtenAs.set(target, key);
      // The key may itself stand for a list item (plugins as a list): the rename goes through it.
      this.renamed([...path, target], this.writtenPath([...path, key]));
      out[target] = isMapping(value) ? this.pluginOptions(target, value, [...path, key], [...path, target]) : value;
    }
    return out;
  }

  /** A translated path as the user wrote it, through the renames recorded so far. */
  writtenPath(path: readonly PathSegment[]): readonly PathSegment[] {
    return this.renames.get(formatPath(path)) ?? path;
  }

  pluginOptions(
    pkg: string,
    options: Mapping,
    path: readonly PathSegment[],
    translatedPath: readonly PathSegment[],
  ): Mapping {
    // Only the first level: deeper keys are data (ACL maps are keyed by user names) and stay as written.
    const { out } = this.snakeKeys(options, this.writtenPath(path), { translatedPath });
    if (pkg === P.authAnonymous) this.coerceFlag(out, 'allow_anonymous', path);
    return out;
  }

  /** YAML 1.1 booleans (aMQTT's PyYAML) are strings under YAML 1.2: turn the ones we know back into booleans. */
  coerceFlag(obj: Mapping, key: string, path: readonly PathSegment[]): void {
    const value = obj[key];
    if (typeof value === 'string' && isFlag(value)) {
      obj[key] = toFlag(value);
      this.deprecate([...path, key], `${key}: ${value} is YAML 1.1: write ${String(toFlag(value))}`);
    }
  }

  /** A deprecated section's keys in snake_case, plus each key as written (for paths). */
  sectionKeys(
    section: unknown,
    path: readonly PathSegment[],
    known: readonly string[],
  ): { section: Mapping; spelled: (key: string) => string } | undefined {
    if (!isMapping(section)) {
      this.issue(path, `expected a mapping, got ${describeValue(section)}`);
      return undefined;
    }
    // The whole section gets one deprecation; its kebab-case keys are aMQTT's own spelling there.
    const out: Mapping = {};
    const written = new Map<string, string>();
    for (const [key, value] of Object.entries(section)) {
      const snake = kebabToSnake(key);
      if (!known.includes(snake)) {
        this.issue(
          [...path, key],
          `unknown key '${key}' in this deprecated section (expected one of: ${known.map((k) => k.replace(/_/g, '-')).join(', ')})`,
        );
        continue;
      }
      if (written.has(snake)) {
        this.issue([...path, key], `'${key}' and '${written.get(snake)}' are the same setting: keep one`);
        continue;
      }
      written.set(snake, key);
      if (value !== null) out[snake] = value;
    }
    return { section: out, spelled: (key) => written.get(key) ?? key };
  }

  pluginNames(value: unknown, path: readonly PathSegment[], what: string): string[] | undefined {
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) {
      this.issue(path, `expected a list of ${what} plugin names, got ${describeValue(value)}`);
      return [];
    }
    const names: string[] = [];
    value.forEach((name, i) => {
      const pkg = typeof name === 'string' ? mapAmqttPluginName(name) : undefined;
      if (pkg === undefined) {
        this.issue(
          [...path, i],
          `unknown aMQTT ${what} plugin ${describeValue(name)}: list it under plugins: with its package name instead`,
        );
      } else names.push(pkg);
    });
    return names;
  }

  flagOption(section: Mapping, key: string, path: readonly PathSegment[]): boolean | undefined {
    const value = section[key];
    if (value === undefined) return undefined;
    if (isFlag(value)) return toFlag(value);
    this.issue(path, `expected true or false, got ${describeValue(value)}`);
    return undefined;
  }

  /**
   * Adds a plugin entry or fills options into an existing one. An option the entry already sets to a
   * different value is a conflict (an issue), except over the built-in defaults, which legacy keys override.
   */
  merge(plugins: PluginMap, pkg: string, options: Mapping, path: readonly PathSegment[], overDefaults = false): void {
    if (!Object.hasOwn(plugins, pkg)) {
      plugins[pkg] = Object.keys(options).length > 0 ? { ...options } : null;
      // The entry exists because of this legacy section: its problems are reported where the section is.
      this.renamed(['plugins', pkg], path);
      return;
    }
    const current = plugins[pkg];
    if (current !== null && !isMapping(current)) return;
    const merged: Mapping = { ...current };
    for (const [key, value] of Object.entries(options)) {
      if (Object.hasOwn(merged, key) && !deepEqual(merged[key], value) && !overDefaults) {
        this.issue(
          path,
          `conflicts with plugins: ${quote(pkg)}: ${key}: ${describeValue(merged[key])} here is ${describeValue(value)}: keep one`,
        );
        continue;
      }
      merged[key] = value;
    }
    plugins[pkg] = Object.keys(merged).length > 0 ? merged : null;
  }

  auth(section: unknown, path: readonly PathSegment[], plugins: PluginMap, explicit: boolean): void {
    const keys = this.sectionKeys(section, path, AUTH_KEYS);
    if (keys === undefined) return;
    const { section: auth, spelled } = keys;
    const names = this.pluginNames(auth.plugins, [...path, spelled('plugins')], 'auth');
    const optionsFor: Record<string, Mapping> = { [P.authAnonymous]: {}, [P.authFile]: {} };
    const allow = this.flagOption(auth, 'allow_anonymous', [...path, spelled('allow_anonymous')]);
    if (allow !== undefined) optionsFor[P.authAnonymous] = { allow_anonymous: allow };
    if (auth.password_file !== undefined) {
      if (typeof auth.password_file === 'string') optionsFor[P.authFile] = { password_file: auth.password_file };
      else
        this.issue(
          [...path, spelled('password_file')],
          `expected a file path, got ${describeValue(auth.password_file)}`,
        );
    }

    let chosen: string[];
    if (names !== undefined) chosen = names;
    // aMQTT without auth.plugins enabled every auth plugin it had: anonymous, and the file one when it has a file.
    else if (!explicit) chosen = [P.authAnonymous, ...(auth.password_file !== undefined ? [P.authFile] : [])];
    // With a plugins: map, the section only configures the auth plugins listed there.
    else chosen = [P.authAnonymous, P.authFile].filter((pkg) => Object.hasOwn(plugins, pkg));

    const produced: PluginMap = {};
    for (const pkg of chosen) {
      this.merge(plugins, pkg, optionsFor[pkg] ?? {}, path);
      produced[pkg] = plugins[pkg] ?? null;
    }
    for (const [pkg, key] of [
      [P.authAnonymous, 'allow_anonymous'],
      [P.authFile, 'password_file'],
    ] as const) {
      if (Object.hasOwn(optionsFor[pkg] ?? {}, key)) this.renamed(['plugins', pkg, key], [...path, spelled(key)]);
    }
    for (const [pkg, key] of [
      [P.authAnonymous, spelled('allow_anonymous')],
      [P.authFile, spelled('password_file')],
    ] as const) {
      if (Object.keys(optionsFor[pkg] ?? {}).length > 0 && !chosen.includes(pkg)) {
        this.deprecate([...path, key], `'${key}' has no effect: ${pkg} is not enabled; remove it`);
      }
    }
    this.deprecate(
      path,
      chosen.length > 0
        ? `'auth' is deprecated: use plugins: ${renderFlow(produced, true)}`
        : "'auth' is deprecated: list auth plugins under plugins:. With none, Midge allows every client (aMQTT refused every connection)",
    );
  }

  topicCheck(section: unknown, path: readonly PathSegment[], plugins: PluginMap): void {
    const name = String(path[path.length - 1]);
    const keys = this.sectionKeys(section, path, TOPIC_CHECK_KEYS);
    if (keys === undefined) return;
    const { section: tc, spelled } = keys;
    const enabled = this.flagOption(tc, 'enabled', [...path, spelled('enabled')]) ?? false;
    const names = this.pluginNames(tc.plugins, [...path, spelled('plugins')], 'topic');
    if (!enabled) {
      this.deprecate(path, `'${name}' is deprecated: with enabled: false it does nothing; remove it`);
      return;
    }
    // aMQTT's `acl` is what subscriptions are checked against: the ACL plugin's deprecated name of
    // subscribe_acl. The migration hint names the current key, not one that would warn again.
    if (tc.acl !== undefined && tc.subscribe_acl !== undefined) {
      this.issue(
        [...path, spelled('acl')],
        `'${spelled('acl')}' and '${spelled('subscribe_acl')}' are the same setting (subscribe_acl): keep one`,
      );
    }
    const aclOptions: Mapping = {};
    const aclWrittenAs: Record<string, string> = {};
    for (const [key, from] of [
      ['subscribe_acl', tc.subscribe_acl !== undefined ? 'subscribe_acl' : 'acl'],
      ['publish_acl', 'publish_acl'],
      ['receive_acl', 'receive_acl'],
    ] as const) {
      if (tc[from] === undefined) continue;
      aclOptions[key] = tc[from];
      aclWrittenAs[key] = spelled(from);
    }
    // aMQTT without topic-check.plugins ran every topic plugin it had: taboo and ACL.
    const chosen = names ?? [P.topicTaboo, P.topicAcl];
    const produced: PluginMap = {};
    for (const pkg of chosen) {
      this.merge(plugins, pkg, pkg === P.topicAcl ? aclOptions : {}, path);
      produced[pkg] = plugins[pkg] ?? null;
    }
    for (const [key, written] of Object.entries(aclWrittenAs)) {
      this.renamed(['plugins', P.topicAcl, key], [...path, written]);
    }
    if (Object.keys(aclOptions).length > 0 && !chosen.includes(P.topicAcl)) {
      this.deprecate(
        path,
        `the ACL keys in '${name}' have no effect: topic_acl is not in its plugins list; remove them`,
      );
    }
    this.deprecate(
      path,
      chosen.length > 0
        ? `'${name}' is deprecated: use plugins: ${renderFlow(produced, true)}`
        : `'${name}' is deprecated: list topic plugins under plugins:`,
    );
  }

  sysInterval(
    value: unknown,
    path: readonly PathSegment[],
    plugins: PluginMap,
    explicit: boolean,
    fromDefaults: boolean,
  ): void {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      this.issue(path, `expected a number of seconds, got ${describeValue(value)}`);
      return;
    }
    if (value > 0) {
      this.merge(plugins, P.sys, { sys_interval: value }, path, fromDefaults);
      this.deprecate(
        path,
        `'sys_interval' is deprecated: use plugins: ${renderFlow({ [P.sys]: { sys_interval: value } }, true)}`,
      );
      return;
    }
    // aMQTT: sys_interval 0 turns $SYS off.
    if (explicit && Object.hasOwn(plugins, P.sys)) {
      this.issue(path, `sys_interval: ${value} turns $SYS off, but plugins: lists '${P.sys}': remove one`);
      return;
    }
    delete plugins[P.sys];
    this.deprecate(path, `'sys_interval' is deprecated: $SYS is off unless plugins: lists '${P.sys}'; remove it`);
  }
}

/**
 * Translates an aMQTT broker config (or one of ours, which passes through unchanged apart from filling in
 * the default plugins when `plugins:` is absent) into our spelling. Nothing is validated here.
 */
export function translateAmqtt(raw: unknown): AmqttTranslation {
  const t = new Translator();
  if (!isMapping(raw)) return { config: raw, deprecations: t.deprecations, issues: t.issues, renames: t.renames };
  const config = t.translate(raw);
  return { config, deprecations: t.deprecations, issues: t.issues, renames: t.renames };
}
