/** Whether the broker is reachable beyond this machine while letting anonymous clients in. */
import type { PluginEntry } from '@midge/mqtt-core';

/** Where the default config binds when no config file is given: this machine only, as Mosquitto 2 does. */
export const DEFAULT_CONFIG_HOST = '127.0.0.1';

export const OPEN_HINT =
  'listening on loopback only (no config file): use --host 0.0.0.0 or a config file (-c FILE) to accept clients from other machines';

/** 127.0.0.0/8, ::1 and localhost: addresses no other machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h) || /^::ffff:127\./.test(h);
}

/** True when the config loads the anonymous-auth plugin with allow_anonymous on. */
export function allowsAnonymous(plugins: readonly PluginEntry[]): boolean {
  return plugins.some(
    (p) => p.specifier.startsWith('@midge/plugin-auth-anonymous') && p.config['allow_anonymous'] !== false,
  );
}
