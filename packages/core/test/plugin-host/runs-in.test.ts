/**
 * Where a plugin runs (`runsIn`): the broker's host gives `ctx.broker`, a client's host gives `ctx.client`,
 * and each refuses plugins made for the other side.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type MqttClient } from '../../src/client/index.js';
import { PluginError } from '../../src/errors.js';
import { definePlugin } from '../../src/plugin-api/define.js';
import type { ClientApi, ClientPluginContext, PluginContext } from '../../src/plugin-api/types.js';
import { createTestBroker, type TestBroker } from '../../src/testing/index.js';
import { client, fakeBroker, startHost } from './helpers.js';

const fakeClient: ClientApi = { publish: () => Promise.resolve(), info: () => client };

function recorder(runsIn: 'broker' | 'client' | 'both' | undefined, seen: (PluginContext | ClientPluginContext)[]) {
  return definePlugin({
    name: `runs-in-${runsIn ?? 'absent'}`,
    apiVersion: 1,
    ...(runsIn !== undefined ? { runsIn } : {}),
    setup: (ctx: PluginContext | ClientPluginContext) => {
      seen.push(ctx);
      return {};
    },
  });
}

async function refusal(start: Promise<unknown>): Promise<PluginError> {
  const err: unknown = await start.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginError);
  return err as PluginError;
}

describe('runsIn', () => {
  it.each([undefined, 'broker', 'both'] as const)('a broker host sets up runsIn %s with ctx.broker', async (runsIn) => {
    const seen: (PluginContext | ClientPluginContext)[] = [];
    await startHost([recorder(runsIn, seen)]);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.broker).toBe(fakeBroker);
    expect(seen[0]?.client).toBeUndefined();
  });

  it.each(['client', 'both'] as const)('a client host sets up runsIn %s with ctx.client', async (runsIn) => {
    const seen: (PluginContext | ClientPluginContext)[] = [];
    await startHost([recorder(runsIn, seen)], { client: fakeClient });
    expect(seen[0]?.client).toBe(fakeClient);
    expect(seen[0]?.broker).toBeUndefined();
  });

  it('a broker host refuses a client plugin, naming it', async () => {
    const err = await refusal(startHost([recorder('client', [])]));
    expect(err.code).toBe('PLUGIN_INVALID');
    expect(err.message).toMatch(/runs-in-client.*runs in MQTT clients only/);
  });

  it.each([undefined, 'broker'] as const)(
    'a client host refuses runsIn %s (a broker plugin), naming the fix',
    async (runsIn) => {
      const err = await refusal(startHost([recorder(runsIn, [])], { client: fakeClient }));
      expect(err.code).toBe('PLUGIN_INVALID');
      expect(err.message).toMatch(/is a broker plugin.*runsIn: 'client' or 'both'/);
    },
  );

  it('definePlugin refuses an unknown runsIn', () => {
    expect(() => definePlugin({ name: 'x', apiVersion: 1, runsIn: 'server' as 'broker', setup: () => ({}) })).toThrow(
      /`runsIn` must be 'broker', 'client' or 'both' \(got "server"\)/,
    );
  });
});

describe('a client plugin in a real client', () => {
  let tb: TestBroker | undefined;
  let publisher: MqttClient | undefined;
  let reader: MqttClient | undefined;
  afterEach(async () => {
    await publisher?.end(true);
    await reader?.end(true);
    await tb?.close();
    tb = publisher = reader = undefined;
  });

  it('publishes through its client with ctx.client.publish and sees its client id in ctx.client.info()', async () => {
    tb = await createTestBroker();
    reader = await connect(tb.url, { clientId: 'reader' });
    await reader.subscribe('hello/#', { qos: 1 });
    const messages = reader.messages();

    let api: ClientApi | undefined;
    const greeter = definePlugin({
      name: 'greeter',
      apiVersion: 1,
      runsIn: 'client',
      setup: (ctx) => {
        api = ctx.client;
        return {};
      },
    });
    publisher = await connect(tb.url, { clientId: 'greeter-client', extraPlugins: [greeter] });
    // Plugins are set up before the client connects.
    expect(api?.info().clientId).toBe('greeter-client');
    await api?.publish({ topic: 'hello/world', payload: 'hi', qos: 1 });

    for await (const msg of messages) {
      expect(msg.topic).toBe('hello/world');
      expect(msg.payload.toString()).toBe('hi');
      break;
    }
  });
});
