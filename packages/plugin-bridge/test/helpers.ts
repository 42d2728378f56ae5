/**
 * Brokers and clients for the bridge tests: an edge Midge with the plugin (loaded by its package name,
 * as a config names it), remote Midges, and counters of what arrives where.
 */
import { fileURLToPath } from 'node:url';
import { definePlugin, type BrokerOptions, type MidgePlugin } from '@midge/mqtt-core';
import { connect, type ClientMessage, type MqttClient, type MqttClientOptions } from '@midge/mqtt-core/client';
import { createTestBroker, recordingLogger, type RecordingLogger, type TestBroker } from '@midge/mqtt-core/testing';
import { stateTopic } from '../src/index.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

/** A Midge with `@midge/plugin-bridge` and these bridges; `logger` records its log lines. */
export async function startEdge(
  bridges: Record<string, unknown>,
  logger: RecordingLogger = recordingLogger(),
  config: Record<string, unknown> = {},
  options: BrokerOptions = {},
): Promise<TestBroker> {
  return createTestBroker(
    { plugins: { '@midge/plugin-bridge': { bridges } }, ...config },
    { searchDirs: [packageDir], logger, ...options },
  );
}

/**
 * A plain Midge, on `port` when given (a restart takes the same port), with extra in-memory plugins and
 * broker options (a store).
 */
export function startRemote(port = 0, plugins: MidgePlugin[] = [], options: BrokerOptions = {}): Promise<TestBroker> {
  return createTestBroker(
    { listeners: { default: { type: 'tcp', bind: `127.0.0.1:${port}` } } },
    { plugins, ...options },
  );
}

/**
 * Records every message a broker accepts from a client (origin `client`), whether or not anyone
 * subscribed: what the bridge delivered to it. The list outlives the broker (a restart adds to it).
 */
export function arrivals(): { plugin: MidgePlugin; received: { topic: string; payload: string; qos: number }[] } {
  const received: { topic: string; payload: string; qos: number }[] = [];
  const plugin = definePlugin({
    name: 'test-arrivals',
    apiVersion: 1,
    setup: () => ({
      events: {
        'message:received': ({ message, origin }) => {
          if (origin === 'client')
            received.push({ topic: message.topic, payload: message.payload.toString(), qos: message.qos });
        },
      },
    }),
  });
  return { plugin, received };
}

export async function waitFor(predicate: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The bridge's retained state topic on `broker`: 'connected', 'disconnected' or undefined. */
export function bridgeState(tb: TestBroker, name: string): string | undefined {
  return tb.broker.api.getRetained(stateTopic(name))?.payload.toString();
}

const clients: MqttClient[] = [];

/** A client of `url` whose received messages are collected in `messages`; ended by `endClients`. */
export async function subscriber(
  url: string,
  filters: string[],
  options: MqttClientOptions & { qos?: 0 | 1 | 2 } = {},
): Promise<{ client: MqttClient; messages: ClientMessage[] }> {
  const client = await connect(url, { protocolVersion: 5, plugins: {}, ...options });
  clients.push(client);
  const messages: ClientMessage[] = [];
  client.on('message', (m) => messages.push(m));
  await client.subscribe(filters, { qos: options.qos ?? 2 });
  return { client, messages };
}

export async function publisher(url: string, options: MqttClientOptions = {}): Promise<MqttClient> {
  const client = await connect(url, { protocolVersion: 5, plugins: {}, ...options });
  clients.push(client);
  return client;
}

export async function endClients(): Promise<void> {
  await Promise.all(clients.splice(0).map((c) => c.end(true)));
}
