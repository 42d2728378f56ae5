/**
 * Plugin resolution: a `plugins:` key names a package, a package subpath or a file
 * relative to the config file. Packages are looked up from each search dir in turn (the config file's
 * folder first, then the CLI's own folder so first-party plugins always resolve), imported, and the
 * export checked for the plugin brand and API version.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { moduleResolve } from 'import-meta-resolve';
import type { PluginEntry } from '../config/types.js';
import { messageOf } from '../error-message.js';
import { PluginError } from '../errors.js';
import { definitionProblem, isMidgePlugin } from '../plugin-api/define.js';
import { PLUGIN_API_VERSION } from '../plugin-api/types.js';
import type { MidgePlugin } from '../plugin-api/types.js';
import {
  describeSuggestion,
  installedPackages,
  isFirstPartyPackage,
  RETIRED_PLUGINS,
  suggestPluginName,
} from './suggest.js';

export interface ResolvePluginOptions {
  /**
   * Export conditions used to pick a package's entry point. Default: `node`, `import` and any
   * `--conditions` given to this Node process, i.e. what Node's own `import()` would use.
   */
  readonly conditions?: readonly string[];
}

export interface ResolvedPlugin {
  readonly plugin: MidgePlugin;
  /** The module's URL (file: URL for files and packages). */
  readonly url: string;
}

/**
 * Resolves and imports the plugin named by `entry.specifier`.
 *
 * @param searchDirs folders to resolve packages from, in order; `searchDirs[0]` is the config file's
 *   folder and is also the base of relative paths.
 * @throws PluginError (named after `entry.key`) with code `PLUGIN_NOT_FOUND`, `PLUGIN_LOAD_FAILED`,
 *   `PLUGIN_INVALID` or `PLUGIN_API_VERSION`.
 */
export async function resolvePlugin(
  entry: PluginEntry,
  searchDirs: readonly string[],
  options: ResolvePluginOptions = {},
): Promise<ResolvedPlugin> {
  const url = locate(entry, searchDirs, options.conditions ?? defaultConditions());
  let mod: unknown;
  try {
    mod = await import(/* @vite-ignore */ url);
  } catch (err) {
    throw new PluginError('PLUGIN_LOAD_FAILED', entry.key, `importing ${url} failed: ${messageOf(err)}`, {
      cause: err,
    });
  }
  const candidate = isRecord(mod) && 'default' in mod ? mod.default : mod;
  // The module itself counts when it is branded (a CommonJS `module.exports = plugin` arrives as default anyway).
  const plugin = isMidgePlugin(candidate) ? candidate : isMidgePlugin(mod) ? mod : candidate;
  const where = url.startsWith('file:') ? fileURLToPath(url) : url;
  return {
    plugin: checkPlugin(plugin, entry.key, isPathSpecifier(entry.specifier) ? where : `${entry.specifier} (${where})`),
    url,
  };
}

/**
 * Checks that `value` is a usable plugin for this broker: brand, apiVersion, then definition shape (a plugin
 * built against another copy of core was checked by that copy's definePlugin, not ours). Also used for
 * plugins handed over in memory.
 */
export function checkPlugin(value: unknown, key: string, where = 'the value given'): MidgePlugin {
  if (!isMidgePlugin(value)) {
    throw new PluginError(
      'PLUGIN_INVALID',
      key,
      `${where} does not export a Midge plugin (definePlugin): its default export must be the result of definePlugin({ name, apiVersion: ${PLUGIN_API_VERSION}, setup })`,
    );
  }
  const version: unknown = value.apiVersion;
  if (version !== PLUGIN_API_VERSION) {
    throw new PluginError(
      'PLUGIN_API_VERSION',
      key,
      `built for plugin API v${String(version)}, this broker supports v${PLUGIN_API_VERSION}: install a version of the plugin made for this broker`,
    );
  }
  const problem = definitionProblem(value);
  if (problem !== undefined) throw new PluginError('PLUGIN_INVALID', key, `invalid plugin definition: ${problem}`);
  return value;
}

/** True for specifiers that name a file rather than a package. */
export function isPathSpecifier(specifier: string): boolean {
  return (
    specifier.startsWith('./') ||
    specifier.startsWith('../') ||
    specifier === '.' ||
    specifier === '..' ||
    specifier.startsWith('file:') ||
    path.isAbsolute(specifier) ||
    // Windows-style relative paths written in a config file.
    specifier.startsWith('.\\') ||
    specifier.startsWith('..\\')
  );
}

/** `@scope/name/sub/path` → `@scope/name`; `name/sub` → `name`. */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** Why a specifier led to no module file (see locateModule). */
export type LocateFailure =
  /** A path specifier with nothing at its path. */
  | { readonly kind: 'no-file'; readonly file: string }
  /** A path specifier naming a folder or another non-file. */
  | { readonly kind: 'not-a-file'; readonly file: string }
  /** A package found from no search dir. */
  | { readonly kind: 'not-installed'; readonly pkg: string }
  /** The package was found but does not export the subpath. */
  | { readonly kind: 'not-exported'; readonly pkg: string; readonly dir: string; readonly cause: unknown }
  /** The package was found but its entry file is missing (not built). */
  | { readonly kind: 'entry-missing'; readonly pkg: string; readonly cause: unknown }
  | { readonly kind: 'unresolvable'; readonly cause: unknown };

/**
 * The URL of the module `specifier` names, found the way plugins are: a path (relative to
 * `searchDirs[0]`, absolute, or a file: URL) must be a file; a package (or package subpath) is resolved
 * from each search dir in turn, with Node's resolution and `conditions`. Shared by plugins and
 * persistence stores, which word their own errors from the failure.
 */
