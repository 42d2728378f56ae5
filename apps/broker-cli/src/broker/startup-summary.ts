/**
 * What `midge` says once it is up: version, config file, each listener with its kind and bound address, the
 * plugins with their versions, the store, then "ready". One JSON record for machines; aligned lines on a
 * terminal.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { BrokerConfig, ListenerAddress } from '@midge/mqtt-core';

export interface StartupSummary {
  readonly version: string;
  readonly node: string;
  /** The config file, or null when the broker runs on the defaults. */
  readonly config: string | null;
  readonly listeners: readonly { readonly name: string; readonly kind: string; readonly address: string }[];
  readonly plugins: readonly { readonly name: string; readonly key: string; readonly version: string | null }[];
  readonly store:
    | { readonly kind: 'memory' }
    | { readonly kind: 'store'; readonly module: string; readonly path: string; readonly sync: string };
}

export interface SummaryInput {
  readonly version: string;
  readonly config: BrokerConfig;
  /** The config file's path, or undefined without one. */
  readonly configFile: string | undefined;
  readonly listeners: readonly ListenerAddress[];
  readonly plugins: readonly { readonly name: string; readonly key: string }[];
  /** Where plugin packages are looked up (the config's folder, the CLI's). */
  readonly searchDirs: readonly string[];
}

export function startupSummary(input: SummaryInput): StartupSummary {
  const { config } = input;
  const persistence = config.persistence;
  return {
    version: input.version,
    node: process.version,
    config: input.configFile ?? null,
    listeners: input.listeners.map((l) => ({
      name: l.name,
      kind: config.listeners[l.name]?.type ?? 'tcp',
      address: `${l.host.includes(':') ? `[${l.host}]` : l.host}:${l.port}`,
    })),
    plugins: input.plugins.map((p) => ({
      name: p.name,
      key: p.key,
      version: packageVersion(p.name, input.searchDirs) ?? packageVersion(p.key, input.searchDirs) ?? null,
    })),
    store:
      persistence === undefined
        ? { kind: 'memory' }
        : { kind: 'store', module: persistence.store, path: persistence.path, sync: persistence.sync },
  };
}

/** The summary as lines for a terminal, "ready" last. */
export function formatSummary(s: StartupSummary): string[] {
  const lines = [`Midge ${s.version} (node ${s.node}), config: ${s.config ?? 'none (defaults)'}`];
  const nameWidth = Math.max(0, ...s.listeners.map((l) => l.name.length));
  for (const l of s.listeners) lines.push(`  listener ${l.name.padEnd(nameWidth)}  ${l.kind.padEnd(3)}  ${l.address}`);
  if (s.plugins.length === 0) lines.push('  plugins  none');
  for (const p of s.plugins) {
    const as = p.key !== p.name ? ` (as ${p.key})` : '';
    lines.push(`  plugin   ${p.name}${p.version === null ? '' : ` ${p.version}`}${as}`);
  }
  lines.push(
    s.store.kind === 'memory'
      ? '  store    in memory (state is lost at exit)'
      : `  store    ${s.store.module} in ${s.store.path} (sync: ${s.store.sync})`,
  );
  lines.push('ready');
  return lines;
}

/** A package name and an optional subpath (`@midge/plugin-logging/event-logger`). */
const PACKAGE_SPECIFIER = /^((?:@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*)(\/.*)?$/;

/**
 * The version of the npm package `specifier` names (a package or one of its subpaths) as `searchDirs`
 * resolve it; undefined for a path or what does not resolve.
 */
export function packageVersion(specifier: string, searchDirs: readonly string[]): string | undefined {
  const name = PACKAGE_SPECIFIER.exec(specifier)?.[1];
  if (name === undefined) return undefined;
  for (const dir of searchDirs) {
    let entry: string;
    try {
      entry = createRequire(join(dir, 'noop.js')).resolve(specifier);
    } catch {
      continue;
    }
    // Up from the entry point to the package's own package.json.
    for (let at = dirname(entry); ; at = dirname(at)) {
      try {
        const pkg = JSON.parse(readFileSync(join(at, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name && typeof pkg.version === 'string') return pkg.version;
      } catch {
        // no package.json here
      }
      if (dirname(at) === at) break;
    }
  }
  return undefined;
}
