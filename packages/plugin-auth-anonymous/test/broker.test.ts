/**
 * In a real broker: the plugin is named by its package name under `plugins:` and its decisions show
 * up as CONNACK return codes.
 */
import { describe, expect, it } from 'vitest';
import { connectClient, startBroker } from './broker-helpers.js';

describe('@midge/plugin-auth-anonymous in a broker', () => {
  it('admits everyone with allow_anonymous: true (and with the default)', async () => {
    for (const config of [{ allow_anonymous: true }, null]) {
      await startBroker({ '@midge/plugin-auth-anonymous': config });
      expect((await connectClient()).code).toBe(0);
      expect((await connectClient({ username: 'alice', password: Buffer.from('whatever') })).code).toBe(0);
    }
  });

  it('refuses clients without a username with CONNACK 5 when allow_anonymous is false', async () => {
    await startBroker({ '@midge/plugin-auth-anonymous': { allow_anonymous: false } });
    const { client, code } = await connectClient();
    expect(code).toBe(5);
    await client.closed();
  });

  it('does not admit a client just because it sent a username (unlike aMQTT)', async () => {
    await startBroker({ '@midge/plugin-auth-anonymous': { allow_anonymous: false } });
    // The plugin abstains and no other plugin allows: the broker refuses.
    expect((await connectClient({ username: 'mallory' })).code).toBe(5);
  });

  it('refuses to start with a bad option, naming it', async () => {
    await expect(startBroker({ '@midge/plugin-auth-anonymous': { allow_anonymous: 42 } })).rejects.toThrow(
      /allow_anonymous/,
    );
  });
});
