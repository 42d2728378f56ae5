import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { configSchema, parseBind } from './config.js';

describe('admin plugin options', () => {
  it('reads host:port binds, IPv6 in brackets, an empty host as every interface', () => {
    expect(parseBind('127.0.0.1:9234')).toEqual({ host: '127.0.0.1', port: 9234 });
    expect(parseBind('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseBind(':9234')).toEqual({ host: '0.0.0.0', port: 9234 });
    expect(parseBind('localhost')).toBeUndefined();
    expect(parseBind('h:70000')).toBeUndefined();
  });

  it('defaults to loopback and refuses unknown keys and metrics_auth without a token file', () => {
    expect(v.parse(configSchema, {})).toEqual({ bind: '127.0.0.1:9234', metrics_auth: false });
    expect(v.safeParse(configSchema, { bnd: ':1' }).success).toBe(false);
    const r = v.safeParse(configSchema, { metrics_auth: true });
    expect(r.success).toBe(false);
    expect(r.issues?.[0]?.message).toBe('metrics_auth: true needs token_file');
  });
});
