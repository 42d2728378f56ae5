import { describe, expect, it } from 'vitest';
import { DecisionCache } from './cache.js';

const isDeny = (v: string) => v === 'deny';
const always = () => true;

describe('DecisionCache', () => {
  it('drops the least recently used entry past max_entries', async () => {
    const cache = new DecisionCache<string>({ maxEntries: 2, allowTtlMs: 60_000, denyTtlMs: 60_000 });
    let loads = 0;
    const get = (key: string) => cache.get(key, () => Promise.resolve(`allow-${++loads}`), isDeny, always);
    await get('a');
    await get('b');
    await get('a'); // a is now the most recent
    await get('c'); // evicts b
    expect(cache.size).toBe(2);
    expect(await get('a')).toBe('allow-1');
    expect(await get('b')).toBe('allow-4');
  });

  it('keeps allow and deny for their own time', async () => {
    let now = 0;
    const cache = new DecisionCache<string>({ maxEntries: 10, allowTtlMs: 1000, denyTtlMs: 100, now: () => now });
    let loads = 0;
    const get = (key: string, v: string) =>
      cache.get(
        key,
        () => {
          loads++;
          return Promise.resolve(v);
        },
        isDeny,
        always,
      );
    await get('x', 'allow');
    await get('y', 'deny');
    now = 500;
    await get('x', 'allow');
    await get('y', 'deny');
    expect(loads).toBe(3); // y expired, x did not
    now = 1600;
    await get('x', 'allow');
    expect(loads).toBe(4);
  });

  it('does not store an answer whose request started before clear()', async () => {
    const cache = new DecisionCache<string>({ maxEntries: 10, allowTtlMs: 60_000, denyTtlMs: 60_000 });
    let release: (v: string) => void = () => undefined;
    const pending = cache.get('k', () => new Promise<string>((r) => (release = r)), isDeny, always);
    cache.clear();
    release('allow');
    await pending;
    expect(cache.size).toBe(0);
  });
});
