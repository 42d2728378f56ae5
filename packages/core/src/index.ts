// The package root: re-exports only (DESIGN section 1).
export * from './errors.js';
export * from './codec/packets.js';
export * from './plugin-api/index.js';
export * from './config/index.js';
export { createLogger, nullLogger } from './log.js';
export { Broker, createBroker, NO_AUTH_WARNING } from './broker/broker.js';
export type { BrokerOptions, ListenerAddress } from './broker/broker.js';
export { checkConfig, type CheckConfigOptions, type ConfigCheckResult } from './broker/check.js';
export type { ConnectionInfo } from './broker/connection.js';
export type { PluginHostLike } from './broker/host.js';
export type { BrokerEventListener } from './broker/events.js';
export {
  capYoungGeneration,
  nodeYoungGenerationRuntime,
  type YoungGenerationCap,
  type YoungGenerationCapState,
  type YoungGenerationOptions,
  type YoungGenerationRuntime,
} from './runtime/young-generation.js';
export { MemoryPersistence } from './persistence/memory.js';
export type * from './persistence/types.js';
export {
  filterCovers,
  isSysTopic,
  parseSharedFilter,
  topicMatchesFilter,
  validateTopicFilter,
  validateTopicName,
} from './broker/topic.js';
export type { TopicLimits } from './broker/topic.js';
