/**
 * A fake plugin context: the logger records every call so tests can assert on warnings, and the broker
 * API is a stub (these plugins never call it).
 */
import type { BrokerStats, ClientInfo, Logger, PluginContext } from '@midge/mqtt-core';

export interface LogRecord {
  level: string;
  msg: string;
  obj: object | undefined;
}

export function recordingLogger(records: LogRecord[] = []): Logger & { records: LogRecord[] } {
  const fn =
    (level: string) =>
    (a: string | object, b?: string): void => {
      if (typeof a === 'string') records.push({ level, msg: a, obj: undefined });
      else records.push({ level, msg: b ?? '', obj: a });
    };
  const logger = {
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

export function fakeContext(overrides: Partial<PluginContext> = {}): PluginContext & {
  logger: ReturnType<typeof recordingLogger>;
} {
  const stats = {} as BrokerStats;
  return {
    name: 'test-plugin',
    key: 'test-plugin',
    configDir: process.cwd(),
    signal: new AbortController().signal,
    broker: {
      version: '0.0.0-test',
      publish: () => Promise.resolve(),
      getRetained: () => undefined,
      stats: () => stats,
      sessionCount: () => 0,
      subscriptionCount: () => 0,
    },
    ...overrides,
    logger: recordingLogger(),
  };
}

export function client(username: string | undefined, overrides: Partial<ClientInfo> = {}): ClientInfo {
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

/** The messages logged at `level`, one per line: match it with a RegExp for a readable failure. */
export function logText(records: readonly LogRecord[], level: string): string {
  return records
    .filter((r) => r.level === level)
    .map((r) => r.msg)
    .join('\n');
}
