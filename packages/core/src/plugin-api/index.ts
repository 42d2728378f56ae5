/** The plugin API: what plugin packages import (re-exported from the package root by src/index.ts). */
export type * from './types.js';
export { PLUGIN_API_VERSION, PLUGIN_BRAND } from './types.js';
export { definePlugin, isMidgePlugin } from './define.js';
export { allow, allowAs, abstain, authenticated, challenge, deny } from './decision.js';
export type { DenyOptions } from './decision.js';
export { ZERO_STATS, ZERO_STORE_STATS, ZERO_TIMINGS } from './stats.js';
export { ANONYMOUS_USERNAME } from './identity.js';
export { effectiveFilter, topicFilterProblem } from './filters.js';
