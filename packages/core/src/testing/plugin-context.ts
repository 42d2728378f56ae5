/**
 * Unit-testing a plugin without a broker: a fake PluginContext whose logger records every call, and
 * ClientInfo objects for hook requests. Used by first-party plugins and offered to third parties.
 */
import { ZERO_STATS, ZERO_STORE_STATS, ZERO_TIMINGS } from '../plugin-api/stats.js';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type {
  AuthenticateRequest,
  ClientInfo,
  Logger,
  MidgePlugin,
  PluginContext,
  PluginHooks,
} from '../plugin-api/types.js';

export interface LogRecord {
  readonly level: string;
  readonly msg: string;
  readonly obj: object | undefined;
}

export interface RecordingLogger extends Logger {
  readonly records: LogRecord[];
}

/** A Logger at every level that keeps each call, so tests can assert on warnings. */
export function recordingLogger(records: LogRecord[] = []): RecordingLogger {
  const fn =
    (level: string) =>
    (a: string | object, b?: string): void => {
      if (typeof a === 'string') records.push({ level, msg: a, obj: undefined });
      else records.push({ level, msg: b ?? '', obj: a });
    };
  const logger: RecordingLogger = {
    records,
    trace: fn('trace'),
    debug: fn('debug'),
    info: fn('info'),
    warn: fn('warn'),
    error: fn('error'),
    fatal: fn('fatal'),
    isLevelEnabled: () => true,
    child: () => logger,
  };
  return logger;
}

/** The messages logged at `level`, one per line: match it with a RegExp for a readable failure. */
export function logText(records: readonly LogRecord[], level: string): string {
  return records
    .filter((r) => r.level === level)
    .map((r) => r.msg)
    .join('\n');
}

/** A PluginContext with a recording logger and a broker API stub (publish resolves, counts are 0). */
export function fakePluginContext(overrides: Partial<PluginContext> = {}): PluginContext & { logger: RecordingLogger } {
  return {
    name: 'test-plugin',
    key: 'test-plugin',
    configDir: process.cwd(),
    signal: new AbortController().signal,
    broker: {
      version: '0.0.0-test',
      publish: () => Promise.resolve(),
      getRetained: () => undefined,
      retainedMessages: () => [],
      setRetained: () => undefined,
      stats: () => ZERO_STATS,
      timings: () => ZERO_TIMINGS,
      pluginMetrics: () => [],
      plugins: () => [],
      listen: () => () => undefined,
      storeStats: () => ZERO_STORE_STATS,
      health: () => ({ ready: true, checks: [] }),
      sessionCount: () => 0,
      subscriptionCount: () => 0,
      subscriptions: () => [][Symbol.iterator](),
      // No clients here: a test that needs to see the call overrides `broker`.
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
        throw new Error('the fake plugin context has no broker to connect to: override broker.connectLocal');
      },
    },
    ...overrides,
    logger: recordingLogger(),
  };
}

/** A connected client as plugins see it; `username` undefined is an anonymous client. */
export function testClientInfo(username: string | undefined, overrides: Partial<ClientInfo> = {}): ClientInfo {
  return {
    clientId: 'client-1',
    username,
    protocolVersion: 4,
    listener: 'default',
    remoteAddress: '127.0.0.1',
    remotePort: 50000,
    secure: false,
    ...overrides,
  };
}

/** A plugin's options through its own Standard Schema, as the broker validates them (`{}` without a schema). */
export async function validatePluginConfig<C>(
  plugin: MidgePlugin<C>,
  input: unknown,
): Promise<StandardSchemaV1.Result<C>> {
  if (plugin.configSchema === undefined) return { value: input as C };
  return await plugin.configSchema['~standard'].validate(input);
}

/** The dotted paths of a validation result's issues (`publish_acl.alice.0`), in order. */
export function issuePaths(result: StandardSchemaV1.Result<unknown>): string[] {
  return (result.issues ?? []).map((i) =>
    (i.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.'),
  );
}

/**
 * Validates `input` and runs the plugin's setup with a fake context (`ctx` overrides its fields, e.g.
 * `configDir`). Throws with the issues when the options are invalid.
 */
export async function setupPlugin<C>(
  plugin: MidgePlugin<C>,
  input: unknown,
  ctx: Partial<PluginContext> = {},
): Promise<{ hooks: PluginHooks; ctx: PluginContext & { logger: RecordingLogger } }> {
  const result = await validatePluginConfig(plugin, input);
  if (result.issues) throw new Error(`invalid options for ${plugin.name}: ${JSON.stringify(result.issues)}`);
  const context = fakePluginContext(ctx);
  return { hooks: await plugin.setup(context, result.value), ctx: context };
}

/** An authenticate hook's request for `client`, with the CONNECT it would have sent. */
export function authenticateRequest(client: ClientInfo, password?: string | Buffer): AuthenticateRequest {
  return {
    client,
    password: typeof password === 'string' ? Buffer.from(password, 'utf8') : password,
    connect: {
      type: 'connect',
      protocolName: client.protocolVersion === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: client.protocolVersion,
      clean: true,
      keepalive: 60,
      clientId: client.clientId,
      ...(client.username === undefined ? {} : { username: client.username }),
      ...(password === undefined
        ? {}
        : { password: typeof password === 'string' ? Buffer.from(password, 'utf8') : password }),
    },
  };
}
