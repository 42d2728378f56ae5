/** The logger plugins, stores and the broker get: the subset of pino's API Midge uses. */
type LogFn = {
  (msg: string): void;
  (obj: object, msg?: string): void;
};
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  isLevelEnabled(level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'): boolean;
  child(bindings: Record<string, unknown>): Logger;
}
