/**
 * The taboo next to an ACL in a real broker: the taboo only vetoes, the ACL grants, and a topic must pass
 * both. The taboo's abstain does not open what the ACL leaves closed.
 */
import { describe, expect, it } from 'vitest';
import { connected, packageDir, siblingDir, startBroker, subscribe } from './broker-helpers.js';

describe('@midge/plugin-topic-taboo with @midge/plugin-topic-acl', () => {
  it('refuses taboo topics the ACL grants, and topics the ACL does not grant', async () => {
    await startBroker(
      {
        '@midge/plugin-topic-taboo': { prohibited: ['data/classified'], exempt_users: [] },
        '@midge/plugin-topic-acl': { subscribe_acl: { alice: ['data/#'] } },
      },
      [packageDir, siblingDir('plugin-topic-acl')],
    );
    const alice = await connected({ username: 'alice' });
    expect(await subscribe(alice, 'data/public', 'data/classified', 'data/+', 'other')).toEqual([1, 0x80, 0x80, 0x80]);
    const bob = await connected({ username: 'bob' });
    expect(await subscribe(bob, 'data/public')).toEqual([0x80]);
  });
});
