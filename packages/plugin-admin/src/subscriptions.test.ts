import { describe, expect, it } from 'vitest';
import { subscriptionPage } from './subscriptions.js';

describe('subscriptionPage', () => {
  const entries = [
    { clientId: 'b', filter: 'x/#' },
    { clientId: 'a', filter: 'z' },
    { clientId: 'a', filter: 'x/1' },
    { clientId: 'c', filter: 'y/+' },
  ];

  it('sorts by client id then filter, filters by client and filter prefix, pages', () => {
    expect(subscriptionPage(entries, { limit: 10, offset: 0 }).subscriptions).toEqual([
      { clientId: 'a', filter: 'x/1' },
      { clientId: 'a', filter: 'z' },
      { clientId: 'b', filter: 'x/#' },
      { clientId: 'c', filter: 'y/+' },
    ]);
    expect(subscriptionPage(entries, { limit: 10, offset: 0, client: 'a' }).total).toBe(2);
    expect(subscriptionPage(entries, { limit: 10, offset: 0, prefix: 'x/' }).subscriptions).toEqual([
      { clientId: 'a', filter: 'x/1' },
      { clientId: 'b', filter: 'x/#' },
    ]);
    expect(subscriptionPage(entries, { limit: 1, offset: 1 })).toEqual({
      total: 4,
      offset: 1,
      limit: 1,
      subscriptions: [{ clientId: 'a', filter: 'z' }],
    });
  });
});
