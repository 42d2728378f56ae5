import { describe, expect, it } from 'vitest';
import type { ClientInfo, Decision, TopicAction } from '@midge/mqtt-core';
import plugin, { DEFAULT_PROHIBITED, createTabooAuthorizer } from '../src/index.js';
import type { TopicTabooConfig } from '../src/index.js';
import {
  testClientInfo as client,
  issuePaths,
  logText,
  setupPlugin,
  validatePluginConfig,
} from '@midge/mqtt-core/testing';

const validate = (input: unknown) => validatePluginConfig(plugin, input);

async function setup(input: unknown = {}) {
  const { hooks, ctx } = await setupPlugin(plugin, input);
  const check = async (c: ClientInfo, action: TopicAction, topic: string): Promise<Decision['verdict']> =>
    (await hooks.vetoTopic!({ client: c, action, topic, qos: 0 })).verdict;
  return { hooks, ctx, check };
}

const alice = client('alice');
const admin = client('admin');
const anon = client(undefined);

describe('@midge/plugin-topic-taboo', () => {
  it('is a v1 plugin named after its package', () => {
    expect(plugin.name).toBe('@midge/plugin-topic-taboo');
    expect(plugin.apiVersion).toBe(1);
  });

  describe('config', () => {
    it("defaults to aMQTT's list and exempts admin", async () => {
      expect((await validate({})).issues).toBeUndefined();
      expect(await validate({})).toMatchObject({
        value: { prohibited: ['prohibited', 'top-secret', 'data/classified'], exempt_users: ['admin'] },
      });
      expect(DEFAULT_PROHIBITED).toEqual(['prohibited', 'top-secret', 'data/classified']);
    });

    it('names the key of a value of the wrong type', async () => {
      expect(issuePaths(await validate({ prohibited: 'secret' }))).toEqual(['prohibited']);
      expect(issuePaths(await validate({ exempt_users: [1] }))).toEqual(['exempt_users.0']);
    });

    it('rejects invalid topic filters with the index and the rule', async () => {
      const result = await validate({ prohibited: ['ok/#', 'bad/#/x'] });
      expect(issuePaths(result)).toEqual(['prohibited.1']);
      expect(result.issues?.[0]?.message).toMatch(/#/);
    });

    it('rejects unknown keys', async () => {
      expect(issuePaths(await validate({ taboo: [] }))).toEqual(['taboo']);
    });
  });

  describe('default list', () => {
    it('denies publishing to a taboo topic and allows others', async () => {
      const { check } = await setup();
      expect(await check(alice, 'publish', 'prohibited')).toBe('deny');
      expect(await check(alice, 'publish', 'top-secret')).toBe('deny');
      expect(await check(alice, 'publish', 'data/classified')).toBe('deny');
      expect(await check(alice, 'publish', 'data/public')).toBe('abstain');
      expect(await check(alice, 'publish', 'data/classified/more')).toBe('abstain');
      expect(await check(alice, 'publish', 'prohibited/child')).toBe('abstain');
    });

    it('denies a subscription that could receive a taboo topic', async () => {
      const { check } = await setup();
      for (const f of ['prohibited', '#', '+', 'data/+', '+/classified', 'data/#', '+/+', '$share/g/data/+']) {
        expect(await check(alice, 'subscribe', f), f).toBe('deny');
      }
      for (const f of ['data/public', 'data/+/x', 'sensors/#', '+/+/+', '$SYS/#', '$share/g/sensors/#']) {
        expect(await check(alice, 'subscribe', f), f).toBe('abstain');
      }
    });

    it('denies receiving a taboo topic (subscriptions that predate the list) and allows the rest', async () => {
      const { check } = await setup();
      expect(await check(alice, 'receive', 'data/classified')).toBe('deny');
      expect(await check(alice, 'receive', 'data/public')).toBe('abstain');
    });

    it('exempts admin from everything', async () => {
      const { check } = await setup();
      for (const action of ['publish', 'subscribe', 'receive'] as const) {
        expect(await check(admin, action, 'data/classified')).toBe('abstain');
      }
      expect(await check(admin, 'subscribe', '#')).toBe('abstain');
    });

    it('knows clients without a username as anonymous', async () => {
      const { check } = await setup({ exempt_users: ['anonymous'] });
      expect(await check(anon, 'publish', 'prohibited')).toBe('abstain');
      expect(await check(alice, 'publish', 'prohibited')).toBe('deny');
      const { check: check2 } = await setup();
      expect(await check2(anon, 'publish', 'prohibited')).toBe('deny');
    });
  });

  it('accepts wildcard taboo filters', async () => {
    const { check } = await setup({ prohibited: ['secret/#', 'vault/+/keys'], exempt_users: [] });
    expect(await check(alice, 'publish', 'secret')).toBe('deny');
    expect(await check(alice, 'publish', 'secret/a/b')).toBe('deny');
    expect(await check(alice, 'publish', 'vault/1/keys')).toBe('deny');
    expect(await check(alice, 'publish', 'vault/1/doors')).toBe('abstain');
    expect(await check(alice, 'subscribe', 'vault/1/+')).toBe('deny');
    expect(await check(alice, 'subscribe', 'vault/1/doors')).toBe('abstain');
    expect(await check(admin, 'publish', 'secret')).toBe('deny'); // exempt_users: [] exempts nobody
  });

  it('with an empty list allows everything and warns', async () => {
    const { check, ctx } = await setup({ prohibited: [] });
    expect(await check(alice, 'subscribe', '#')).toBe('abstain');
    expect(logText(ctx.logger.records, 'warn')).toMatch(/prohibited is empty/);
  });

  it('returns one shared deny object (no allocation per delivery)', () => {
    const authorize = createTabooAuthorizer({ prohibited: ['x'], exempt_users: [] } satisfies TopicTabooConfig);
    const a = authorize({ client: alice, action: 'receive', topic: 'x', qos: 0 });
    const b = authorize({ client: alice, action: 'publish', topic: 'x', qos: 1 });
    expect(a).toBe(b);
    expect(a).toMatchObject({ verdict: 'deny', reason: 'topic is taboo' });
  });
});
