import { describe, expect, it } from 'vitest';
import type { ClientInfo, Decision, TopicAction } from '@midge/mqtt-core';
import plugin, { compileAcl, createAclAuthorizer } from '../src/index.js';
import {
  testClientInfo as client,
  issuePaths,
  logText,
  setupPlugin,
  validatePluginConfig,
} from '@midge/mqtt-core/testing';

const validate = (input: unknown) => validatePluginConfig(plugin, input);

async function setup(input: unknown) {
  const { hooks, ctx } = await setupPlugin(plugin, input);
  const check = async (c: ClientInfo, action: TopicAction, topic: string): Promise<Decision['verdict']> =>
    (await hooks.authorizeTopic!({ client: c, action, topic, qos: 0 })).verdict;
  return { hooks, ctx, check };
}

const alice = client('alice', { clientId: 'alice-phone' });
const bob = client('bob');
const admin = client('admin');
const anon = client(undefined, { clientId: 'sensor-1' });

describe('@midge/plugin-topic-acl', () => {
  it('is a v1 plugin named after its package', () => {
    expect(plugin.name).toBe('@midge/plugin-topic-acl');
    expect(plugin.apiVersion).toBe(1);
  });

  describe('config', () => {
    it('accepts an empty config (everything unrestricted)', async () => {
      expect((await validate({})).issues).toBeUndefined();
    });

    it('accepts the map form and the list form', async () => {
      expect((await validate({ publish_acl: { alice: ['a/#'] } })).issues).toBeUndefined();
      expect((await validate({ publish_acl: [{ alice: ['a/#'] }, { bob: [] }] })).issues).toBeUndefined();
      expect((await validate({ publish_acl: null })).issues).toBeUndefined();
    });

    it('names the key and the entry of bad values', async () => {
      expect(issuePaths(await validate({ publish_acl: 'alice' }))).toEqual(['publish_acl']);
      expect(issuePaths(await validate({ publish_acl: { alice: 'a/#' } }))).toEqual(['publish_acl.alice']);
      expect(issuePaths(await validate({ receive_acl: { alice: ['ok', 3] } }))).toEqual(['receive_acl.alice.1']);
      expect(issuePaths(await validate({ subscribe_acl: [{ alice: ['a/#/b'] }] }))).toEqual([
        'subscribe_acl.0.alice.0',
      ]);
      expect(issuePaths(await validate({ publish_acl: { alice: null } }))).toEqual(['publish_acl.alice']);
    });

    it('reports every problem at once', async () => {
      const result = await validate({ publish_acl: { a: ['x+'] }, receive_acl: { b: ['#/x'] }, extra: 1 });
      expect(issuePaths(result).sort()).toEqual(['extra', 'publish_acl.a.0', 'receive_acl.b.0']);
    });

    it('rejects acl and subscribe_acl together, naming acl', async () => {
      const result = await validate({ acl: { a: ['x'] }, subscribe_acl: { a: ['y'] } });
      expect(issuePaths(result)).toEqual(['acl']);
      expect(result.issues?.[0]?.message).toMatch(/subscribe_acl/);
    });
  });

  describe('absent ACLs', () => {
    it('leave their action unrestricted', async () => {
      const { check } = await setup({ publish_acl: { alice: ['a/#'] } });
      expect(await check(bob, 'subscribe', '#')).toBe('allow');
      expect(await check(bob, 'receive', 'anything')).toBe('allow');
      expect(await check(bob, 'publish', 'a/b')).toBe('deny'); // bob is not in the present map
    });
  });

  describe('publish_acl', () => {
    it('matches topics against the user entries', async () => {
      const { check } = await setup({ publish_acl: { alice: ['a/#', 'sensors/+/temp'], bob: [] } });
      expect(await check(alice, 'publish', 'a')).toBe('allow');
      expect(await check(alice, 'publish', 'a/b/c')).toBe('allow');
      expect(await check(alice, 'publish', 'sensors/1/temp')).toBe('allow');
      expect(await check(alice, 'publish', 'sensors/1/humidity')).toBe('deny');
      expect(await check(bob, 'publish', 'a')).toBe('deny'); // empty list: nothing
    });

    it('never allows publishing to $ topics, not even for admin or with #', async () => {
      const { check } = await setup({ publish_acl: { alice: ['#'] } });
      expect(await check(alice, 'publish', '$SYS/x')).toBe('deny');
      expect(await check(admin, 'publish', '$SYS/x')).toBe('deny');
      const { check: unrestricted } = await setup({});
      expect(await unrestricted(bob, 'publish', '$SYS/x')).toBe('deny');
    });

    it('warns about $ entries, which never apply', async () => {
      const { ctx } = await setup({ publish_acl: { alice: ['$SYS/#'] } });
      expect(logText(ctx.logger.records, 'warn')).toMatch(/\$SYS\/#/);
    });

    it('gives midge --check the same warnings, as warnings', async () => {
      const config = { publish_acl: { alice: ['$SYS/#'] } };
      const ctx = { name: plugin.name, key: plugin.name, configDir: '.' };
      expect(await plugin.check?.(ctx, config)).toEqual([
        {
          message: 'publish_acl.alice: "$SYS/#" never applies, publishing to $ topics is always denied',
          severity: 'warning',
        },
      ]);
      expect(await plugin.check?.(ctx, { publish_acl: { alice: ['a/#'] } })).toEqual([]);
    });
  });

  describe('subscribe_acl', () => {
    it('needs an entry covering the whole requested filter', async () => {
      const { check } = await setup({ subscribe_acl: { alice: ['a/+', 'b/#', 'c'] } });
      expect(await check(alice, 'subscribe', 'a/x')).toBe('allow');
      expect(await check(alice, 'subscribe', 'a/+')).toBe('allow');
      expect(await check(alice, 'subscribe', 'a/#')).toBe('deny'); // a/+ does not grant a/#
      expect(await check(alice, 'subscribe', 'b/+/z')).toBe('allow');
      expect(await check(alice, 'subscribe', 'b')).toBe('allow');
      expect(await check(alice, 'subscribe', 'c')).toBe('allow');
      expect(await check(alice, 'subscribe', 'c/#')).toBe('deny');
      expect(await check(alice, 'subscribe', '#')).toBe('deny');
    });

    it('does not let # grant $SYS; an explicit $SYS/# entry does', async () => {
      const { check } = await setup({ subscribe_acl: { alice: ['#'], bob: ['#', '$SYS/#'] } });
      expect(await check(alice, 'subscribe', 'x/y')).toBe('allow');
      expect(await check(alice, 'subscribe', '$SYS/#')).toBe('deny');
      expect(await check(alice, 'subscribe', '$SYS/broker/uptime')).toBe('deny');
      expect(await check(bob, 'subscribe', '$SYS/broker/uptime')).toBe('allow');
    });

    it('checks shared subscriptions by their inner filter, or an explicit $share entry', async () => {
      const { check } = await setup({ subscribe_acl: { alice: ['jobs/#'], bob: ['$share/workers/jobs/#'] } });
      expect(await check(alice, 'subscribe', '$share/g/jobs/new')).toBe('allow');
      expect(await check(alice, 'subscribe', '$share/g/other')).toBe('deny');
      expect(await check(bob, 'subscribe', '$share/workers/jobs/new')).toBe('allow');
      expect(await check(bob, 'subscribe', '$share/others/jobs/new')).toBe('deny');
    });

    it('accepts the deprecated `acl` with a warning naming subscribe_acl', async () => {
      const { check, ctx } = await setup({ acl: [{ alice: ['a/#'] }] });
      expect(await check(alice, 'subscribe', 'a/b')).toBe('allow');
      expect(await check(alice, 'subscribe', 'b')).toBe('deny');
      expect(logText(ctx.logger.records, 'warn')).toMatch(/acl.*deprecated.*subscribe_acl/);
    });
  });

  describe('receive_acl', () => {
    it('matches delivered topics; # does not reach $SYS', async () => {
      const { check } = await setup({ receive_acl: { alice: ['#'], bob: ['news/+'] } });
      expect(await check(alice, 'receive', 'a/b')).toBe('allow');
      expect(await check(alice, 'receive', '$SYS/broker/uptime')).toBe('deny');
      expect(await check(bob, 'receive', 'news/today')).toBe('allow');
      expect(await check(bob, 'receive', 'news/today/late')).toBe('deny');
      expect(await check(client('carol'), 'receive', 'news/today')).toBe('deny');
    });
  });

  describe('reserved usernames', () => {
    it('allows admin everything but $ publishes, and ignores admin entries with a warning', async () => {
      const { check, ctx } = await setup({
        subscribe_acl: { admin: [] },
        publish_acl: {},
        receive_acl: { alice: [] },
      });
      expect(await check(admin, 'subscribe', '#')).toBe('allow');
      expect(await check(admin, 'subscribe', '$SYS/#')).toBe('allow');
      expect(await check(admin, 'publish', 'a/b')).toBe('allow');
      expect(await check(admin, 'receive', '$SYS/x')).toBe('allow');
      expect(logText(ctx.logger.records, 'warn')).toMatch(/subscribe_acl\.admin/);
    });

    it('names clients without a username anonymous', async () => {
      const { check } = await setup({ publish_acl: { anonymous: ['public/#'] } });
      expect(await check(anon, 'publish', 'public/x')).toBe('allow');
      expect(await check(anon, 'publish', 'private/x')).toBe('deny');
      expect(await check(bob, 'publish', 'public/x')).toBe('deny');
    });
  });

  describe('%u / %c substitution', () => {
    const config = {
      publish_acl: { alice: ['users/%u/#', 'devices/dev-%c/out'], anonymous: ['devices/%c/#', 'users/%u/#'] },
      subscribe_acl: { alice: ['users/%u/+'], anonymous: ['devices/%c/#'] },
      receive_acl: { alice: ['users/%u/#'], anonymous: ['devices/%c/#'] },
    };

    it('substitutes whole levels and parts of levels', async () => {
      const { check } = await setup(config);
      expect(await check(alice, 'publish', 'users/alice/x')).toBe('allow');
      expect(await check(alice, 'publish', 'users/bob/x')).toBe('deny');
      expect(await check(alice, 'publish', 'devices/dev-alice-phone/out')).toBe('allow');
      expect(await check(alice, 'publish', 'devices/dev-other/out')).toBe('deny');
      expect(await check(alice, 'subscribe', 'users/alice/inbox')).toBe('allow');
      expect(await check(alice, 'subscribe', 'users/alice/#')).toBe('deny');
      expect(await check(alice, 'receive', 'users/alice/inbox')).toBe('allow');
      expect(await check(alice, 'receive', 'users/bob/inbox')).toBe('deny');
      expect(await check(anon, 'subscribe', 'devices/sensor-1/#')).toBe('allow');
      expect(await check(anon, 'receive', 'devices/sensor-1/cmd')).toBe('allow');
      expect(await check(anon, 'receive', 'devices/sensor-2/cmd')).toBe('deny');
    });

    it('never applies %u to clients without a username', async () => {
      const { check } = await setup(config);
      expect(await check(anon, 'publish', 'users/anonymous/x')).toBe('deny');
    });

    it('skips entries for usernames or client ids with wildcards or slashes', async () => {
      const { check } = await setup(config);
      const sneaky = client('alice', { clientId: '+' });
      expect(await check(sneaky, 'publish', 'devices/dev-+/out')).toBe('deny');
      expect(await check(sneaky, 'publish', 'users/alice/x')).toBe('allow'); // the %u entry still applies
      const slashy = client(undefined, { clientId: 'sensor-1/../sensor-2' });
      expect(await check(slashy, 'receive', 'devices/sensor-1/../sensor-2/x')).toBe('deny');
      const hashy = client(undefined, { clientId: '#' });
      expect(await check(hashy, 'subscribe', 'devices/#')).toBe('deny');
      expect(await check(hashy, 'receive', 'devices/anything')).toBe('deny');
    });

    it('substitutes per client (cache keyed by client)', async () => {
      const { check } = await setup(config);
      const a1 = client(undefined, { clientId: 'd1' });
      const a2 = client(undefined, { clientId: 'd2' });
      expect(await check(a1, 'receive', 'devices/d1/x')).toBe('allow');
      expect(await check(a2, 'receive', 'devices/d1/x')).toBe('deny');
      expect(await check(a2, 'receive', 'devices/d2/x')).toBe('allow');
      expect(await check(a1, 'receive', 'devices/d1/y')).toBe('allow');
    });
  });

  it('answers receive with shared decision objects (no allocation per delivery)', () => {
    const authorize = createAclAuthorizer(compileAcl({ receive_acl: { alice: ['a/#'] } }));
    const r = (topic: string) => authorize({ client: alice, action: 'receive', topic, qos: 0 });
    expect(r('a/1')).toBe(r('a/2'));
    expect(r('b/1')).toBe(r('b/2'));
    expect(r('b/1')).toMatchObject({ verdict: 'deny', reason: 'not allowed by receive_acl' });
  });
});
