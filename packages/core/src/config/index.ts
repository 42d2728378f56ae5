export type {
  BrokerConfig,
  ConfigDeprecation,
  ConfigIssue,
  ConfigWarning,
  ListenerConfig,
  LogConfig,
  PersistenceConfig,
  PluginEntry,
} from './types.js';
export { loadConfig, parseConfigYaml } from './load.js';
export { checkTlsMaterial, loadTlsMaterial } from './tls-material.js';
export type { TlsFileKey, TlsMaterial, TlsMaterialResult, TlsProblem } from './tls-material.js';
export { ConfigPositions } from './positions.js';
export type { SourcePosition } from './positions.js';
export type { ConfigOverrides, LoadConfigOptions, LoadedConfig } from './load.js';
export { DEFAULT_CONFIG_YAML, DEFAULT_BIND, DEFAULT_LISTENER_NAME, defaultPluginMap } from './defaults.js';
export {
  CONFIG_DEFAULTS,
  DEFAULT_PERSISTENCE_STORE,
  LOG_FORMATS,
  LOG_LEVELS,
  PERSISTENCE_SYNC_MODES,
  brokerConfigSchema,
  listenerSchema,
} from './schema.js';
export type {
  ConfigInput,
  ListenerInput,
  LogFormat,
  LogLevel,
  PersistenceInput,
  PersistenceSyncMode,
} from './schema.js';
export {
  AMQTT_CLASS_NAMES,
  AMQTT_ENTRY_POINT_NAMES,
  PLUGIN_PACKAGES,
  mapAmqttPluginName,
  translateAmqtt,
} from './amqtt-compat.js';
export type { AmqttTranslation } from './amqtt-compat.js';
export { parseBind } from './bind.js';
export type { BindAddress } from './bind.js';
