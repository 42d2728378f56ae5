import { describe, expect, test } from 'vitest';
import { bindsOverlap, parseBind } from './bind.js';

describe('parseBind', () => {
  test('host:port forms', () => {
    expect(parseBind('0.0.0.0:1883')).toEqual({ host: '0.0.0.0', port: 1883 });
    expect(parseBind(':1883')).toEqual({ host: '', port: 1883 });
    expect(parseBind('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseBind('[fe80::1%eth0]:1883')).toEqual({ host: 'fe80::1%eth0', port: 1883 });
    expect(parseBind('my-host.local:80')).toEqual({ host: 'my-host.local', port: 80 });
  });

  test('refusals are reasons', () => {
    expect(parseBind('1883')).toMatch(/^expected 'host:port'/);
    expect(parseBind('a:1883x')).toMatch(/^port must be/);
    expect(parseBind('a:123456')).toMatch(/^port must be/);
    expect(parseBind('-a:1')).toMatch(/is not a host name/);
    expect(parseBind('[::1:1')).toMatch(/not an IPv6 address/);
  });
});

describe('bindsOverlap', () => {
  const a = (host: string, port: number) => ({ host, port });
  test.each([
    [a('0.0.0.0', 1), a('0.0.0.0', 1), true],
    [a('0.0.0.0', 1), a('127.0.0.1', 1), true],
    [a('localhost', 1), a('0.0.0.0', 1), true],
    [a('', 1), a('::1', 1), true],
    [a('::', 1), a('10.0.0.1', 1), true],
    [a('0.0.0.0', 1), a('::1', 1), false],
    [a('127.0.0.1', 1), a('127.0.0.2', 1), false],
    [a('0.0.0.0', 1), a('0.0.0.0', 2), false],
    [a('0.0.0.0', 0), a('0.0.0.0', 0), false],
  ])('%j / %j → %s', (x, y, overlap) => {
    expect(bindsOverlap(x, y)).toBe(overlap);
    expect(bindsOverlap(y, x)).toBe(overlap);
  });
});
