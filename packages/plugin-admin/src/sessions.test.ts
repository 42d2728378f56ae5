import type { SessionSummary } from '@midge/mqtt-core';
import { describe, expect, it } from 'vitest';
import { sessionPage } from './sessions.js';

const summary = (clientId: string, connected: boolean): SessionSummary => ({
  clientId,
  username: undefined,
  connected,
  persistent: !connected,
  subscriptions: 0,
  queued: 0,
  inflight: 0,
  expiryInterval: undefined,
});

describe('sessionPage', () => {
  const all = [summary('b', true), summary('a2', false), summary('a1', true)];

  it('sorts by client id, filters by prefix and connection, counts every match in total', () => {
    expect(sessionPage(all, { limit: 10, offset: 0 }).sessions.map((s) => s.clientId)).toEqual(['a1', 'a2', 'b']);
    const page = sessionPage(all, { limit: 1, offset: 1, prefix: 'a' });
    expect([page.total, page.sessions.map((s) => s.clientId)]).toEqual([2, ['a2']]);
    expect(sessionPage(all, { limit: 10, offset: 0, connected: false }).sessions.map((s) => s.clientId)).toEqual([
      'a2',
    ]);
  });

  it('gives JSON nulls, not missing keys, for an unknown username and the default expiry', () => {
    expect(sessionPage([summary('x', false)], { limit: 1, offset: 0 }).sessions[0]).toMatchObject({
      username: null,
      expiryInterval: null,
    });
  });
});
