// The package root: re-exports only.
export * from './errors.js';
export * from './codec/packets.js';
export * from './plugin-api/index.js';
export * from './config/index.js';
export { configuredLogLevel, createLogger, loggerFromConfig, nullLogger, openLogFile } from './log.js';
export type { LogFile } from './log.js';
export { Broker, createBroker, NO_AUTH_WARNING } from './broker/broker.js';
export type { BrokerOptions, ListenerAddress, ReloadReport } from './broker/broker.js';
export { checkConfig, type CheckConfigOptions, type ConfigCheckResult } from './config/check.js';
export type { ConnectionInfo } from './broker/listeners.js';
export type { PluginHostLike } from './broker/plugin-port.js';
export type { BrokerEventListener } from './broker/events.js';
export { MemoryPersistence } from './persistence/memory.js';
export type * from './persistence/types.js';
export { createStore, importStore, type LoadPersistenceOptions } from './persistence/load.js';
export {
  filterCovers,
  isSysTopic,
  parseSharedFilter,
  topicMatchesFilter,
  validateTopicFilter,
  validateTopicName,
} from './broker/topic.js';
export type { TopicLimits } from './broker/topic.js';
