import * as v from 'valibot';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { PluginError } from '../errors.js';
import { definePlugin, isMidgePlugin } from './define.js';
import { PLUGIN_BRAND } from './types.js';
import type {
  BrokerApi,
  ClientApi,
  ClientPluginContext,
  MidgePlugin,
  PluginCheckContext,
  PluginContext,
  PluginDefinition,
} from './types.js';

describe('definePlugin', () => {
  it('brands a valid definition with the registered symbol and freezes it', () => {
    const p = definePlugin({
      name: 'x',
      apiVersion: 1,
      configSchema: v.strictObject({ n: v.number() }),
      setup: (_ctx, config) => {
        // The config type flows from the schema.
        const n: number = config.n;
        void n;
        return {};
      },
    });
    expect(p[PLUGIN_BRAND]).toBe(true);
    expect((p as unknown as Record<symbol, unknown>)[Symbol.for('midge.plugin')]).toBe(true);
    expect(Object.isFrozen(p)).toBe(true);
    expect(isMidgePlugin(p)).toBe(true);
    expect(p.name).toBe('x');
  });

  it('keeps helper properties reachable through this', () => {
    const def = {
      name: 'helper',
      apiVersion: 1 as const,
      greeting: 'hi',
      setup() {
        return { close: () => void this.greeting };
      },
    };
    const p = definePlugin(def);
    expect((p as unknown as { greeting: string }).greeting).toBe('hi');
  });

  it.each([
    ['not an object', 42, 'expected an object'],
    ['empty name', { name: '', apiVersion: 1, setup() {} }, '`name`'],
    ['missing name', { apiVersion: 1, setup() {} }, '`name`'],
    ['wrong apiVersion', { name: 'a', apiVersion: 2, setup() {} }, '`apiVersion` must be 1 (got 2)'],
    ['no setup', { name: 'a', apiVersion: 1 }, '`setup`'],
    ['bad schema', { name: 'a', apiVersion: 1, configSchema: {}, setup() {} }, 'Standard Schema'],
    ['bad dependencies', { name: 'a', apiVersion: 1, dependencies: 'b', setup() {} }, '`dependencies`'],
    ['check not a function', { name: 'a', apiVersion: 1, check: 'files', setup() {} }, '`check` must be a function'],
  ])('rejects %s eagerly', (_label, def, text) => {
    let err: unknown;
    try {
      definePlugin(def as unknown as PluginDefinition);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PluginError);
    expect((err as PluginError).code).toBe('PLUGIN_INVALID');
    expect((err as PluginError).message).toContain(text);
  });

  it('isMidgePlugin recognises only branded values', () => {
    expect(isMidgePlugin({ name: 'a', apiVersion: 1, setup() {} })).toBe(false);
    expect(isMidgePlugin(null)).toBe(false);
    expect(isMidgePlugin('x')).toBe(false);
    expect(isMidgePlugin({ [Symbol.for('midge.plugin')]: true })).toBe(true);
  });
});

// Checked by tsc (`tsc --noEmit -p packages/core` includes this file), and run by vitest like any test.
describe('definePlugin types', () => {
  it("types setup's config from configSchema's output", () => {
    const p = definePlugin({
      name: 'typed',
      apiVersion: 1,
      configSchema: v.strictObject({ n: v.number(), names: v.optional(v.array(v.string()), () => []) }),
      setup: (_ctx, config) => {
        expectTypeOf(config).toEqualTypeOf<{ n: number; names: string[] }>();
        return {};
      },
    });
    expectTypeOf(p).toEqualTypeOf<MidgePlugin<{ n: number; names: string[] }, 'broker'>>();
    expectTypeOf<Parameters<typeof p.setup>[1]>().toEqualTypeOf<{ n: number; names: string[] }>();
  });

  it("types check's config like setup's, and keeps check on the plugin", async () => {
    const p = definePlugin({
      name: 'checked',
      apiVersion: 1,
      configSchema: v.strictObject({ file: v.string() }),
      check: (ctx, config) => {
        expectTypeOf(config).toEqualTypeOf<{ file: string }>();
        expectTypeOf(ctx).toEqualTypeOf<PluginCheckContext>();
        return [{ option: 'file', message: `${ctx.configDir}/${config.file}: missing` }];
      },
      setup: () => ({}),
    });
    expect(await p.check?.({ name: 'checked', key: 'k', configDir: '/etc' }, { file: 'f' })).toEqual([
      { option: 'file', message: '/etc/f: missing' },
    ]);
  });

  it('types config as unknown without a schema', () => {
    const p = definePlugin({
      name: 'untyped',
      apiVersion: 1,
      setup: (_ctx, config) => {
        expectTypeOf(config).toBeUnknown();
        return {};
      },
    });
    expectTypeOf(p).toEqualTypeOf<MidgePlugin<unknown, 'broker'>>();
    expectTypeOf<Parameters<typeof p.setup>[1]>().toBeUnknown();
  });

  // eslint-disable-next-line vitest/expect-expect -- the assertion is the @ts-expect-error (typecheck fails without it)
  it('refuses a setup whose config does not match the schema', () => {
    definePlugin({
      name: 'mismatch',
      apiVersion: 1,
      configSchema: v.strictObject({ n: v.number() }),
      // @ts-expect-error the schema outputs { n: number }, not a string
      setup: (_ctx, _config: string) => ({}),
    });
  });

  it("types setup's context from runsIn", () => {
    definePlugin({
      name: 'broker-side',
      apiVersion: 1,
      setup: (ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<PluginContext>();
        expectTypeOf(ctx.broker).toEqualTypeOf<BrokerApi>();
        return {};
      },
    });
    definePlugin({
      name: 'client-side',
      apiVersion: 1,
      runsIn: 'client',
      setup: (ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<ClientPluginContext>();
        expectTypeOf(ctx.client).toEqualTypeOf<ClientApi>();
        // @ts-expect-error a client plugin has no broker
        const broker: BrokerApi = ctx.broker;
        void broker;
        return {};
      },
    });
    definePlugin({
      name: 'both-sides',
      apiVersion: 1,
      runsIn: 'both',
      setup: (ctx) => {
        expectTypeOf(ctx).toEqualTypeOf<PluginContext | ClientPluginContext>();
        if (ctx.client !== undefined) expectTypeOf(ctx).toEqualTypeOf<ClientPluginContext>();
        else expectTypeOf(ctx).toEqualTypeOf<PluginContext>();
        return {};
      },
    });
  });

  it('keeps a plugin of any config and side assignable to MidgePlugin', () => {
    const client = definePlugin({
      name: 'c',
      apiVersion: 1,
      runsIn: 'client',
      configSchema: v.strictObject({}),
      setup: () => ({}),
    });
    expectTypeOf(client).toExtend<MidgePlugin>();
  });
});
