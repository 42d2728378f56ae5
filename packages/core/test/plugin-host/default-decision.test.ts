/**
 * `default_decision` and veto hooks: what a topic request gets when every topic plugin abstained, in the
 * host and, through the config, in a running broker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect, SubscribeRefusedError, type MqttClient } from '../../src/client/index.js';
import type { ConnectPacket } from '../../src/codec/packets.js';
import { abstain, allow, deny } from '../../src/plugin-api/decision.js';
import { definePlugin } from '../../src/plugin-api/define.js';
import type {
  AbstainDecision,
  AuthenticateRequest,
  AuthorizeTopicRequest,
  MidgePlugin,
} from '../../src/plugin-api/types.js';
import { createTestBroker, type TestBroker } from '../../src/testing/index.js';
import { client, startHost } from './helpers.js';

const topicReq = (topic: string): AuthorizeTopicRequest => ({ client, action: 'publish', topic, qos: 0 });
const authReq: AuthenticateRequest = { client, password: undefined, connect: {} as ConnectPacket };

/** Grants `mine/#`, abstains on the rest (a plugin that judges only part of the topic space). */
const partial = definePlugin({
  name: 'partial',
  apiVersion: 1,
  setup: () => ({ authorizeTopic: ({ topic }) => (topic.startsWith('mine/') ? allow : abstain) }),
});

/** Forbids `secret`, has no opinion on anything else. */
const taboo = definePlugin({
  name: 'taboo',
  apiVersion: 1,
  setup: () => ({ vetoTopic: ({ topic }) => (topic === 'secret' ? deny('taboo') : abstain) }),
});

const abstainsOnAuth = definePlugin({ name: 'auth', apiVersion: 1, setup: () => ({ authenticate: () => abstain }) });

describe('all-abstain in the host', () => {
  it("denies a topic every authorizeTopic hook abstained on by default ('deny')", async () => {
    const { host } = await startHost([partial]);
    expect(host.authorizeTopic(topicReq('mine/a'))).toBe(allow);
    expect(host.authorizeTopic(topicReq('other'))).toEqual({ verdict: 'deny', reason: 'no plugin allowed it' });
  });

  it("allows it with defaultDecision 'allow'; a deny still denies", async () => {
    const { host } = await startHost([partial, taboo], { defaultDecision: 'allow' });
    expect(host.authorizeTopic(topicReq('other'))).toBe(allow);
    expect(host.authorizeTopic(topicReq('secret'))).toEqual({ verdict: 'deny', reason: 'taboo' });
  });

  it('with veto hooks only, allows what no veto denies, whatever the default decision', async () => {
    for (const defaultDecision of ['deny', 'allow'] as const) {
      const { host } = await startHost([taboo], { defaultDecision });
      expect(host.hasTopicAuthorization).toBe(true);
      expect(host.authorizeTopic(topicReq('other'))).toBe(allow);
      expect(host.authorizeTopic(topicReq('secret'))).toEqual({ verdict: 'deny', reason: 'taboo' });
    }
  });

  it('a veto next to an authorizer: the default decision applies to what both left open', async () => {
    const { host } = await startHost([taboo, partial]);
    expect(host.authorizeTopic(topicReq('mine/a'))).toBe(allow);
    expect(host.authorizeTopic(topicReq('other'))).toMatchObject({ verdict: 'deny' });
  });

  it('a veto cannot grant: its allow is no allow', async () => {
    const sloppyVeto = definePlugin({
      name: 'sloppy',
      apiVersion: 1,
      // Typed out of the way: a veto hook's type allows only deny and abstain.
      setup: () => ({ vetoTopic: () => allow as unknown as AbstainDecision }),
    });
    const { host } = await startHost([sloppyVeto, partial]);
    expect(host.authorizeTopic(topicReq('other'))).toMatchObject({ verdict: 'deny' });
  });

  it("does not apply to authentication: all-abstain refuses the client even with 'allow'", async () => {
    const { host } = await startHost([abstainsOnAuth], { defaultDecision: 'allow' });
    expect(host.authenticate(authReq)).toEqual({ verdict: 'deny', reason: 'no plugin allowed it' });
  });
});

describe('default_decision in the broker config', () => {
  let tb: TestBroker | undefined;
  let c: MqttClient | undefined;
  afterEach(async () => {
    await c?.end(true);
    await tb?.close();
    c = tb = undefined;
  });

  async function subscribeWith(
    config: Record<string, unknown>,
    plugins: MidgePlugin[],
    filter: string,
  ): Promise<string> {
    tb = await createTestBroker(config, { plugins });
    c = await connect(tb.url, { protocolVersion: 5 });
    return c.subscribe(filter).then(
      () => 'granted',
      (err: unknown) => (err instanceof SubscribeRefusedError ? 'refused' : `failed: ${String(err)}`),
    );
  }

  it('defaults to deny: a subscription every topic plugin abstained on is refused', async () => {
    expect(await subscribeWith({}, [partial], 'other/#')).toBe('refused');
  });

  it('default_decision: allow grants it', async () => {
    expect(await subscribeWith({ default_decision: 'allow' }, [partial], 'other/#')).toBe('granted');
  });

  it('a broker with a veto plugin alone grants what the veto does not forbid', async () => {
    expect(await subscribeWith({}, [taboo], 'other/#')).toBe('granted');
  });
});
