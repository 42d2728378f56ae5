/**
 * SIGHUP: the config file read and checked again as `--check` does (every key, the listeners' TLS files,
 * every plugin's options and the files they read; not the store, which the running broker holds open),
 * then applied to the running broker (`Broker.reload(config)`), one log line per change, per failure and
 * per setting that needs a restart. A config with errors changes nothing: every error is logged with its
 * file:line:col and the running config stays.
 */
import {
  type Broker,
  checkConfig,
  type ConfigOverrides,
  formatConfigIssues,
  type Logger,
  type ReloadOutcome,
} from '@midge/mqtt-core';
import type { ConfigSource } from './config-source.js';

export async function reloadConfig(
  broker: Broker,
  src: ConfigSource,
  overrides: ConfigOverrides,
  log: Logger,
): Promise<ReloadOutcome> {
  log.info({ config: src.label }, `reloading config ${src.label}`);
  let result;
  try {
    result = await checkConfig(src.source, {
      configDir: src.configDir,
      searchDirs: src.searchDirs,
      overrides,
      store: false,
    });
  } catch (err) {
    log.error({ err }, `reading ${src.label} failed: nothing changed, the running config stays`);
    return refused([`reading ${src.label} failed: ${(err as Error).message}`]);
  }
  for (const w of [...result.deprecations, ...result.warnings])
    log.warn({ path: w.path }, formatConfigIssues([w], src.label));
  if (!result.ok || result.config === undefined) {
    for (const issue of result.issues) log.error({ path: issue.path }, formatConfigIssues([issue], src.label));
    log.error(
      { errors: result.issues.length },
      `${src.label} has ${result.issues.length} error(s): nothing changed, the running config stays`,
    );
    return refused(result.issues.map((issue) => formatConfigIssues([issue], src.label)));
  }
  const report = await broker.reload(result.config);
  for (const change of report.changes) log.info(change);
  for (const failure of report.failures) log.error(failure);
  for (const key of report.needsRestart)
    log.warn({ path: key }, `needs a restart: ${key} changed, the running value stays`);
  if (report.changes.length === 0 && report.failures.length === 0 && report.needsRestart.length === 0)
    log.info('no change (plugins re-read their files)');
  log.info(
    { changes: report.changes.length, failures: report.failures.length, needsRestart: report.needsRestart.length },
    'reloaded',
  );
  return { applied: true, errors: [], ...report };
}

function refused(errors: string[]): ReloadOutcome {
  return { applied: false, errors, changes: [], failures: [], needsRestart: [] };
}

/** SIGHUP without a config file (defaults and flags): nothing to read again but the plugins' own files. */
export async function reloadPluginFiles(broker: Broker, log: Logger): Promise<ReloadOutcome> {
  log.info('reloading: no config file to read again, plugins re-read their files');
  const report = await broker.reload();
  for (const failure of report.failures) log.error(failure);
  log.info({ changes: 0, failures: report.failures.length, needsRestart: 0 }, 'reloaded');
  return { applied: true, errors: [], ...report };
}
