import { describe, expect, it } from 'vitest';
import { describePluginChange, planPluginChanges, type WantedPlugin } from './plugin-changes.js';

const running = (key: string, config: unknown = {}, name = key) => ({ key, specifier: key, config, name });
const wanted = (key: string, config: unknown = {}, dependencies: string[] = [], name = key): WantedPlugin => ({
  ...running(key, config, name),
  dependencies,
});

describe('planPluginChanges', () => {
  it('keeps plugins whose key, package and options are the same, in any order', () => {
    const plan = planPluginChanges([running('a', { x: [1] }), running('b')], [wanted('b'), wanted('a', { x: [1] })]);
    expect([...plan.keep]).toEqual(['b', 'a']);
    expect(plan.close).toEqual([]);
    expect(plan.changes).toEqual([]);
  });

  it('closes removed and changed plugins in reverse setup order, lists the changes', () => {
    const plan = planPluginChanges(
      [running('a'), running('b', { n: 1 }), running('c')],
      [wanted('a'), wanted('b', { n: 2 }), wanted('d')],
    );
    expect(plan.close).toEqual(['c', 'b']);
    expect(plan.changes).toEqual([
      { key: 'c', kind: 'removed' },
      { key: 'b', kind: 'options changed' },
      { key: 'd', kind: 'added' },
    ]);
  });

  it('sets up again the dependents of a plugin set up again, transitively', () => {
    const plan = planPluginChanges(
      [running('base', { n: 1 }), running('mid'), running('top'), running('other')],
      [wanted('base', { n: 2 }), wanted('mid', {}, ['base']), wanted('top', {}, ['mid']), wanted('other')],
    );
    expect(plan.close).toEqual(['top', 'mid', 'base']);
    expect(plan.changes.map((c) => `${c.key} ${c.kind}`)).toEqual([
      'base options changed',
      'mid dependency set up again',
      'top dependency set up again',
    ]);
    expect([...plan.keep]).toEqual(['other']);
  });

  it('treats another package under the same key as changed', () => {
    const plan = planPluginChanges([running('auth')], [{ ...wanted('auth'), specifier: './my-auth.js' }]);
    expect(plan.changes).toEqual([{ key: 'auth', kind: 'options changed' }]);
  });

  it('describes each change in one line', () => {
    expect(describePluginChange({ key: '@midge/plugin-topic-acl', kind: 'options changed' })).toBe(
      'plugin @midge/plugin-topic-acl: options changed, set up again',
    );
    expect(describePluginChange({ key: 'x', kind: 'removed' })).toBe('plugin x removed and closed');
  });
});
