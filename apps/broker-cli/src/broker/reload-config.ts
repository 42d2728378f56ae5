/**
 * SIGHUP: the config file read and checked again as at start (file:line:col for every problem, TLS files
 * read), then applied to the running broker (`Broker.reconfigure`), each change and each setting that
 * needs a restart logged; plugins kept as they were re-read their files (`Broker.reload`). A config with
 * errors changes nothing: every error is logged and the running config stays.
 */
import {
  type Broker,
  checkTlsMaterial,
  ConfigError,
  formatConfigIssues,
  loadConfig,
  type ConfigOverrides,
  type Logger,
} from '@midge/mqtt-core';
import type { ConfigSource } from './config-source.js';
import { withEveryProblem } from './every-problem.js';

export async function reloadConfig(
  broker: Broker,
  src: ConfigSource,
  overrides: ConfigOverrides,
  log: Logger,
): Promise<void> {
  log.info({ config: src.label }, `reloading config ${src.label}`);
  let next;
  try {
    const loaded = await loadConfig(src.source, { configDir: src.configDir, overrides }).catch(async (err: unknown) => {
      throw await withEveryProblem(err, src, overrides);
    });
    const tls = await checkTlsMaterial(loaded.config.listeners);
    if (tls.length > 0)
      throw new ConfigError(
        tls.map((i) => loaded.positions?.annotate(i) ?? i),
        loaded.config.config_file,
      );
    next = loaded.config;
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const issue of err.issues) log.error({ path: issue.path }, formatConfigIssues([issue], src.label));
      log.error(`the config has ${err.issues.length} error(s): nothing changed, the running config stays`);
    } else log.error({ err }, 'reading the config failed: nothing changed, the running config stays');
    return;
  }
  const report = await broker.reconfigure(next);
  for (const change of report.changes) log.info(change);
  for (const failure of report.failures) log.error(failure);
  for (const key of report.needsRestart) log.warn({ path: key }, `${key} changed: it needs a restart to apply`);
  // Plugins kept as they were re-read their files (password file, ACLs); new ones just read them.
  await broker.reload();
  if (report.changes.length === 0 && report.failures.length === 0 && report.needsRestart.length === 0)
    log.info('no change in the config (plugins re-read their files)');
  log.info('reloaded');
}
