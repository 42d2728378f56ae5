import type { BrokerHealth } from '@midge/mqtt-core';
import { describe, expect, it } from 'vitest';
import { Readiness } from './readiness.js';

const healthy: BrokerHealth = {
  ready: true,
  checks: [
    { name: 'listeners', ok: true, reason: '1 listener open' },
    { name: 'store', ok: true, reason: 'the store takes writes' },
  ],
};

describe('readiness', () => {
  it('is ready from post-start until pre-shutdown, saying why not otherwise', () => {
    const r = new Readiness();
    expect(r.report(() => healthy)).toEqual({
      ready: false,
      reason: 'the broker is starting: its listeners are not open yet',
    });
    r.started();
    expect(r.report(() => healthy)).toEqual({
      ready: true,
      reason: 'the broker accepts connections',
      checks: healthy.checks,
    });
    r.stopping();
    r.started();
    expect(r.report(() => healthy)).toEqual({ ready: false, reason: 'the broker is shutting down' });
  });

  it("is not ready while one of the broker's checks fails, naming it", () => {
    const r = new Readiness();
    r.started();
    const joining: BrokerHealth = {
      ready: false,
      checks: [...healthy.checks, { name: 'plugin:@midge/plugin-cluster-nats', ok: false, reason: 'NATS unreachable' }],
    };
    expect(r.report(() => joining)).toEqual({
      ready: false,
      reason: 'plugin:@midge/plugin-cluster-nats: NATS unreachable',
      checks: joining.checks,
    });
  });
});
