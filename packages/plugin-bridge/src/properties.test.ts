import { describe, expect, it } from 'vitest';
import { crossingProperties } from './properties.js';

describe('crossingProperties', () => {
  it('keeps what describes the message, drops the topic alias and subscription identifiers', () => {
    expect(
      crossingProperties({
        contentType: 'text/plain',
        userProperties: [['k', 'v']],
        messageExpiryInterval: 30,
        topicAlias: 3,
        subscriptionIdentifier: [7],
      }),
    ).toEqual({ contentType: 'text/plain', userProperties: [['k', 'v']], messageExpiryInterval: 30 });
    expect(crossingProperties({ topicAlias: 1 })).toBeUndefined();
    expect(crossingProperties(undefined)).toBeUndefined();
  });
});
