/**
 * `createBroker`'s object form is typed with the config's own type: a misspelt key or a wrong value type is
 * a compile error (`pnpm run typecheck` covers this file; a `@ts-expect-error` that no longer has an error
 * to expect fails it), while a YAML file path stays a plain string.
 */
import { describe, expect, it } from 'vitest';
import { createBroker, nullLogger } from '../../src/index.js';
import type { ConfigInput } from '../../src/index.js';

describe('createBroker config type', () => {
  it('refuses unknown keys and wrong value types at compile time, and accepts the config it types', async () => {
    const typos = (): unknown[] => [
      // @ts-expect-error a misspelt top-level key
      createBroker({ listners: { default: { bind: '127.0.0.1:0' } } }),
      // @ts-expect-error a misspelt listener key
      createBroker({ listeners: { default: { bnd: '127.0.0.1:0' } } }),
      // @ts-expect-error a number where the config wants a listener type name
      createBroker({ listeners: { default: { type: 5 } } }),
      // @ts-expect-error a string where the config wants seconds
      createBroker({ connect_timeout: 'ten' }),
    ];
    expect(typeof typos).toBe('function');
    const config: ConfigInput = {
      listeners: { default: { type: 'tcp', bind: '127.0.0.1:0' } },
      plugins: { '@acme/midge-plugin-x': { any_option: [1, 'two'] } },
      max_queued_messages: 10,
      persistence: false,
    };
    const broker = await createBroker(config, { logger: nullLogger });
    expect(broker.config.max_queued_messages).toBe(10);
  });
});
