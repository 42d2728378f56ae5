/** Running the broker in the foreground: start, announce the listeners, reload on SIGHUP, stop on SIGINT/SIGTERM. */
import {
  Broker,
  checkTlsMaterial,
  ConfigError,
  loggerFromConfig,
  formatConfigIssues,
  loadConfig,
  type ConfigOverrides,
  type LogFile,
  type Logger,
  type ReloadOutcome,
} from '@midge/mqtt-core';
import type { ConfigSource } from './config-source.js';
import { allowsAnonymous, isLoopback, OPEN_HINT } from './exposure.js';
import { withEveryProblem } from './every-problem.js';
import { obeyedSignals, type SignalSource } from '../obeyed-signals.js';
import { VERSION } from '../version.js';
import { formatSummary, startupSummary } from './startup-summary.js';
import { reloadConfig, reloadPluginFiles } from './reload-config.js';
import { youngGenerationFlags } from '../young-generation.js';
import { EXIT_FAILURE, EXIT_OK } from '../report.js';

/** How long a graceful shutdown may take before the process gives up on it. */
export const SHUTDOWN_TIMEOUT_MS = 10_000;

export interface ServeOptions {
  readonly src: ConfigSource;
  readonly overrides: ConfigOverrides;
  /** Human-readable lines instead of JSON lines (a terminal). */
  readonly pretty: boolean;
}

/**
 * Loads the config, starts the broker and resolves with the exit code once it has stopped.
 * Config and plugin failures reject (the caller reports them); nothing is left running then.
 */
export async function serve({ src, overrides, pretty }: ServeOptions): Promise<number> {
  const { config, deprecations, warnings, positions } = await loadConfig(src.source, {
    configDir: src.configDir,
    overrides,
  }).catch(async (err: unknown) => {
    throw await withEveryProblem(err, src, overrides);
  });
  // The listeners' TLS files, read as the listeners will: problems are reported like --check reports
  // them (file:line:col, listener, file, fix), all at once, instead of OpenSSL's words at the first one.
  const tlsIssues = await checkTlsMaterial(config.listeners);
  if (tlsIssues.length > 0) {
    throw new ConfigError(
      tlsIssues.map((i) => positions?.annotate(i) ?? i),
      config.config_file,
    );
  }
  // `log:` of the config: a file (reopened on SIGUSR1/SIGHUP), a format; else stdout, pretty on a terminal.
  const { logger: log, file: logFile, pretty: prettyLog } = loggerFromConfig(config, pretty);
  for (const d of [...deprecations, ...warnings]) {
    log.warn({ config: src.label, path: d.path }, formatConfigIssues([d], src.label));
  }

  // Sized when Node started (relaunch.ts): less RSS per connection and under load. Empty: Node's default.
  log.debug({ flags: youngGenerationFlags() }, 'V8 young generation');

  // With a store, the broker logs which one and where when it loads it.
  if (config.persistence === undefined) log.info('persistence: none, state is kept in memory and lost at exit');
  // The admin API's reload (`BrokerApi.requestReload`) runs what SIGHUP runs, in the same queue.
  const reloads: { request?: () => Promise<ReloadOutcome> } = {};
  const broker = new Broker(config, {
    logger: log,
    searchDirs: src.searchDirs,
    reloadHandler: () => {
      if (reloads.request === undefined) throw new Error('the broker is not running yet');
      return reloads.request();
    },
  });
  // Handlers go in before anything is printed: a signal sent as soon as 'listening' appears must not
  // meet the default action (instant death) because the handler was a few microseconds late.
  // Without a config file (defaults and flags), SIGHUP has nothing to read again: plugins re-read their files.
  const signals = new SignalHandlers(
    broker,
    log,
    logFile,
    typeof src.source === 'string'
      ? () => reloadConfig(broker, src, overrides, log)
      : () => reloadPluginFiles(broker, log),
  );
  reloads.request = () => signals.requestReload();
  try {
    await broker.start();
  } catch (err) {
    signals.remove();
    throw err;
  }
  // A terminal gets them in the summary below.
  if (!prettyLog)
    for (const l of broker.listeners()) {
      log.info({ name: l.name, type: config.listeners[l.name]?.type, host: l.host, port: l.port }, 'listening');
    }
  const exposed = broker.listeners().filter((l) => !isLoopback(l.host));
  if (exposed.length > 0 && allowsAnonymous(config.plugins)) {
    const where = exposed.map((l) => `${l.name} (${l.host}:${l.port})`).join(', ');
    log.warn(
      { listeners: exposed.map((l) => l.name) },
      `anonymous clients are allowed on listeners reachable from other machines: ${where}; set allow_anonymous: false and use @midge/plugin-auth-file, or bind 127.0.0.1`,
    );
  } else if (exposed.length === 0 && typeof src.source !== 'string') {
    log.info(OPEN_HINT);
  }
  const summary = startupSummary({
    version: VERSION,
    config,
    configFile: typeof src.source === 'string' ? src.source : undefined,
    listeners: broker.listeners(),
    plugins: broker.plugins?.plugins ?? [],
    searchDirs: src.searchDirs,
  });
  // A terminal gets aligned lines; a log collector one record with all of it.
  if (prettyLog) for (const line of formatSummary(summary)) log.info(line);
  else log.info(summary, 'ready');
  signals.started();
  return signals.exitCode;
}

