/** Which config the broker runs (a file or the embedded default) and what the command line changes in it. */
import { dirname, resolve } from 'node:path';
import {
  ConfigError,
  DEFAULT_CONFIG_YAML,
  DEFAULT_LISTENER_NAME,
  loadConfig,
  parseConfigYaml,
  type ConfigOverrides,
  type LogLevel,
} from '@midge/mqtt-core';
import { UsageError } from '../args.js';
import { CLI_DIR } from '../cli-dir.js';
import { DEFAULT_CONFIG_HOST } from './exposure.js';
import { persistenceOverride, type PersistenceFlags } from './persistence-flags.js';

export interface BrokerFlags extends PersistenceFlags {
  readonly config?: string;
  readonly port?: number;
  readonly host?: string;
  readonly logLevel?: LogLevel;
}

export interface ConfigSource {
  /** A file path, or the default config already parsed. */
  readonly source: string | Record<string, unknown>;
  /** How messages name the config. */
  readonly label: string;
  /** Where relative paths start: the file's folder, or the working directory for the default config. */
  readonly configDir: string;
  /** The config's folder first, then the CLI's own, so first-party plugins always resolve. */
  readonly searchDirs: readonly string[];
}

export const DEFAULT_CONFIG_LABEL = '<default config>';

export function configSource(path: string | undefined): ConfigSource {
  if (path === undefined) {
    const configDir = process.cwd();
    const source = parseConfigYaml(DEFAULT_CONFIG_YAML);
    // No config file: this machine only (as Mosquitto 2); --host or a config file opens it.
    const listeners = source['listeners'] as Record<string, Record<string, unknown>> | undefined;
    const listener = listeners?.[DEFAULT_LISTENER_NAME];
    if (listener !== undefined) listener['bind'] = `${DEFAULT_CONFIG_HOST}:1883`;
    return {
      source,
      label: DEFAULT_CONFIG_LABEL,
      configDir,
      searchDirs: [configDir, CLI_DIR],
    };
  }
  const file = resolve(path);
  return { source: file, label: file, configDir: dirname(file), searchDirs: [dirname(file), CLI_DIR] };
}

/**
 * The config keys set by flags. `-p`/`--host` replace one half of the default listener's bind each,
 * so the other half is read from the config first. `persistence` see persistenceOverride.
 */
export async function configOverrides(src: ConfigSource, flags: BrokerFlags): Promise<ConfigOverrides> {
  const overrides: {
    log_level?: LogLevel;
    listeners?: Record<string, { bind: string }>;
    persistence?: NonNullable<ConfigOverrides['persistence']>;
  } = {};
  if (flags.logLevel !== undefined) overrides.log_level = flags.logLevel;
  const persistence = persistenceOverride(flags, typeof src.source !== 'string');
  if (persistence !== undefined) overrides.persistence = persistence;
  if (flags.port === undefined && flags.host === undefined) return overrides;

  let current: { host: string; port: number } | undefined;
  try {
    const { config } = await loadConfig(src.source, { configDir: src.configDir });
    current = config.listeners[DEFAULT_LISTENER_NAME];
    if (current === undefined) {
      const names = Object.keys(config.listeners).join(', ');
      throw new UsageError(
        `-p/--port and --host set the bind of the listener '${DEFAULT_LISTENER_NAME}', which ${src.label} does not have (it has: ${names}); set the bind in the config instead`,
      );
    }
  } catch (err) {
    // The real load reports a broken config with every problem; the flags cannot fix it.
    if (!(err instanceof ConfigError)) throw err;
  }
  const host = flags.host ?? current?.host ?? '';
  const port = flags.port ?? current?.port ?? 1883;
  overrides.listeners = { [DEFAULT_LISTENER_NAME]: { bind: `${host.includes(':') ? `[${host}]` : host}:${port}` } };
  return overrides;
}
