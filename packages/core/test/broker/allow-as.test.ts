import { afterEach, describe, expect, it } from 'vitest';
import { allow, allowAs, definePlugin, deny } from '../../src/plugin-api/index.js';
import type { ClientInfo } from '../../src/plugin-api/types.js';
import { Harness } from './helpers.js';

// An authentication plugin that establishes who the client is (a JWT's subject) names it for the whole
// broker: every later plugin and ACL sees that username, not the CONNECT's.
const h = new Harness();
afterEach(() => h.stop());

describe('allowAs(username) from authenticate', () => {
  it('replaces the CONNECT username for authorizeClient and topic decisions', async () => {
    const seen: string[] = [];
    const tokens = definePlugin({
      name: 'tokens',
      apiVersion: 1,
      setup: () => ({
        authenticate: ({ password }) => (password?.toString() === 'token-of-carol' ? allowAs('carol') : deny()),
      }),
    });
    const acl = definePlugin({
      name: 'acl',
      apiVersion: 1,
      setup: () => ({
        authorizeClient: ({ client }: { client: ClientInfo }) => {
          seen.push(`client ${client.username ?? '-'}`);
          return allow;
        },
        authorizeTopic: ({ client, topic }) => {
          seen.push(`topic ${client.username ?? '-'} ${topic}`);
          return topic.startsWith(`users/${client.username ?? '-'}/`) ? allow : deny();
        },
      }),
    });
    await h.start({}, { plugins: [tokens, acl] });
    const c = await h.client();
    const ack = await c.connect({ clientId: 'c1', protocolVersion: 5, password: Buffer.from('token-of-carol') });
    expect(ack.reasonCode).toBe(0);
    expect(h.tb.broker.connectedClients().map((x) => x.client.username)).toEqual(['carol']);
    c.send(
      {
        type: 'publish',
        topic: 'users/carol/x',
        payload: Buffer.from('mine'),
        qos: 1,
        retain: false,
        dup: false,
        packetId: 9,
      },
      5,
    );
    expect((await c.expectPacket('puback')).reasonCode ?? 0).toBeLessThan(0x80);
    expect(seen).toEqual(['client carol', 'topic carol users/carol/x']);
  });
});
