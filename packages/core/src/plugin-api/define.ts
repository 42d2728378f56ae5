import { PluginError } from '../errors.js';
import { PLUGIN_API_VERSION, PLUGIN_BRAND } from './types.js';
import type { MidgePlugin, PluginDefinition, PluginRunsIn } from './types.js';

/**
 * Declares a plugin: the default export of every plugin package.
 *
 * The definition is checked here, when the plugin module is imported, so a malformed plugin fails with a
 * message about the definition instead of a confusing error later in setup. The result carries
 * PLUGIN_BRAND, a registered symbol (`Symbol.for`), so a plugin built against another copy of
 * `@midge/mqtt-core` is still recognised by this broker.
 *
 * Types flow from the definition: `setup`'s config is what `configSchema` outputs (`unknown` without a
 * schema), and its context is the one `runsIn` names (the broker's when absent).
 *
 * @throws PluginError `PLUGIN_INVALID` when the definition is malformed.
 */
export function definePlugin<C, R extends PluginRunsIn = 'broker'>(def: PluginDefinition<C, R>): MidgePlugin<C, R> {
  const problem = definitionProblem(def);
  if (problem !== undefined) {
    const name = isRecord(def) && typeof def.name === 'string' && def.name !== '' ? def.name : '<unnamed>';
    throw new PluginError('PLUGIN_INVALID', name, `invalid definePlugin() definition: ${problem}`);
  }
  // Spread keeps helper properties the author put next to setup (reachable through `this`).
  return Object.freeze({ ...def, [PLUGIN_BRAND]: true as const });
}

/** True for a value made by definePlugin (of any copy of this package). Does not check apiVersion. */
export function isMidgePlugin(x: unknown): x is MidgePlugin {
  return isRecord(x) && x[PLUGIN_BRAND] === true;
}

/** Why `def` is not a usable definition, or undefined when it is. Shared with the resolver. */
export function definitionProblem(def: unknown): string | undefined {
  if (!isRecord(def)) return 'expected an object';
  if (typeof def.name !== 'string' || def.name.trim() === '') return '`name` must be a non-empty string';
  if (def.apiVersion !== PLUGIN_API_VERSION) {
    return `\`apiVersion\` must be ${PLUGIN_API_VERSION} (got ${describe(def.apiVersion)})`;
  }
  if (typeof def.setup !== 'function') return '`setup` must be a function';
  if (def.check !== undefined && typeof def.check !== 'function') return '`check` must be a function when given';
  if (def.runsIn !== undefined && !RUNS_IN.includes(def.runsIn as PluginRunsIn)) {
    return `\`runsIn\` must be 'broker', 'client' or 'both' (got ${describe(def.runsIn)})`;
  }
  if (def.configSchema !== undefined) {
    const std = isRecord(def.configSchema) ? def.configSchema['~standard'] : undefined;
    if (!isRecord(std) || typeof std.validate !== 'function') {
      return '`configSchema` must be a Standard Schema validator (valibot, zod, arktype...)';
    }
  }
  if (def.dependencies !== undefined) {
    if (!Array.isArray(def.dependencies) || !def.dependencies.every((d) => typeof d === 'string' && d !== '')) {
      return '`dependencies` must be an array of plugin names';
    }
  }
  return undefined;
}

const RUNS_IN: readonly PluginRunsIn[] = ['broker', 'client', 'both'];

function isRecord(x: unknown): x is Record<PropertyKey, unknown> {
  return (typeof x === 'object' && x !== null) || typeof x === 'function';
}

function describe(x: unknown): string {
  return typeof x === 'string' ? JSON.stringify(x) : String(x);
}
