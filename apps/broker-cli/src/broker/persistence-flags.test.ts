import { describe, expect, it } from 'vitest';
import { persistenceOverride } from './persistence-flags.js';

describe('persistenceOverride', () => {
  it('persists the default config to ./midge-data, from the working directory', () => {
    expect(persistenceOverride({}, true, '/home/ann')).toEqual({ path: '/home/ann/midge-data' });
  });

  it('leaves a config file to decide when no flag is given', () => {
    expect(persistenceOverride({}, false, '/home/ann')).toBeUndefined();
  });

  it('--data-dir sets the path, relative to the working directory, with or without a config file', () => {
    expect(persistenceOverride({ dataDir: 'state' }, true, '/home/ann')).toEqual({ path: '/home/ann/state' });
    expect(persistenceOverride({ dataDir: 'state' }, false, '/home/ann')).toEqual({ path: '/home/ann/state' });
    expect(persistenceOverride({ dataDir: '/var/lib/midge' }, false, '/home/ann')).toEqual({ path: '/var/lib/midge' });
  });

  it('--in-memory turns the store off, with or without a config file', () => {
    expect(persistenceOverride({ inMemory: true }, true, '/home/ann')).toBe(false);
    expect(persistenceOverride({ inMemory: true }, false, '/home/ann')).toBe(false);
  });
});
