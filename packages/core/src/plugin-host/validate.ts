/**
 * The checks every plugin set passes before anything is set up, shared by PluginHost.start and
 * `checkConfig` (midge --check), so both report the same problems in the same words.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { formatPath } from '../config/issues.js';
import type { ConfigIssue, PluginEntry } from '../config/types.js';
import type { MidgePlugin } from '../plugin-api/types.js';
import { issueSegments, optionIssueMessage, valibotKeysAt } from './option-issues.js';

/**
 * Plugin names unique, each key listed once, dependencies loaded earlier. `plugins[i]` is undefined
 * for an entry that failed to resolve (`midge --check` goes on to report everything else).
 */
export function checkNamesAndDependencies(
  entries: readonly PluginEntry[],
  plugins: readonly (MidgePlugin | undefined)[],
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const keyOfName = new Map<string, string>();
  const keys = new Set<string>();
  for (let i = 0; i < plugins.length; i++) {
    const { key } = entries[i] as PluginEntry;
    const plugin = plugins[i];
    if (plugin === undefined) continue;
    const at = formatPath(['plugins', key]);
    if (keys.has(key)) issues.push({ path: at, message: 'this plugin is listed twice' });
    keys.add(key);

    for (const dep of plugin.dependencies ?? []) {
      if (dep === plugin.name) {
        issues.push({ path: at, message: `plugin "${dep}" cannot depend on itself` });
      } else if (!keyOfName.has(dep)) {
        const laterIndex = plugins.findIndex((q, j) => j > i && q?.name === dep);
        const laterKey = laterIndex >= 0 ? (entries[laterIndex] as PluginEntry).key : undefined;
        issues.push({
          path: at,
          message:
            laterKey === undefined
              ? `needs plugin "${dep}", which is not loaded: add it under plugins: before this one`
              : `needs plugin "${dep}" (${formatPath(['plugins', laterKey])}), which must be listed before this one`,
        });
      }
    }

    const other = keyOfName.get(plugin.name);
    if (other !== undefined && other !== key) {
      issues.push({
        path: at,
        message: `plugin name "${plugin.name}" is already used by ${formatPath(['plugins', other])}: names must be unique`,
      });
    } else {
      keyOfName.set(plugin.name, key);
    }
  }
  return issues;
}

/**
 * Validates every plugin's options with its Standard Schema, appending all problems to `issues` (worded
 * like core keys' problems: see option-issues.ts); returns the validated configs by index (undefined
 * where invalid or unresolved).
 */
export async function validatePluginConfigs(
  entries: readonly PluginEntry[],
  plugins: readonly (MidgePlugin | undefined)[],
  issues: ConfigIssue[],
): Promise<unknown[]> {
  const configs: unknown[] = [];
  for (let i = 0; i < plugins.length; i++) {
    const entry = entries[i] as PluginEntry;
    const plugin = plugins[i];
    if (plugin === undefined) {
      configs.push(undefined);
      continue;
    }
    const schema = plugin.configSchema;
    const at = ['plugins', entry.key];
    // The config loader turns an empty YAML section into {}; guard for in-memory entries anyway.
    const raw: unknown = entry.config ?? {};
    if (schema === undefined) {
      const keys = typeof raw === 'object' && raw !== null ? Object.keys(raw) : [];
      for (const k of keys) issues.push({ path: formatPath([...at, k]), message: 'this plugin takes no options' });
      configs.push(raw);
      continue;
    }
    let result: StandardSchemaV1.Result<unknown>;
    try {
      result = await schema['~standard'].validate(raw);
    } catch (err) {
      issues.push({
        path: formatPath(at),
        message: `the plugin's config schema failed: ${err instanceof Error ? err.message : String(err)}`,
      });
      configs.push(undefined);
      continue;
    }
    if (result.issues !== undefined) {
      const knownKeysAt = (parent: readonly (string | number)[]): readonly string[] => valibotKeysAt(schema, parent);
      for (const issue of result.issues) {
        issues.push({
          path: formatPath([...at, ...issueSegments(issue)]),
          message: optionIssueMessage(issue, knownKeysAt),
        });
      }
      configs.push(undefined);
    } else {
      configs.push(result.value);
    }
  }
  return configs;
}

/** Standard Schema path (keys or { key } segments) → `.a.b[0]`, appended to `plugins.'<key>'`. */
export function formatIssuePath(issuePath: StandardSchemaV1.Issue['path']): string {
  if (issuePath === undefined || issuePath.length === 0) return '';
  const path = formatPath(['', ...issueSegments({ message: '', path: issuePath })]);
  // formatPath quotes the empty leading segment (''); what follows it is the relative path.
  return path.slice(2);
}
