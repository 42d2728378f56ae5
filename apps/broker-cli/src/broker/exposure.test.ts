import { describe, expect, it } from 'vitest';
import type { PluginEntry } from '@midge/mqtt-core';
import { allowsAnonymous, isLoopback } from './exposure.js';

const plugin = (specifier: string, config: Record<string, unknown>): PluginEntry => ({
  key: specifier,
  specifier,
  config,
});

describe('exposure', () => {
  it('tells loopback addresses from the others', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) {
      expect(isLoopback(h)).toBe(true);
    }
    for (const h of ['0.0.0.0', '', '::', '192.168.1.2', '10.0.0.1']) expect(isLoopback(h)).toBe(false);
  });

  it('finds anonymous access in the plugin list', () => {
    expect(allowsAnonymous([plugin('@midge/plugin-auth-anonymous', { allow_anonymous: true })])).toBe(true);
    expect(allowsAnonymous([plugin('@midge/plugin-auth-anonymous', { allow_anonymous: false })])).toBe(false);
    expect(allowsAnonymous([plugin('@midge/plugin-auth-file', { password_file: 'p' })])).toBe(false);
  });
});
