import { describe, expect, it } from 'vitest';
import { ANONYMOUS_USERNAME as CORE_ANONYMOUS_USERNAME } from '@midge/mqtt-core';
import type { ClientInfo, Decision, PluginHooks } from '@midge/mqtt-core';
import plugin, { ANONYMOUS_USERNAME, configSchema } from '../src/index.js';
import {
  authenticateRequest,
  testClientInfo as client,
  setupPlugin,
  validatePluginConfig,
} from '@midge/mqtt-core/testing';

const validate = (input: unknown) => validatePluginConfig(plugin, input);

async function setup(input: unknown): Promise<PluginHooks> {
  return (await setupPlugin(plugin, input)).hooks;
}

async function authenticate(hooks: PluginHooks, c: ClientInfo): Promise<Decision> {
  return await hooks.authenticate!(authenticateRequest(c));
}

describe('@midge/plugin-auth-anonymous', () => {
  it('is a v1 plugin named after its package', () => {
    expect(plugin.name).toBe('@midge/plugin-auth-anonymous');
    expect(plugin.apiVersion).toBe(1);
    expect(plugin.configSchema).toBe(configSchema);
  });

  describe('config', () => {
    it('defaults allow_anonymous to true', async () => {
      expect(await validate({})).toMatchObject({ value: { allow_anonymous: true } });
      expect((await validate({})).issues).toBeUndefined();
    });

    it('reports a non-boolean allow_anonymous with the key in the path', async () => {
      const result = await validate({ allow_anonymous: 'no' });
      expect(result.issues).toHaveLength(1);
      expect(result.issues?.[0]?.path?.map((p) => (typeof p === 'object' ? p.key : p))).toEqual(['allow_anonymous']);
    });

    it('rejects unknown keys', async () => {
      const result = await validate({ allow_anonymous: true, allow_anonymus: false });
      expect(result.issues?.[0]?.path?.map((p) => (typeof p === 'object' ? p.key : p))).toEqual(['allow_anonymus']);
    });
  });

  describe('allow_anonymous: true', () => {
    it('allows clients with and without a username', async () => {
      const hooks = await setup({ allow_anonymous: true });
      expect(await authenticate(hooks, client(undefined))).toEqual({ verdict: 'allow' });
      expect(await authenticate(hooks, client('alice'))).toEqual({ verdict: 'allow' });
    });
  });

  describe('allow_anonymous: false', () => {
    it('denies a client without a username with CONNACK 0x05 (MQTT 3.1.1)', async () => {
      const hooks = await setup({ allow_anonymous: false });
      const d = await authenticate(hooks, client(undefined));
      expect(d.verdict).toBe('deny');
      expect(d).toMatchObject({ reasonCode: 0x05 });
    });

    it('uses 0x87 (not authorized) for MQTT 5 clients', async () => {
      const hooks = await setup({ allow_anonymous: false });
      expect(await authenticate(hooks, client(undefined, { protocolVersion: 5 }))).toMatchObject({
        verdict: 'deny',
        reasonCode: 0x87,
      });
    });

    it('abstains for a client with a username (another auth plugin must allow it)', async () => {
      const hooks = await setup({ allow_anonymous: false });
      expect(await authenticate(hooks, client('alice'))).toEqual({ verdict: 'abstain' });
      // An empty username is still a username: the client sent the field.
      expect(await authenticate(hooks, client(''))).toEqual({ verdict: 'abstain' });
    });

    it('returns shared decision objects (no allocation per CONNECT)', async () => {
      const hooks = await setup({ allow_anonymous: false });
      expect(await authenticate(hooks, client(undefined))).toBe(await authenticate(hooks, client(undefined)));
    });
  });

  it("still exports ANONYMOUS_USERNAME, now core's", () => {
    expect(ANONYMOUS_USERNAME).toBe('anonymous');
    expect(ANONYMOUS_USERNAME).toBe(CORE_ANONYMOUS_USERNAME);
  });
});
