import type { BrokerApi, ClientInfo, Logger, MidgePlugin } from '../../src/plugin-api/types.js';
import { ZERO_STATS, ZERO_STORE_STATS, ZERO_TIMINGS } from '../../src/plugin-api/stats.js';
import type { PluginEntry } from '../../src/config/types.js';
import { PluginHost } from '../../src/plugin-host/host.js';
import type { PluginHostOptions } from '../../src/plugin-host/host.js';

export type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export interface LogRecord {
  readonly level: Level;
  readonly bindings: Record<string, unknown>;
  readonly obj: Record<string, unknown>;
  readonly msg: string | undefined;
}

/** A Logger that records every call with the child bindings in force, so tests can check "logged under the plugin's name". */
export function memoryLogger(
  records: LogRecord[] = [],
  bindings: Record<string, unknown> = {},
): Logger & { records: LogRecord[] } {
  const at =
    (level: Level) =>
    (a: string | object, b?: string): void => {
      if (typeof a === 'string') records.push({ level, bindings, obj: {}, msg: a });
      else records.push({ level, bindings, obj: a as Record<string, unknown>, msg: b });
    };
  return {
    records,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    isLevelEnabled: () => true,
    child: (more) => memoryLogger(records, { ...bindings, ...more }),
  };
}

const stats = ZERO_STATS;

export const fakeBroker: BrokerApi = {
  version: '0.0.0-test',
  publish: () => Promise.resolve(),
  getRetained: () => undefined,
  retainedMessages: () => [],
  setRetained: () => undefined,
  stats: () => stats,
  timings: () => ZERO_TIMINGS,
  pluginMetrics: () => [],
  plugins: () => [],
  listen: () => () => undefined,
  storeStats: () => ZERO_STORE_STATS,
  health: () => ({ ready: true, checks: [] }),
  sessionCount: () => 0,
  subscriptionCount: () => 0,
  subscriptions: () => [][Symbol.iterator](),
  disconnectClients: () => 0,
  connectedClients: () => [],
  sessions: () => [],
  clientDetail: () => undefined,
  effectiveConfig: () => ({}),
  requestReload: () => Promise.resolve({ applied: true, errors: [], changes: [], failures: [], needsRestart: [] }),
  deleteSession: () => 'unknown',
  handOverSession: () => Promise.resolve(undefined),
  deliverShared: () => false,
  connectLocal: () => {
    throw new Error('no broker behind this fake api');
  },
};

export const client: ClientInfo = {
  clientId: 'c1',
  username: 'u',
  protocolVersion: 5,
  listener: 'default',
  remoteAddress: '127.0.0.1',
  remotePort: 50000,
  secure: false,
};

/** Starts a host over in-memory plugins; each plugin's key is its name unless given as [key, plugin, config]. */
export async function startHost(
  plugins: readonly (MidgePlugin | readonly [string, MidgePlugin, Record<string, unknown>?])[],
  options: Partial<PluginHostOptions> = {},
): Promise<{ host: PluginHost; logger: ReturnType<typeof memoryLogger> }> {
  const logger = memoryLogger();
  const resolved = new Map<string, MidgePlugin>();
  const entries: PluginEntry[] = [];
  for (const item of plugins) {
    const [key, plugin, config] = isTuple(item) ? item : [item.name, item, undefined];
    resolved.set(key, plugin);
    entries.push({ key, specifier: key, config: config ?? {} });
  }
  const { broker, client, ...rest } = options;
  const side = client !== undefined ? { client } : { broker: broker ?? fakeBroker };
  const host = await PluginHost.start(entries, {
    searchDirs: ['/nonexistent'],
    configDir: '/cfg',
    logger,
    decisionTimeoutMs: 200,
    setupTimeoutMs: 200,
    resolved,
    ...rest,
    ...side,
  });
  return { host, logger };
}

function isTuple(
  x: MidgePlugin | readonly [string, MidgePlugin, Record<string, unknown>?],
): x is readonly [string, MidgePlugin, Record<string, unknown>?] {
  return Array.isArray(x);
}
