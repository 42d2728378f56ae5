/**
 * The one logger (pino, JSON lines). Plugins get child loggers of it; tests use `nullLogger`.
 */
import { pino } from 'pino';
import type { LogLevel } from './config/schema.js';
import type { BrokerConfig } from './config/types.js';
import type { Logger } from './plugin-api/types.js';

export type { LogLevel } from './config/schema.js';

export interface LoggerOptions {
  /** Least severe level written; 'silent' writes nothing. */
  readonly level: LogLevel;
  /** One readable line per record (`12:00:00.123 INFO  plugin: message {"k":1}`) instead of JSON. */
  readonly pretty?: boolean;
  /** A stream with `write(line)`, a file descriptor, or a file path. Default: stdout (fd 1). */
  readonly destination?: pino.DestinationStream | number | string;
  /** Added to every record as `name`. */
  readonly name?: string;
}

const LEVEL_LABELS: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};

/** Turns pino's JSON lines into short human lines; anything unparsable passes through unchanged. */
function prettyStream(target: pino.DestinationStream): pino.DestinationStream {
  return {
    write(line: string): void {
      let record: Record<string, unknown>;
      try {
        record = JSON.parse(line) as Record<string, unknown>;
      } catch {
        target.write(line);
        return;
      }
      const { time, level, msg, name, plugin, pid: _pid, hostname: _hostname, ...rest } = record;
      const clock = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
      const label = LEVEL_LABELS[level as number] ?? String(level);
      const who = [name, plugin].filter((x) => typeof x === 'string').join('/');
      const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
      target.write(`${clock} ${label} ${who === '' ? '' : `${who}: `}${typeof msg === 'string' ? msg : ''}${extra}\n`);
    },
  };
}

/**
 * Fields never written in clear, whoever logs them (the broker, plugins through their child loggers):
 * a second line of defense behind the callers, which leave secrets out in the first place. Paths go a
 * few levels deep, as packet loggers nest them (`packet.properties.authenticationData`).
 */
export const REDACTED_LOG_PATHS: readonly string[] = [
  'password',
  '*.password',
  '*.*.password',
  'authenticationData',
  '*.authenticationData',
  '*.*.authenticationData',
  '*.*.*.authenticationData',
];

export function createLogger(options: LoggerOptions): Logger {
  const dest = options.destination ?? 1;
  // sync writes: a broker that exits on a fatal error must not lose the line that explains why.
  const stream =
    typeof dest === 'object' ? dest : pino.destination({ dest, sync: true, mkdir: typeof dest === 'string' });
  return pino(
    {
      level: options.level,
      redact: { paths: [...REDACTED_LOG_PATHS], censor: '<redacted>' },
      ...(options.name !== undefined ? { name: options.name } : {}),
    },
    options.pretty === true ? prettyStream(stream) : stream,
  );
}

/** The level a config asks for: `log.level`, which wins, else `log_level`. */
export function configuredLogLevel(config: Pick<BrokerConfig, 'log' | 'log_level'>): LogLevel {
  return config.log?.level ?? config.log_level;
}

/** A log file that can be reopened (after logrotate renamed it): what `createLogger` writes to. */
export interface LogFile extends pino.DestinationStream {
  /** Opens the path again: records from now on go to a new file if the old one was renamed. */
  reopen(): void;
}

/**
 * Opens `path` for appending (its folder created if missing), synchronously written so a fatal error's
 * record is on disk before the process ends. Throws, naming the file, when it cannot be opened.
 */
export function openLogFile(path: string): LogFile {
  try {
    return pino.destination({ dest: path, sync: true, mkdir: true, append: true });
  } catch (err) {
    throw new Error(`cannot open the log file ${path}: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * The logger a config asks for: `log.file` (else standard output), `log.format` (else pretty on a
 * terminal, JSON otherwise, JSON in a file), at `configuredLogLevel`. Returns the file too, for reopening.
 */
export function loggerFromConfig(
  config: Pick<BrokerConfig, 'log' | 'log_level'>,
  terminal = false,
): { logger: Logger; file: LogFile | undefined; pretty: boolean } {
  const file = config.log?.file !== undefined ? openLogFile(config.log.file) : undefined;
  const pretty = config.log?.format !== undefined ? config.log.format === 'pretty' : file === undefined && terminal;
  const logger = createLogger({
    level: configuredLogLevel(config),
    pretty,
    ...(file !== undefined ? { destination: file } : {}),
  });
  return { logger, file, pretty };
}

const noop = (): void => {};

/** A Logger that drops everything, for tests and embedders that log elsewhere. */
export const nullLogger: Logger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
  isLevelEnabled: () => false,
  child: () => nullLogger,
};
