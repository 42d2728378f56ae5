/**
 * What a config reload (SIGHUP, `Broker.reconfigure`) changes, worked out before anything is touched:
 * listeners to close, open or give new TLS material, whether the plugins are set up again, the log level,
 * and the settings that only a restart applies (reported, never silently ignored).
 */
import { isDeepStrictEqual } from 'node:util';
import type { BrokerConfig, ListenerConfig } from '../config/types.js';
import { configuredLogLevel } from '../log.js';

export interface ReconfigurePlan {
  /** Listeners in the old config only: closed (their clients disconnected). */
  readonly removed: readonly string[];
  /** Listeners new in the config, or whose address or kind changed (closed, then opened again). */
  readonly added: readonly ListenerConfig[];
  /** Changed bind, type, TLS on or off, require_certificate: closed and opened again. */
  readonly replaced: readonly string[];
  /**
   * tls/wss listeners kept: their certificate, key and CA files are read again, applied to new handshakes
   * when their contents changed (a renewed certificate keeps its path).
   */
  readonly tls: readonly ListenerConfig[];
  /** The plugins (their list, order or options) changed: they are all set up again. */
  readonly plugins: boolean;
  readonly logLevel: { readonly from: string; readonly to: string } | undefined;
  /** Settings whose change needs a restart, as config paths (`max_queued_messages`, `listeners.a.max_connections`). */
  readonly needsRestart: readonly string[];
}

/** Keys a reload applies itself (the rest of the top level needs a restart when it changes). */
const LIVE_KEYS = new Set(['listeners', 'plugins', 'log', 'log_level', 'config_dir', 'config_file']);
/**
 * What makes a listener another socket: changing it closes the listener and opens a new one. Node applies
 * `require_certificate` to a TLS server when it is created only (setSecureContext changes the material).
 */
const SOCKET_KEYS: readonly (keyof ListenerConfig)[] = [
  'bind',
  'host',
  'port',
  'type',
  'ssl',
  'require_certificate',
  // Read when a connection is accepted from the listener's config, which a kept listener does not replace.
  'use_identity_as_username',
];
const TLS_FILES: readonly (keyof ListenerConfig)[] = ['certfile', 'keyfile', 'cafile', 'capath'];

function pluginsOf(config: BrokerConfig): unknown[] {
  return config.plugins.map((p) => [p.key, p.config]);
}

export function planReconfiguration(old: BrokerConfig, next: BrokerConfig): ReconfigurePlan {
  const removed: string[] = [];
  const added: ListenerConfig[] = [];
  const replaced: string[] = [];
  const tls: ListenerConfig[] = [];
  const needsRestart: string[] = [];
  for (const name of Object.keys(old.listeners)) if (next.listeners[name] === undefined) removed.push(name);
  for (const [name, listener] of Object.entries(next.listeners)) {
    const before = old.listeners[name];
    if (before === undefined) {
      added.push(listener);
      continue;
    }
    if (SOCKET_KEYS.some((k) => before[k] !== listener[k])) {
      replaced.push(name);
      added.push(listener);
      continue;
    }
    if (listener.ssl) tls.push(listener);
    const keys = new Set([...Object.keys(before), ...Object.keys(listener)] as (keyof ListenerConfig)[]);
    for (const key of keys) {
      if (SOCKET_KEYS.includes(key) || TLS_FILES.includes(key)) continue;
      if (!isDeepStrictEqual(before[key], listener[key])) needsRestart.push(`listeners.${name}.${key}`);
    }
  }
  const keys = new Set([...Object.keys(old), ...Object.keys(next)]);
  for (const key of keys) {
    if (LIVE_KEYS.has(key)) continue;
    const a = (old as unknown as Record<string, unknown>)[key];
    const b = (next as unknown as Record<string, unknown>)[key];
    if (!isDeepStrictEqual(a, b)) needsRestart.push(key);
  }
  if (old.log?.file !== next.log?.file) needsRestart.push('log.file');
  if (old.log?.format !== next.log?.format) needsRestart.push('log.format');
  const from = configuredLogLevel(old);
  const to = configuredLogLevel(next);
  return {
    removed,
    added,
    replaced,
    tls,
    plugins: !isDeepStrictEqual(pluginsOf(old), pluginsOf(next)),
    logLevel: from === to ? undefined : { from, to },
    needsRestart: needsRestart.sort(),
  };
}