/** SIGINT/SIGTERM stop the broker (bounded in time), SIGHUP reloads its plugins. */
class SignalHandlers {
  /** Resolves once the broker has stopped (or shutdown was abandoned). */
  readonly exitCode: Promise<number>;
  private done!: (code: number) => void;
  private running = false;
  private stopRequested: NodeJS.Signals | undefined;
  private stopping = false;
  private readonly signals: SignalSource = obeyedSignals();

  constructor(
    private readonly broker: Broker,
    private readonly log: Logger,
    private readonly logFile: LogFile | undefined,
    /** SIGHUP: the config read again and applied, or the plugins' files without a config file (reload-config.ts). */
    private readonly reload: () => Promise<ReloadOutcome>,
  ) {
    this.exitCode = new Promise<number>((resolve) => (this.done = resolve));
    this.signals.on('SIGINT', this.onStop);
    this.signals.on('SIGTERM', this.onStop);
    this.signals.on('SIGHUP', this.onReload);
    this.signals.on('SIGUSR1', this.onReopen);
  }

  remove(): void {
    this.signals.off('SIGINT', this.onStop);
    this.signals.off('SIGTERM', this.onStop);
    this.signals.off('SIGHUP', this.onReload);
    this.signals.off('SIGUSR1', this.onReopen);
  }

  /** SIGUSR1 (and SIGHUP): the log file again, after logrotate renamed it. */
  private readonly onReopen = (): void => {
    if (this.logFile === undefined) return;
    try {
      this.logFile.reopen();
      this.log.info('log file reopened');
    } catch (err) {
      // Logged to the old file, which is still open: the broker keeps running.
      this.log.error({ err }, 'reopening the log file failed; still writing to the one open before');
    }
  };

  /** The broker is up: a stop asked for during startup happens now. */
  started(): void {
    this.running = true;
    if (this.stopRequested !== undefined) this.stop(this.stopRequested);
  }

  private finish(code: number): void {
    this.remove();
    this.done(code);
  }

  private readonly onStop = (signal: NodeJS.Signals): void => {
    if (!this.running) {
      if (this.stopRequested !== undefined) {
        // A second Ctrl-C while a plugin's setup hangs: nothing to close gracefully yet, so leave now.
        this.log.warn({ signal }, 'second signal during startup: exiting');
        process.exit(EXIT_FAILURE);
      }
      this.stopRequested = signal;
      return;
    }
    this.stop(signal);
  };

  private stop(signal: NodeJS.Signals): void {
    if (this.stopping) {
      // A second Ctrl-C means "now": do not make the user wait for slow clients.
      this.log.warn({ signal }, 'second signal during shutdown: exiting without waiting');
      this.finish(EXIT_FAILURE);
      return;
    }
    this.stopping = true;
    this.log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      this.log.error(`shutdown did not finish within ${SHUTDOWN_TIMEOUT_MS / 1000} s: exiting anyway`);
      this.finish(EXIT_FAILURE);
    }, SHUTDOWN_TIMEOUT_MS);
    this.broker.close().then(
      () => {
        clearTimeout(timer);
        this.log.info('stopped');
        this.finish(EXIT_OK);
      },
      (err: unknown) => {
        clearTimeout(timer);
        this.log.error({ err }, 'shutdown failed');
        this.finish(EXIT_FAILURE);
      },
    );
  }

  private reloading: Promise<unknown> | undefined;

  private readonly onReload = (): void => {
    this.onReopen();
    if (!this.running || this.stopping) return;
    void this.requestReload().catch(() => undefined);
  };

  /**
   * One reload at a time (SIGHUP or the admin API's): a request during one runs after it. Rejects only when
   * the reload itself broke (logged), not for a config with errors (`applied: false`).
   */
  requestReload(): Promise<ReloadOutcome> {
    if (!this.running || this.stopping)
      return Promise.reject(new Error('the broker is not running: nothing to reload'));
    const previous = this.reloading ?? Promise.resolve();
    const next = previous.then(() =>
      this.reload().catch((err: unknown) => {
        this.log.error({ err }, 'reload failed');
        throw err;
      }),
    );
    this.reloading = next.catch(() => undefined);
    return next;
  }
}
