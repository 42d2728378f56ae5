/**
 * "Did you mean" for a plugin name that resolves to nothing. A misspelt name must never be answered with
 * `npm install <the misspelling>`: that installs whatever a stranger published under the typo. So the
 * suggestion comes only from names known to be right: our own plugins (and aMQTT's names for them) and
 * packages already installed where the config's plugins are resolved from.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { AMQTT_CLASS_NAMES, AMQTT_ENTRY_POINT_NAMES } from '../config/amqtt-compat.js';
import { editDistance } from '../config/issues.js';

/** Every plugin this project publishes (packages/plugin-*), by the name a config gives it. */
export const FIRST_PARTY_PLUGINS: readonly string[] = [
  '@midge/plugin-admin',
  '@midge/plugin-auth-anonymous',
  '@midge/plugin-auth-file',
  '@midge/plugin-auth-http',
  '@midge/plugin-auth-jwt',
  '@midge/plugin-bridge',
  '@midge/plugin-cluster-nats',
  '@midge/plugin-logging/event-logger',
  '@midge/plugin-logging/packet-logger',
  '@midge/plugin-sys',
  '@midge/plugin-topic-acl',
  '@midge/plugin-topic-taboo',
];

/**
 * Plugins this project published once and retired, with what replaces them: a config naming one is told
 * what to use instead, not to install it.
 */
export const RETIRED_PLUGINS: Readonly<Record<string, string>> = {
  '@midge/plugin-bus-redis':
    "retired: it sent every message to every broker through Redis pub/sub, which broke MQTT's guarantees across brokers (one client id on two brokers, shared subscriptions delivered once per broker, messages lost in a Redis outage); use @midge/plugin-cluster-nats instead (docs/cluster.md tells how to move)",
};

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** True when `pkg` is the package of one of our plugins: the only packages an error may tell to install. */
export function isFirstPartyPackage(pkg: string): boolean {
  return FIRST_PARTY_PLUGINS.some((name) => packageOf(name) === pkg);
}

// A node_modules folder holds hundreds of packages at most in practice; this bounds a pathological one.
const MAX_INSTALLED = 10_000;

/**
 * Names of the packages Node could resolve from `searchDirs`: every node_modules folder from each dir up
 * to the file system root, scoped packages included. Unreadable folders are skipped.
 */
export function installedPackages(searchDirs: readonly string[]): Set<string> {
  const names = new Set<string>();
  const seen = new Set<string>();
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir).filter((name) => !name.startsWith('.'));
    } catch {
      return [];
    }
  };
  for (const start of searchDirs) {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
      const modules = path.join(dir, 'node_modules');
      if (!seen.has(modules)) {
        seen.add(modules);
        for (const name of list(modules)) {
          if (names.size >= MAX_INSTALLED) return names;
          if (!name.startsWith('@')) names.add(name);
          else for (const scoped of list(path.join(modules, name))) names.add(`${name}/${scoped}`);
        }
      }
      if (path.dirname(dir) === dir) break;
    }
  }
  return names;
}

export interface PluginNameSuggestion {
  /** The name to write under `plugins:`. */
  readonly name: string;
  /** The aMQTT name the typo was closest to, when it was one (`name` is then our package for it). */
  readonly amqttName?: string;
  /** True when `name` is one of our plugins whose package is not installed (`npm install` it then). */
  readonly installable: boolean;
}

/** Distance between two plugin names; a scope given or left out costs one typo ('plugin-sys' ~ '@midge/plugin-sys'). */
function nameDistance(a: string, b: string): number {
  const bare = (s: string): string => (s.startsWith('@') ? s.slice(s.indexOf('/') + 1) : s);
  const full = editDistance(a, b);
  return bare(a) === a && bare(b) === b ? full : Math.min(full, editDistance(bare(a), bare(b)) + 1);
}

/**
 * The known plugin name `typed` most likely meant, within about one typo per four characters (three at
 * most), or undefined. Candidates: our plugins, aMQTT's names for them, and `installed` package names.
 */
export function suggestPluginName(typed: string, installed: ReadonlySet<string>): PluginNameSuggestion | undefined {
  const amqtt = new Map<string, string>([
    ...Object.entries(AMQTT_CLASS_NAMES),
    ...Object.entries(AMQTT_ENTRY_POINT_NAMES),
  ]);
  const wanted = typed.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of new Set([...FIRST_PARTY_PLUGINS, ...amqtt.keys(), ...installed])) {
    if (candidate === typed) continue;
    const d = nameDistance(wanted, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  // Long names share long prefixes ('@midge/plugin-'): past three typos a suggestion is a guess.
  if (best === undefined || bestDistance > Math.min(3, Math.max(1, Math.floor(typed.length / 4)))) return undefined;
  const ours = amqtt.get(best);
  const name = ours ?? best;
  const installable = isFirstPartyPackage(packageOf(name)) && !installed.has(packageOf(name));
  return ours === undefined ? { name, installable } : { name, amqttName: best, installable };
}

/** `did you mean 'x'?`, with where it comes from and how to get it when that is needed. */
export function describeSuggestion(s: PluginNameSuggestion): string {
  const from = s.amqttName === undefined ? '' : ` (Midge's name for aMQTT's '${s.amqttName}')`;
  const install = s.installable ? `; install it next to the config file: npm install ${packageOf(s.name)}` : '';
  return `did you mean '${s.name}'${from}?${install}`;
}
