import { describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { issuePaths, validatePluginConfig } from '@midge/mqtt-core/testing';
import plugin from './index.js';
import { configSchema, defaultNode, serverList } from './config.js';

const validate = (input: unknown) => validatePluginConfig(plugin, input);

describe('configSchema', () => {
  it('fills the defaults', () => {
    const config = v.parse(configSchema, {});
    expect(config).toMatchObject({ servers: 'nats://127.0.0.1:4222', subject_prefix: 'midge', connect_timeout: 5 });
    expect(config.node).toMatch(new RegExp(`-${process.pid}$`));
    expect(serverList(config)).toEqual(['nats://127.0.0.1:4222']);
  });

  it('makes a default node name of letters, digits, - and _ only, at most 64 long', () => {
    expect(defaultNode()).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it('takes one server or a list, with nats://, tls:// or no scheme', async () => {
    const list = await validate({ servers: ['nats://a:4222', 'tls://b:4443', 'c:4222'] });
    expect(list.issues).toBeUndefined();
    expect(serverList(v.parse(configSchema, { servers: 'a:1' }))).toEqual(['a:1']);
  });

  it.each([
    [{ servers: 'http://a:4222' }, 'servers', /nats:\/\/ or tls:\/\//],
    [{ servers: [] }, 'servers', /must list a server/],
    [{ servers: ['nats://a', 'redis://b'] }, 'servers.1', /nats:\/\//],
    [{ node: 'a.b' }, 'node', /letters, digits/],
    [{ node: 'x'.repeat(65) }, 'node', /at most 64/],
    [{ subject_prefix: 'midge.>' }, 'subject_prefix', /dot-separated/],
    [{ subject_prefix: '' }, 'subject_prefix', /dot-separated/],
    [{ connect_timeout: 0 }, 'connect_timeout', /more than 0/],
    [{ user: 'midge' }, 'user', /needs password or password_file/],
    [{ password: 'x' }, 'user', /a password needs user/],
    [{ user: 'm', password: 'x', password_file: 'f' }, 'password_file', /not both/],
    [{ user: 'm', password: 'x', nkey_seed_file: 'f' }, 'nkey_seed_file', /not both/],
    [{ url: 'nats://a' }, 'url', /./],
  ])('refuses %j at %s', async (input, path, message) => {
    const result = await validate(input);
    expect(issuePaths(result)).toContain(path);
    expect(result.issues?.map((i) => i.message).join('\n')).toMatch(message);
  });
});
