/**
 * Client plugins: loaded with the broker's PluginHost from the client config's
 * `plugins:`; only plugins defined with `runsIn: 'client'` or `'both'` run here, and they get `ctx.client`
 * (a ClientApi: publish through this client, its ClientInfo) and the `packet:sent` / `packet:received`
 * events. The default packet logger lives in a plugin package core cannot depend on, so when it does not
 * resolve the client logs that at debug level and goes on.
 */
import { PLUGIN_PACKAGES } from '../config/amqtt-compat.js';
import type { PluginEntry } from '../config/types.js';
import { PluginHost } from '../plugin-host/host.js';
import { checkSide } from '../plugin-host/load.js';
import { resolvePlugin } from '../plugin-host/resolve.js';
import type { ClientApi, MidgePlugin } from '../plugin-api/types.js';
import type { ResolvedClientOptions } from './options.js';

/** Plugins that are nice to have: a failure to resolve them is not a reason to refuse to connect. */
const OPTIONAL = new Set<string>([PLUGIN_PACKAGES.packetLogger]);

/** Returns undefined when there is no plugin to run (nothing configured, or only an unresolvable logger). */
export async function startClientPlugins(o: ResolvedClientOptions, client: ClientApi): Promise<PluginHost | undefined> {
  const entries: PluginEntry[] = [];
  const resolved = new Map<string, MidgePlugin>();
  for (const entry of o.plugins) {
    try {
      const { plugin } = await resolvePlugin(entry, o.searchDirs);
      // Checked here too (the host checks again) so an optional plugin made for the broker is skipped, not fatal.
      resolved.set(entry.key, checkSide(plugin, entry.key, 'client'));
      entries.push(entry);
    } catch (err) {
      if (!OPTIONAL.has(entry.key)) throw err;
      o.logger.debug(
        { key: entry.key, err: (err as Error).message },
        'client plugin not available; going on without it',
      );
    }
  }
  for (const plugin of o.extraPlugins) {
    const key = `<memory>:${plugin.name}`;
    resolved.set(key, plugin);
    entries.push({ key, specifier: key, config: {} });
  }
  if (entries.length === 0) return undefined;
  return PluginHost.start(entries, {
    searchDirs: o.searchDirs,
    configDir: o.searchDirs[0] ?? process.cwd(),
    logger: o.logger,
    client,
    decisionTimeoutMs: 0,
    setupTimeoutMs: 5000,
    resolved,
  });
}
