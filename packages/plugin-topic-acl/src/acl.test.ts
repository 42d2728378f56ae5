import { describe, expect, it } from 'vitest';
import { parsePattern, substitute } from './acl.js';
import { normalizeAcl } from './config.js';

describe('parsePattern', () => {
  it('returns undefined without %u / %c', () => {
    expect(parsePattern('a/b/#')).toBeUndefined();
    expect(parsePattern('100%/x')).toBeUndefined();
    expect(parsePattern('%d/x')).toBeUndefined();
  });

  it('splits whole-level and in-level slots', () => {
    expect(parsePattern('users/%u/#')).toEqual({ source: 'users/%u/#', parts: ['users/', 0, '/#'] });
    expect(parsePattern('devices/dev-%c/in')).toEqual({
      source: 'devices/dev-%c/in',
      parts: ['devices/dev-', 1, '/in'],
    });
    expect(parsePattern('%u%c')).toEqual({ source: '%u%c', parts: [0, 1] });
    expect(parsePattern('%%u')?.parts).toEqual(['%', 0]);
  });
});

describe('substitute', () => {
  const p = (s: string) => parsePattern(s)!;

  it('fills username and client id', () => {
    expect(substitute(p('users/%u/#'), 'alice', 'c1')).toBe('users/alice/#');
    expect(substitute(p('devices/%c/#'), undefined, 'sensor-7')).toBe('devices/sensor-7/#');
    expect(substitute(p('x/%u-%c'), 'bob', 'phone')).toBe('x/bob-phone');
  });

  it('skips %u for a client without a username', () => {
    expect(substitute(p('users/%u/#'), undefined, 'c1')).toBeUndefined();
  });

  it.each(['a/b', '+', '#', 'a+', 'x#y', '', 'nul\u0000'])('never substitutes the unsafe value %j', (value) => {
    expect(substitute(p('users/%u/#'), value, 'c1')).toBeUndefined();
    expect(substitute(p('devices/%c'), 'alice', value)).toBeUndefined();
  });

  it('does not let a value move the entry into $ topics', () => {
    expect(substitute(p('%c/#'), 'alice', '$SYS')).toBeUndefined();
    expect(substitute(p('%c/#'), 'alice', 'dev')).toBe('dev/#');
    expect(substitute(p('$SYS/%c'), 'alice', 'dev')).toBe('$SYS/dev');
    expect(substitute(p('a/%c'), 'alice', '$x')).toBe('a/$x'); // below the first level `$` is ordinary
  });
});

describe('normalizeAcl', () => {
  it('keeps absent and null as undefined (unrestricted)', () => {
    expect(normalizeAcl(undefined)).toBeUndefined();
    expect(normalizeAcl(null)).toBeUndefined();
  });

  it('reads the map form', () => {
    expect(normalizeAcl({ alice: ['a/#'], bob: [] })).toEqual(
      new Map([
        ['alice', ['a/#']],
        ['bob', []],
      ]),
    );
  });

  it("merges aMQTT's list form, uniting a user's entries", () => {
    expect(normalizeAcl([{ alice: ['a/#'] }, { bob: ['b'] }, { alice: ['c', 'a/#'] }])).toEqual(
      new Map([
        ['alice', ['a/#', 'c']],
        ['bob', ['b']],
      ]),
    );
  });
});
