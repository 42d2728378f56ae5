// The plugin host's public surface: the broker and embedders import from here.
export { PluginHost } from './host.js';
export type {
  DefaultDecision,
  LoadedPluginInfo,
  PluginHostOptions,
  PluginRebuild,
  PluginReloadFailure,
  PluginReloadResult,
} from './host.js';
export { describePluginChange, planPluginChanges } from './plugin-changes.js';
export type { PluginChange, PluginChangeKind, PluginChangePlan } from './plugin-changes.js';
export { checkNamesAndDependencies, formatIssuePath, validatePluginConfigs } from './validate.js';
export { checkPlugin, isPathSpecifier, packageNameOf, resolvePlugin } from './resolve.js';
export type { ResolvedPlugin, ResolvePluginOptions } from './resolve.js';
