import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { definePlugin } from '../../src/plugin-api/define.js';
import type { MidgePlugin } from '../../src/plugin-api/types.js';
import { formatIssuePath } from '../../src/plugin-host/validate.js';
import { startHost } from './helpers.js';

const fileAuth = definePlugin({
  name: 'file-auth',
  apiVersion: 1,
  configSchema: v.strictObject({ password_file: v.string(), allow_anonymous: v.optional(v.boolean(), false) }),
  setup: (_ctx, config) => ({
    authenticate: () => (config.allow_anonymous ? { verdict: 'allow' } : { verdict: 'abstain' }),
  }),
});
const topics = definePlugin({
  name: 'topics',
  apiVersion: 1,
  configSchema: v.strictObject({ acl: v.array(v.object({ topic: v.string() })) }),
  setup: () => ({}),
});
const bare = definePlugin({ name: 'bare', apiVersion: 1, setup: () => ({}) });

async function configErrorOf(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('plugin config validation', () => {
  it('passes the validated value (with schema defaults) to setup', async () => {
    let got: unknown;
    const p = definePlugin({
      name: 'p',
      apiVersion: 1,
      configSchema: v.strictObject({ n: v.optional(v.number(), 7) }),
      setup: (_ctx, config) => {
        got = config;
        return {};
      },
    });
    await startHost([['p', p, {}]]);
    expect(got).toEqual({ n: 7 });
  });

  it('collects every issue of every plugin, with paths under plugins.<key>, before setting anything up', async () => {
    let setUp = false;
    const spy = definePlugin({ name: 'spy', apiVersion: 1, setup: () => ((setUp = true), {}) });
    const err = await configErrorOf(
      startHost(
        [
          spy,
          ['@midge/plugin-auth-file', fileAuth, { password_file: 42, passwd: 'x' }],
          ['@acme/topics', topics, { acl: [{ topic: 'a' }, { topic: 3 }] }],
          ['bare', bare, { level: 'debug' }],
        ],
        { configFile: '/etc/midge.yaml' },
      ),
    );
    expect(setUp).toBe(false);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.file).toBe('/etc/midge.yaml');
    expect(err.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      "plugins.'@midge/plugin-auth-file'.password_file: option 'password_file' must be a string (got 42)",
      "plugins.'@midge/plugin-auth-file'.passwd: unknown option 'passwd' (expected one of: password_file, allow_anonymous)",
      "plugins.'@acme/topics'.acl[1].topic: option 'acl[1].topic' must be a string (got 3)",
      'plugins.bare.level: this plugin takes no options',
    ]);
    expect(err.message.split('\n')).toHaveLength(4);
    expect(err.message).toContain("/etc/midge.yaml: plugins.'@midge/plugin-auth-file'.passwd: ");
  });

  it('rejects unknown keys (strict schemas)', async () => {
    const err = await configErrorOf(startHost([['fa', fileAuth, { password_file: 'p', extra: true }]]));
    expect(err.issues).toEqual([
      { path: 'plugins.fa.extra', message: "unknown option 'extra' (expected one of: password_file, allow_anonymous)" },
    ]);
  });

  it('words valibot issues like core keys: unknown option with a suggestion, missing required option', async () => {
    const err = await configErrorOf(startHost([['fa', fileAuth, { allow_anonymus: true }]]));
    expect(err.issues).toEqual([
      { path: 'plugins.fa.password_file', message: "missing required option 'password_file'" },
      {
        path: 'plugins.fa.allow_anonymus',
        message: "unknown option 'allow_anonymus' (did you mean 'allow_anonymous'?)",
      },
    ]);
  });

  it('awaits async schemas', async () => {
    const asyncSchema = definePlugin({
      name: 'async',
      apiVersion: 1,
      configSchema: v.pipeAsync(
        v.strictObject({ url: v.string() }),
        v.checkAsync((c) => Promise.resolve(c.url.startsWith('redis:')), 'must be a redis: URL'),
      ),
      setup: () => ({}),
    });
    const err = await configErrorOf(startHost([['r', asyncSchema, { url: 'http://x' }]]));
    expect(err.issues).toEqual([{ path: 'plugins.r', message: 'must be a redis: URL' }]);
    await startHost([['r', asyncSchema, { url: 'redis://x' }]]);
  });

  it('reports a schema that throws as an issue', async () => {
    const throwing: MidgePlugin = {
      ...bare,
      name: 'throwing',
      configSchema: {
        '~standard': {
          version: 1,
          vendor: 'test',
          validate: () => {
            throw new Error('schema bug');
          },
        },
      },
    };
    const err = await configErrorOf(startHost([throwing]));
    expect(err.issues).toEqual([
      { path: 'plugins.throwing', message: "the plugin's config schema failed: schema bug" },
    ]);
  });

  it('rejects duplicate plugin names', async () => {
    const err = await configErrorOf(
      startHost([
        ['one', bare],
        ['two', bare],
      ]),
    );
    expect(err.issues.map((i) => i.path)).toEqual(['plugins.two']);
    expect(err.issues[0]?.message).toContain('"bare" is already used by plugins.one');
  });

  it('requires dependencies to be loaded earlier, naming the missing one', async () => {
    const needsBare = definePlugin({ name: 'needs', apiVersion: 1, dependencies: ['bare'], setup: () => ({}) });
    const needsGhost = definePlugin({ name: 'ghost-user', apiVersion: 1, dependencies: ['ghost'], setup: () => ({}) });
    await startHost([bare, needsBare]);
    const err = await configErrorOf(startHost([needsBare, bare, needsGhost]));
    expect(err.issues).toEqual([
      { path: 'plugins.needs', message: 'needs plugin "bare" (plugins.bare), which must be listed before this one' },
      {
        path: 'plugins.ghost-user',
        message: 'needs plugin "ghost", which is not loaded: add it under plugins: before this one',
      },
    ]);
  });

  it('formats Standard Schema paths of keys and { key } segments', () => {
    expect(formatIssuePath(undefined)).toBe('');
    expect(formatIssuePath(['a', { key: 0 }, 1, { key: 'b' }])).toBe('.a[0][1].b');
  });
});