export function locateModule(
  specifier: string,
  searchDirs: readonly string[],
  conditions: readonly string[] = defaultConditions(),
): { readonly url: string } | { readonly failure: LocateFailure } {
  if (searchDirs.length === 0) throw new Error('locateModule: searchDirs must name at least the config folder');
  const conditionSet = new Set(conditions);

  if (isPathSpecifier(specifier)) {
    const file = specifier.startsWith('file:')
      ? fileURLToPath(specifier)
      : path.resolve(searchDirs[0] as string, specifier);
    const stat = statSync(file, { throwIfNoEntry: false });
    if (stat === undefined) return { failure: { kind: 'no-file', file } };
    if (!stat.isFile()) return { failure: { kind: 'not-a-file', file } };
    return { url: pathToFileURL(file).href };
  }

  const pkg = packageNameOf(specifier);
  for (const dir of searchDirs) {
    const base = pathToFileURL(path.resolve(dir) + path.sep);
    try {
      return { url: moduleResolve(specifier, base, conditionSet).href };
    } catch (err) {
      const code = codeOf(err);
      // Only "no such package from here" moves on to the next dir. Once a package is found it is the one
      // Node would load, so its own problems (missing entry file, unexported subpath) are reported as such.
      if (code === 'ERR_MODULE_NOT_FOUND' && !hasUrl(err) && messageOf(err).includes(`'${pkg}'`)) continue;
      if (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED') return { failure: { kind: 'not-exported', pkg, dir, cause: err } };
      if (code === 'ERR_MODULE_NOT_FOUND') return { failure: { kind: 'entry-missing', pkg, cause: err } };
      return { failure: { kind: 'unresolvable', cause: err } };
    }
  }
  return { failure: { kind: 'not-installed', pkg } };
}

function locate(entry: PluginEntry, searchDirs: readonly string[], conditions: readonly string[]): string {
  const { key, specifier } = entry;
  if (searchDirs.length === 0) throw new Error('resolvePlugin: searchDirs must name at least the config folder');
  const located = locateModule(specifier, searchDirs, conditions);
  if ('url' in located) return located.url;
  const failure = located.failure;
  switch (failure.kind) {
    case 'no-file':
      throw new PluginError(
        'PLUGIN_NOT_FOUND',
        key,
        `no plugin file at ${failure.file} (paths are relative to the config file's folder)`,
      );
    case 'not-a-file':
      throw new PluginError(
        'PLUGIN_NOT_FOUND',
        key,
        `${failure.file} is not a file: name the plugin's module file (e.g. ${path.join(failure.file, 'index.js')})`,
      );
    case 'not-exported': {
      const suggestion = suggestPluginName(specifier, installedPackages(searchDirs));
      const hint = suggestion === undefined ? '' : `; ${describeSuggestion(suggestion)}`;
      throw new PluginError(
        'PLUGIN_NOT_FOUND',
        key,
        `package ${failure.pkg} (found from ${failure.dir}) does not export ${specifier}${hint}: ${messageOf(failure.cause)}`,
        { cause: failure.cause },
      );
    }
    case 'entry-missing':
      throw new PluginError(
        'PLUGIN_LOAD_FAILED',
        key,
        `package ${failure.pkg} is installed but its entry file is missing (is it built?): ${messageOf(failure.cause)}`,
        { cause: failure.cause },
      );
    case 'unresolvable':
      throw new PluginError('PLUGIN_LOAD_FAILED', key, `cannot resolve ${specifier}: ${messageOf(failure.cause)}`, {
        cause: failure.cause,
      });
    case 'not-installed':
      throw new PluginError('PLUGIN_NOT_FOUND', key, notInstalledMessage(specifier, failure.pkg, searchDirs));
  }
}

/**
 * Why a package is missing and what to do. `npm install` is named only for our own packages: for any
 * other name it could install a typo-squatted package, so the closest known name is suggested instead.
 */
function notInstalledMessage(specifier: string, pkg: string, searchDirs: readonly string[]): string {
  const missing = `plugin package '${pkg}' is not installed (looked from ${searchDirs.join(', ')})`;
  const retired = RETIRED_PLUGINS[pkg];
  if (retired !== undefined) return `${missing}: it is ${retired}`;
  if (isFirstPartyPackage(pkg)) return `${missing}: install it next to the config file: npm install ${pkg}`;
  const suggestion = suggestPluginName(specifier, installedPackages(searchDirs));
  if (suggestion !== undefined) return `${missing}: ${describeSuggestion(suggestion)}`;
  return `${missing}, and no Midge plugin has a name close to it: check the spelling; a third-party plugin is installed next to the config file under the exact name its author published`;
}

let cachedConditions: readonly string[] | undefined;

/** Node's default import conditions plus the process's `--conditions`/`-C` flags (argv and NODE_OPTIONS). */
function defaultConditions(): readonly string[] {
  if (cachedConditions) return cachedConditions;
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean)];
  const out = ['node', 'import'];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const eq = /^(?:--conditions|-C)=(.+)$/.exec(a);
    if (eq) out.push(eq[1] as string);
    else if ((a === '--conditions' || a === '-C') && i + 1 < args.length) out.push(args[++i] as string);
  }
  cachedConditions = Object.freeze(out);
  return cachedConditions;
}

function isRecord(x: unknown): x is Record<PropertyKey, unknown> {
  return typeof x === 'object' && x !== null;
}
function codeOf(err: unknown): unknown {
  return isRecord(err) ? err.code : undefined;
}
function hasUrl(err: unknown): boolean {
  return isRecord(err) && typeof err.url === 'string';
}
