/**
 * Running the plugins' own checks (`check(ctx, config)`, optional) for `midge --check` / `checkConfig`:
 * what a plugin would load at setup (its password file...) is read and judged without setting anything
 * up. Each problem becomes a config problem at `plugins.'<key>'.<option>`, so it gets the option's line
 * and column like every other problem of the file.
 */
import { formatPath, type PathSegment } from '../config/issues.js';
import type { ConfigIssue, ConfigWarning, PluginEntry } from '../config/types.js';
import { messageOf } from '../error-message.js';
import type { MidgePlugin, PluginCheckProblem } from '../plugin-api/types.js';
import { call, TIMED_OUT, withTimeout } from './timeout.js';

export interface PluginCheckOptions {
  /** Folder of the config file: the plugins' `ctx.configDir`. */
  readonly configDir: string;
  /** Milliseconds one plugin's check may take (plugin_setup_timeout); 0 = no limit. */
  readonly timeoutMs: number;
}

export interface PluginCheckResult {
  readonly issues: ConfigIssue[];
  readonly warnings: ConfigWarning[];
}

/**
 * Runs `check` of every plugin that has one and whose options are valid (`configs[i]` from
 * validatePluginConfigs; undefined entries are skipped), one after the other, in config order.
 * A check that throws or times out is a problem of that plugin.
 */
export async function runPluginChecks(
  entries: readonly PluginEntry[],
  plugins: readonly (MidgePlugin | undefined)[],
  configs: readonly unknown[],
  options: PluginCheckOptions,
): Promise<PluginCheckResult> {
  const issues: ConfigIssue[] = [];
  const warnings: ConfigWarning[] = [];
  for (let i = 0; i < plugins.length; i++) {
    const plugin = plugins[i];
    const entry = entries[i];
    const config = configs[i];
    if (plugin?.check === undefined || entry === undefined || config === undefined) continue;
    const at = formatPath(['plugins', entry.key]);
    const ctx = { name: plugin.name, key: entry.key, configDir: options.configDir };
    let found: unknown;
    try {
      found = await withTimeout(
        call(() => plugin.check?.(ctx, config)),
        options.timeoutMs,
      );
    } catch (err) {
      issues.push({ path: at, message: `the plugin's check failed: ${messageOf(err)}` });
      continue;
    }
    if (found === TIMED_OUT) {
      issues.push({ path: at, message: `the plugin's check did not finish within ${options.timeoutMs} ms` });
      continue;
    }
    if (!Array.isArray(found)) {
      issues.push({
        path: at,
        message: "the plugin's check must return a list of problems (empty when there are none)",
      });
      continue;
    }
    for (const problem of found as readonly PluginCheckProblem[]) {
      const item = { path: problemPath(entry.key, problem.option), message: String(problem.message) };
      if (problem.severity === 'warning') warnings.push(item);
      else issues.push(item);
    }
  }
  return { issues, warnings };
}

function problemPath(key: string, option: PluginCheckProblem['option']): string {
  const below: readonly PathSegment[] = option === undefined ? [] : typeof option === 'string' ? [option] : option;
  return formatPath(['plugins', key, ...below]);
}
