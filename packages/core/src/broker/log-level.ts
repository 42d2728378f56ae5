/**
 * The log level changed by a config reload. The Logger interface has no setter: pino loggers (what
 * `createLogger` makes, and what most embedders pass) have a writable `level`, and child loggers keep the
 * level they were made with, so each logger that must follow is set. Other loggers are left as they are.
 */
import type { Logger } from '../plugin-api/types.js';

export function setLogLevel(logger: Logger, level: string): void {
  const target = logger as Logger & { level?: unknown };
  if (typeof target.level === 'string') target.level = level;
}
