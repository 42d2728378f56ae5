/** A token's claims as topic rights: substitution, filters that cannot apply, and the decision per action. */
import { describe, expect, it } from 'vitest';
import { compileRights, decide, substitute } from '../src/index.js';

const names = { publishClaim: 'publish', subscribeClaim: 'subscribe' };
const verdict = (rights: Parameters<typeof decide>[0], action: Parameters<typeof decide>[1], topic: string) =>
  decide(rights, action, topic).verdict;

describe('substitute', () => {
  it('puts the username and client id in, and refuses values that would widen or $-prefix the filter', () => {
    expect(substitute('sensors/%u/#', 'alice', 'c1')).toBe('sensors/alice/#');
    expect(substitute('dev-%c/%u', 'alice', 'c1')).toBe('dev-c1/alice');
    expect(substitute('plain/#', 'a+b', 'c1')).toBe('plain/#');
    for (const bad of ['a+b', 'a#', 'a/b', '', 'a\u0000']) expect(substitute('x/%u', bad, 'c1')).toBeUndefined();
    expect(substitute('%c/x', 'alice', '$SYS')).toBeUndefined();
    expect(substitute('$share/%u/x', 'alice', 'c1')).toBe('$share/alice/x');
  });
});

describe('compileRights and decide', () => {
  const { rights, dropped } = compileRights(
    { publish: ['sensors/%u/#', 'a/#/b', 7], subscribe: 'commands/%c' },
    names,
    'alice',
    'dev1',
  );

  it('keeps valid entries, drops the others with a reason', () => {
    expect(rights).toEqual({ publish: ['sensors/alice/#'], subscribe: ['commands/dev1'] });
    expect(dropped).toHaveLength(2);
  });

  it('publish: topics matching a publish filter only', () => {
    expect(verdict(rights, 'publish', 'sensors/alice/t')).toBe('allow');
    expect(verdict(rights, 'publish', 'sensors/bob/t')).toBe('deny');
    expect(verdict(rights, 'publish', 'commands/dev1')).toBe('deny');
  });

  it('subscribe: filters covered by a subscribe filter (a shared subscription by its inner filter)', () => {
    expect(verdict(rights, 'subscribe', 'commands/dev1')).toBe('allow');
    expect(verdict(rights, 'subscribe', '$share/g/commands/dev1')).toBe('allow');
    expect(verdict(rights, 'subscribe', 'commands/+')).toBe('deny');
    expect(verdict(rights, 'subscribe', '#')).toBe('deny');
  });

  it('receive: topics matching a subscribe filter', () => {
    expect(verdict(rights, 'receive', 'commands/dev1')).toBe('allow');
    expect(verdict(rights, 'receive', 'commands/dev2')).toBe('deny');
  });

  it('grants nothing for missing claims or claims of the wrong type', () => {
    const none = compileRights({ publish: { a: 1 } }, names, 'alice', 'c');
    expect(none.rights).toEqual({ publish: [], subscribe: [] });
    expect(none.dropped).toHaveLength(1);
    expect(verdict(none.rights, 'publish', 'anything')).toBe('deny');
  });

  it('reads the claims the config names', () => {
    const custom = compileRights(
      { mqtt_pub: ['x/#'] },
      { publishClaim: 'mqtt_pub', subscribeClaim: 'mqtt_sub' },
      'u',
      'c',
    );
    expect(custom.rights.publish).toEqual(['x/#']);
  });
});
