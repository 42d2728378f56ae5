/**
 * @midge/plugin-bridge: bridges to other MQTT brokers, configured like Mosquitto's. Each bridge is a
 * persistent session in this broker (its outgoing queue) and a client of the remote broker, both Midge's
 * own MQTT client (bridge.ts); options in config.ts, topic mapping in topic-map.ts.
 */
import { definePlugin } from '@midge/mqtt-core';
import type { PluginHooks } from '@midge/mqtt-core';
import { Bridge } from './bridge.js';
import { configSchema } from './config.js';
import type { PluginBridgeConfig } from './config.js';
import { checkFiles, loadSecrets } from './files.js';

export { configSchema } from './config.js';
export type { BridgeConfig, PluginBridgeConfig, TopicConfig } from './config.js';
export { stateTopic } from './bridge.js';
export { TopicMap } from './topic-map.js';

export const PLUGIN_NAME = '@midge/plugin-bridge';

export default definePlugin({
  name: PLUGIN_NAME,
  apiVersion: 1,
  configSchema,
  check: (ctx, config: PluginBridgeConfig) => checkFiles(config.bridges, ctx.configDir),
  async setup(ctx, config: PluginBridgeConfig): Promise<PluginHooks> {
    const bridges: Bridge[] = [];
    for (const [name, bridge] of Object.entries(config.bridges)) {
      const secrets = await loadSecrets(bridge, ctx.configDir);
      bridges.push(new Bridge({ name, config: bridge, secrets, broker: ctx.broker, logger: ctx.logger }));
    }
    // The local sessions connect through the broker itself, so not before every plugin (authentication
    // above all) is set up: at broker:post-start, which a reload also sends to the plugins it sets up.
    return {
      events: {
        'broker:post-start': () => {
          for (const b of bridges) b.start();
        },
      },
      metrics: () => bridges.flatMap((b) => b.metrics()),
      async close() {
        await Promise.all(bridges.map((b) => b.close()));
      },
    };
  },
});
