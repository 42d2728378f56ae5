import { describe, expect, it } from 'vitest';
import { Readiness } from './readiness.js';

describe('readiness', () => {
  it('is ready from post-start until pre-shutdown, saying why not otherwise', () => {
    const r = new Readiness();
    expect(r.report()).toEqual({ ready: false, reason: 'the broker is starting: its listeners are not open yet' });
    r.started();
    expect(r.report()).toEqual({ ready: true, reason: 'the broker accepts connections' });
    r.stopping();
    r.started();
    expect(r.report()).toEqual({ ready: false, reason: 'the broker is shutting down' });
  });
});
