/** aMQTT's default broker configs, exactly as printed in aMQTT's "Packaged Plugins" documentation. */
export const AMQTT_DEFAULT_YAML = `---
listeners:
  default:
    type: tcp
    bind: 0.0.0.0:1883
plugins:
  amqtt.plugins.logging_amqtt.EventLoggerPlugin:
  amqtt.plugins.logging_amqtt.PacketLoggerPlugin:
  amqtt.plugins.authentication.AnonymousAuthPlugin:
    allow_anonymous: true
  amqtt.plugins.sys.broker.BrokerSysPlugin:
    sys_interval: 20
`;

/** aMQTT's previous (entry-point era) default broker config. */
export const AMQTT_LEGACY_DEFAULT_YAML = `---
listeners:
  default:
    type: tcp
    bind: 0.0.0.0:1883
sys_interval: 20
auth:
  plugins:
    - auth_anonymous
  allow-anonymous: true
topic-check:
  enabled: False
`;

export const DEFAULT_PLUGINS = [
  { key: '@midge/plugin-logging/event-logger', specifier: '@midge/plugin-logging/event-logger', config: {} },
  { key: '@midge/plugin-logging/packet-logger', specifier: '@midge/plugin-logging/packet-logger', config: {} },
  { key: '@midge/plugin-auth-anonymous', specifier: '@midge/plugin-auth-anonymous', config: { allow_anonymous: true } },
  { key: '@midge/plugin-sys', specifier: '@midge/plugin-sys', config: { sys_interval: 20 } },
];
