/**
 * Unit-testing a plugin without a broker: a fake PluginContext whose logger records every call, and
 * ClientInfo objects for hook requests. Used by first-party plugins and offered to third parties.
 */
import { ZERO_STATS } from '../plugin-api/stats.js';
import type { ClientInfo, Logger, PluginContext } from '../plugin-api/types.js';

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
export function fakePluginContext(
  overrides: Partial<PluginContext> = {},
): PluginContext & { logger: RecordingLogger } {
  return {
    name: 'test-plugin',
    key: 'test-plugin',
    configDir: process.cwd(),
    signal: new AbortController().signal,
    broker: {
      version: '0.0.0-test',
      publish: () => Promise.resolve(),
      getRetained: () => undefined,
      stats: () => ZERO_STATS,
      sessionCount: () => 0,
      subscriptionCount: () => 0,
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
