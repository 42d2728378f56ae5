/**
 * `client_ids`: which client ids each user may connect with (issue 11, finding 2). Unit-level through the
 * plugin's hooks, and on the wire in a broker (the plugin given as an object, its options baked in).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { allow, definePlugin } from '@midge/mqtt-core';
import type { ClientInfo, ConnectPacket, PluginHooks } from '@midge/mqtt-core';
import {
  createTestBroker,
  issuePaths,
  RawClient,
  setupPlugin,
  testClientInfo,
  validatePluginConfig,
  type TestBroker,
} from '@midge/mqtt-core/testing';
import plugin, { clientIdMatches, parseClientIdPattern } from '../src/index.js';

const RULES = {
  client_ids: {
    alice: ['alice-*', 'sensor-7'],
    anonymous: ['anon-*'],
    '*': ['%u-*', '%u'],
  },
};

function request(
  username: string | undefined,
  clientId: string,
  connectId = clientId,
): { client: ClientInfo; connect: ConnectPacket } {
  return {
    client: testClientInfo(username, { clientId }),
    connect: {
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      clean: true,
      keepalive: 0,
      clientId: connectId,
    },
  };
}

async function verdict(
  hooks: PluginHooks,
  username: string | undefined,
  clientId: string,
  connectId?: string,
): Promise<string> {
  return (await hooks.authorizeClient!(request(username, clientId, connectId))).verdict;
}

describe('client id patterns', () => {
  it.each([
    ['%u-*', 'bob', 'bob-phone', true],
    ['%u-*', 'bob', 'bob-', true],
    ['%u-*', 'bob', 'bobby-phone', false],
    ['%u-*', 'bob', 'alice-phone', false],
    ['%u-*', undefined, '-phone', false],
    ['*-%u', 'bob', 'x-y-bob', true],
    ['a*b*c', 'u', 'aXbYbc', true],
    ['a*b*c', 'u', 'aXbYbd', false],
    ['exact', 'u', 'exact', true],
    ['exact', 'u', 'exact2', false],
    ['*', undefined, 'anything', true],
    ['%u', 'a*b', 'a*b', true],
    ['%u', 'a*b', 'aXb', false],
  ] as const)('%s for user %s matches %s: %s', (pattern, username, clientId, expected) => {
    expect(clientIdMatches(parseClientIdPattern(pattern), username, clientId)).toBe(expected);
  });
});

describe('client_ids option', () => {
  it('is optional, and old configs stay valid', async () => {
    expect((await validatePluginConfig(plugin, {})).issues).toBeUndefined();
    expect((await validatePluginConfig(plugin, { publish_acl: { alice: ['a/#'] } })).issues).toBeUndefined();
    const { hooks } = await setupPlugin(plugin, { publish_acl: { alice: ['a/#'] } });
    expect('authorizeClient' in hooks).toBe(false);
  });

  it('accepts the map and list forms, and rejects empty patterns', async () => {
    expect((await validatePluginConfig(plugin, RULES)).issues).toBeUndefined();
    expect(
      (await validatePluginConfig(plugin, { client_ids: [{ alice: ['a-*'] }, { bob: ['b'] }] })).issues,
    ).toBeUndefined();
    expect(issuePaths(await validatePluginConfig(plugin, { client_ids: { alice: [''] } }))).toEqual([
      'client_ids.alice.0',
    ]);
  });

  it("checks a user's patterns, '*' for users not listed, 'anonymous' for clients without a username", async () => {
    const { hooks } = await setupPlugin(plugin, RULES);
    expect(await verdict(hooks, 'alice', 'alice-laptop')).toBe('abstain');
    expect(await verdict(hooks, 'alice', 'sensor-7')).toBe('abstain');
    expect(await verdict(hooks, 'alice', 'bob-phone')).toBe('deny');
    expect(await verdict(hooks, 'bob', 'bob-phone')).toBe('abstain');
    expect(await verdict(hooks, 'bob', 'bob')).toBe('abstain');
    expect(await verdict(hooks, 'bob', 'alice-laptop')).toBe('deny');
    expect(await verdict(hooks, undefined, 'anon-1')).toBe('abstain');
    expect(await verdict(hooks, undefined, 'bob-phone')).toBe('deny');
  });

  it('a user not listed is refused when there is no * entry; an id the broker assigned is always fine', async () => {
    const { hooks } = await setupPlugin(plugin, { client_ids: { alice: ['%u-*'] } });
    expect(await verdict(hooks, 'bob', 'bob-1')).toBe('deny');
    expect(await verdict(hooks, 'bob', 'midge-assigned', '')).toBe('abstain');
  });
});

describe('client_ids in a broker', () => {
  let tb: TestBroker | undefined;
  const clients: RawClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await tb?.close();
    tb = undefined;
  });

  /** The ACL plugin with RULES, next to an authentication plugin that lets everyone in. */
  async function start(): Promise<TestBroker> {
    const configured = definePlugin({
      name: 'acl-with-rules',
      apiVersion: 1,
      setup: (ctx) => plugin.setup(ctx, RULES as unknown as never),
    });
    const everyone = definePlugin({ name: 'everyone', apiVersion: 1, setup: () => ({ authenticate: () => allow }) });
    tb = await createTestBroker({}, { plugins: [everyone, configured] });
    return tb;
  }

  async function connect(options: Partial<Omit<ConnectPacket, 'type'>>) {
    const c = await RawClient.connect(tb!.port);
    clients.push(c);
    return c.connect(options);
  }

  it("refuses a client id outside the user's patterns: v5 0x85, v3.1.1 0x02", async () => {
    await start();
    expect((await connect({ clientId: 'bob-phone', username: 'alice', protocolVersion: 5 })).reasonCode).toBe(0x85);
    expect((await connect({ clientId: 'bob-phone', username: 'alice' })).reasonCode).toBe(0x02);
    expect((await connect({ clientId: 'alice-phone', username: 'alice' })).reasonCode).toBe(0);
    expect((await connect({ clientId: 'bob-phone', protocolVersion: 5 })).reasonCode).toBe(0x85);
  });
});
