/**
 * Which plugins a config reload touches (`PluginHost.rebuild`), worked out before any is closed: a plugin
 * whose key, package and options are the same is kept as it runs (its state, connections and ports stay);
 * one whose options changed is closed and set up again; one that depends on a plugin set up again is set
 * up again too (it was set up after it, and may hold on to what it made); added ones are set up, removed
 * ones closed.
 */
import { isDeepStrictEqual } from 'node:util';

/** A plugin as it runs: its config key, what its key resolved from, its raw options and its name. */
export interface RunningPlugin {
  readonly key: string;
  readonly specifier: string;
  readonly config: unknown;
  readonly name: string;
}

/** A plugin as the new config lists it, with the names it depends on. */
export interface WantedPlugin extends RunningPlugin {
  readonly dependencies: readonly string[];
}

export type PluginChangeKind = 'added' | 'options changed' | 'dependency set up again' | 'removed';

export interface PluginChange {
  readonly key: string;
  readonly kind: PluginChangeKind;
}

export interface PluginChangePlan {
  /** Keys of the plugins kept as they run. */
  readonly keep: ReadonlySet<string>;
  /** Keys of the running plugins to close (removed or set up again), dependents before their dependencies. */
  readonly close: readonly string[];
  /** What changes, one entry per plugin touched: removed ones first, then the new config's order. */
  readonly changes: readonly PluginChange[];
}

export function planPluginChanges(
  running: readonly RunningPlugin[],
  wanted: readonly WantedPlugin[],
): PluginChangePlan {
  const before = new Map(running.map((p) => [p.key, p]));
  const wantedKeys = new Set(wanted.map((p) => p.key));
  const keep = new Set<string>();
  const changes: PluginChange[] = running
    .filter((p) => !wantedKeys.has(p.key))
    .map((p) => ({ key: p.key, kind: 'removed' }));
  /** Names of the plugins (re)made by this reload: their dependents are set up again after them. */
  const remade = new Set<string>();
  // Dependencies are listed before their dependents (the config is refused otherwise): one pass suffices.
  for (const p of wanted) {
    const old = before.get(p.key);
    let kind: PluginChangeKind | undefined;
    if (old === undefined) kind = 'added';
    else if (old.specifier !== p.specifier || old.name !== p.name || !isDeepStrictEqual(old.config, p.config))
      kind = 'options changed';
    else if (p.dependencies.some((d) => remade.has(d))) kind = 'dependency set up again';
    if (kind === undefined) {
      keep.add(p.key);
      continue;
    }
    remade.add(p.name);
    changes.push({ key: p.key, kind });
  }
  // Closed in reverse setup order, as at shutdown: a dependent goes before what it depends on.
  const close = running
    .filter((p) => !keep.has(p.key))
    .map((p) => p.key)
    .reverse();
  return { keep, close, changes };
}

/** One log line for a plugin change ("plugin @midge/plugin-topic-acl: options changed, set up again"). */
export function describePluginChange(change: PluginChange): string {
  switch (change.kind) {
    case 'added':
      return `plugin ${change.key} added and set up`;
    case 'options changed':
      return `plugin ${change.key}: options changed, set up again`;
    case 'dependency set up again':
      return `plugin ${change.key}: set up again after a plugin it depends on`;
    case 'removed':
      return `plugin ${change.key} removed and closed`;
  }
}
