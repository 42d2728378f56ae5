import { describe, expect, it } from 'vitest';
import { PluginError } from '../../src/errors.js';
import { authenticated, challenge, definePlugin, deny } from '../../src/plugin-api/index.js';
import type { EnhancedAuthRequest, EnhancedAuthStep } from '../../src/plugin-api/types.js';
import { client, startHost } from './helpers.js';

const request = (method: string): EnhancedAuthRequest => ({
  client,
  method,
  data: undefined,
  step: 0,
  reauthenticating: false,
  state: undefined,
  connect: undefined,
});
const plugin = (step: (r: EnhancedAuthRequest) => unknown, methods: unknown = ['M']) =>
  definePlugin({ name: 'ea', apiVersion: 1, setup: () => ({ enhancedAuth: { methods, step } }) as never });

describe('PluginHost enhancedAuth', () => {
  it('routes a step to the plugin owning the method and passes its answer through', async () => {
    const { host } = await startHost([
      plugin((r) => (r.step === 0 ? challenge(Buffer.from('n'), 7) : authenticated(Buffer.from('ok')))),
    ]);
    expect(host.hasEnhancedAuth('M')).toBe(true);
    expect(host.hasEnhancedAuth('other')).toBe(false);
    expect(host.enhancedAuth(request('M'))).toEqual({ verdict: 'challenge', data: Buffer.from('n'), state: 7 });
    expect(host.enhancedAuth({ ...request('M'), step: 1 })).toEqual({ verdict: 'allow', data: Buffer.from('ok') });
    // Unknown methods deny (the broker answers 0x8C before asking).
    expect(host.enhancedAuth(request('other'))).toMatchObject({ verdict: 'deny' });
  });

  it('denies, logged under the plugin name, for an answer that is not a step, a rejection and a timeout', async () => {
    const answers: unknown[] = [{ verdict: 'abstain' }, { verdict: 'allow', data: 'not a buffer' }];
    let i = 0;
    const { host, logger } = await startHost([
      plugin(() => {
        const n = i++;
        if (n < answers.length) return answers[n];
        if (n === answers.length) return Promise.reject(new Error('db down'));
        return new Promise(() => undefined); // never answers: the decision timeout (200 ms here) denies
      }),
    ]);
    expect(host.enhancedAuth(request('M'))).toMatchObject({ verdict: 'deny' });
    expect(host.enhancedAuth(request('M'))).toMatchObject({ verdict: 'deny' });
    expect(await host.enhancedAuth(request('M'))).toMatchObject({ verdict: 'deny' });
    expect(await (host.enhancedAuth(request('M')) as Promise<EnhancedAuthStep>)).toMatchObject({
      verdict: 'deny',
      reason: 'timeout',
    });
    const errors = logger.records.filter(
      (r) => r.bindings.plugin === 'ea' && (r.level === 'error' || r.level === 'warn'),
    );
    expect(errors).toHaveLength(4);
  });

  it('refuses a malformed enhancedAuth hook at setup', async () => {
    for (const methods of [[], [''], 'M', [1]]) {
      await expect(startHost([plugin(() => deny(), methods)])).rejects.toBeInstanceOf(PluginError);
    }
  });
});
