import { describe, expect, test } from 'vitest';
import { DEFAULT_CONFIG_YAML, defaultPluginMap } from '../../src/config/defaults.js';
import { loadConfig, parseConfigYaml } from '../../src/config/load.js';
import { CONFIG_DEFAULTS } from '../../src/config/schema.js';
import { AMQTT_DEFAULT_YAML, AMQTT_LEGACY_DEFAULT_YAML, DEFAULT_PLUGINS } from './fixtures.js';

const DEFAULT_LISTENER = {
  name: 'default',
  type: 'tcp',
  bind: '0.0.0.0:1883',
  host: '0.0.0.0',
  port: 1883,
  max_connections: 0,
  ssl: false,
  require_certificate: false,
  use_identity_as_username: false,
};

describe('default config', () => {
  test('DEFAULT_CONFIG_YAML is aMQTT default config with our package names, and loads without warnings', async () => {
    const { config, deprecations } = await loadConfig(parseConfigYaml(DEFAULT_CONFIG_YAML));
    expect(deprecations).toEqual([]);
    expect(config.listeners).toEqual({ default: DEFAULT_LISTENER });
    expect(config.plugins).toEqual(DEFAULT_PLUGINS);
    expect(config).toMatchObject(CONFIG_DEFAULTS);
    expect(config.timeout_disconnect_delay).toBe(0);
  });

  test('an empty config gets exactly the default config', async () => {
    const fromEmpty = await loadConfig({});
    const fromDefault = await loadConfig(parseConfigYaml(DEFAULT_CONFIG_YAML));
    expect(fromEmpty).toEqual(fromDefault);
  });

  test('the limits have the documented defaults', async () => {
    const { config } = await loadConfig({});
    expect(config).toMatchObject({
      connect_timeout: 10,
      timeout_disconnect_delay: 0,
      max_packet_size: 1_048_576,
      max_inflight_messages: 20,
      max_queued_messages: 1000,
      session_expiry_interval: 0,
      max_topic_length: 65_535,
      max_topic_levels: 1024,
      max_outgoing_bytes: 4_194_304,
      slow_reader_timeout: 30,
      max_buffered_before_connack: 65_536,
      topic_alias_maximum: 10,
      plugin_decision_timeout: 5000,
      plugin_setup_timeout: 10_000,
      default_decision: 'deny',
      log_level: 'info',
      session_owner: 'strict',
      max_packet_size_before_connack: 65_536,
      max_unauthenticated_bytes: 33_554_432,
      max_filters_per_subscribe: 500,
      max_user_properties: 64,
      max_user_properties_bytes: 65_536,
      max_queued_bytes: 67_108_864,
      max_subscriptions_per_client: 10_000,
      max_retained_messages: 1_000_000,
      max_retained_bytes: 536_870_912,
      max_persistent_sessions: 100_000,
      receive_maximum: 1024,
      control_characters: 'reject',
      outgoing_topic_alias_maximum: 0,
      limit_log_interval: 60,
      max_keepalive: 65_535,
    });
    expect(config.config_dir).toBe(process.cwd());
    expect(config.config_file).toBeUndefined();
  });

  test("aMQTT's default config (class names) loads unchanged into the same config", async () => {
    const ours = await loadConfig({});
    const { config, deprecations } = await loadConfig(parseConfigYaml(AMQTT_DEFAULT_YAML));
    expect(config).toEqual(ours.config);
    // The class names are still translated, and say so.
    expect(deprecations.map((d) => d.message)).toEqual([
      "'amqtt.plugins.logging_amqtt.EventLoggerPlugin' is aMQTT's class name: use '@midge/plugin-logging/event-logger'",
      "'amqtt.plugins.logging_amqtt.PacketLoggerPlugin' is aMQTT's class name: use '@midge/plugin-logging/packet-logger'",
      "'amqtt.plugins.authentication.AnonymousAuthPlugin' is aMQTT's class name: use '@midge/plugin-auth-anonymous'",
      "'amqtt.plugins.sys.broker.BrokerSysPlugin' is aMQTT's class name: use '@midge/plugin-sys'",
    ]);
  });

  test("aMQTT's legacy default config (auth, topic-check, sys_interval) loads into the same config", async () => {
    const ours = await loadConfig({});
    const { config, deprecations } = await loadConfig(parseConfigYaml(AMQTT_LEGACY_DEFAULT_YAML));
    expect(config).toEqual(ours.config);
    expect(deprecations).toEqual([
      {
        path: 'auth',
        message: "'auth' is deprecated: use plugins: { '@midge/plugin-auth-anonymous': { allow_anonymous: true } }",
      },
      { path: 'topic-check', message: "'topic-check' is deprecated: with enabled: false it does nothing; remove it" },
      {
        path: 'sys_interval',
        message: "'sys_interval' is deprecated: use plugins: { '@midge/plugin-sys': { sys_interval: 20 } }",
      },
    ]);
  });

  test('defaultPluginMap returns a fresh copy each time', () => {
    const a = defaultPluginMap();
    a['@midge/plugin-sys'] = { sys_interval: 1 };
    expect(defaultPluginMap()['@midge/plugin-sys']).toEqual({ sys_interval: 20 });
  });
});
