/**
 * The default broker config: aMQTT's default broker config (amqtt.contexts.BrokerConfig()) with our package
 * names, so `midge` with no config behaves like `amqtt` with none.
 */
import { load } from 'js-yaml';

export const DEFAULT_CONFIG_YAML = `# Midge's default broker configuration: aMQTT's default, with Midge's plugin packages.
listeners:
  default:
    type: tcp
    bind: 0.0.0.0:1883
timeout_disconnect_delay: 0
plugins:
  '@midge/plugin-logging/event-logger':
  '@midge/plugin-logging/packet-logger':
  '@midge/plugin-auth-anonymous':
    allow_anonymous: true
  '@midge/plugin-sys':
    sys_interval: 20
`;

export const DEFAULT_LISTENER_NAME = 'default';
/** aMQTT's ListenerConfig default: what a listener binds when neither it nor `default` sets `bind`. */
export const DEFAULT_BIND = '0.0.0.0:1883';

type PluginMap = Record<string, Record<string, unknown> | null>;

let defaultPlugins: PluginMap | undefined;

/** A fresh copy of the `plugins:` map of DEFAULT_CONFIG_YAML (in order), safe to modify. */
export function defaultPluginMap(): PluginMap {
  defaultPlugins ??= (load(DEFAULT_CONFIG_YAML) as { plugins: PluginMap }).plugins;
  return structuredClone(defaultPlugins);
}
