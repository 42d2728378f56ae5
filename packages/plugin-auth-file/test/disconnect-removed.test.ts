/**
 * Issue 11, finding 4: taking a user out of the password file and reloading (SIGHUP, `broker.reload()`)
 * disconnects that user's live connections (`disconnect_removed_users`, default true).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { definePlugin } from '@midge/mqtt-core';
import type { BrokerApi, ClientInfo } from '@midge/mqtt-core';
import {
  createTestBroker,
  fakePluginContext,
  RawClient,
  setupPlugin,
  testClientInfo,
  type TestBroker,
} from '@midge/mqtt-core/testing';
import plugin, { type FileAuthConfig } from '../src/index.js';

// alice / secret (glibc crypt), bob / mosq-pw (mosquitto_passwd $7$).
const ALICE =
  'alice:$6$saltsaltsaltsalt$ph0yGsyjzqdeFaon7.gJZo8eAG5/rj9/JdzOu1Rl7dKzBYg3xgvl7T2VQ2Rt81bc5AXkdA54r0p8QvC1omD6R1';
const BOB =
  'bob:$7$101$LY3s6wGPFaLCk47/$XlgUnvjeSrxc2a/Jq8n/i8ybg+MTzzwDh7ffi8k561MO2PVC32/YbE5g0ZVVpk88ZqTGBxbTwTPTLvcWJZ6iaw==';

let dir: string;
let passwd: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'midge-auth-file-removed-'));
  passwd = join(dir, 'passwd');
  await writeFile(passwd, `${ALICE}\n${BOB}\n`);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A broker API that records what disconnectClients was asked. */
function recordingBroker(): { broker: BrokerApi; matches: ((c: ClientInfo) => boolean)[] } {
  const matches: ((c: ClientInfo) => boolean)[] = [];
  const broker: BrokerApi = { ...fakePluginContext().broker, disconnectClients: (match) => (matches.push(match), 1) };
  return { broker, matches };
}

describe('disconnect_removed_users', () => {
  it('defaults to true: a reload without bob asks the broker to disconnect bob, and only bob', async () => {
    const { broker, matches } = recordingBroker();
    const { hooks } = await setupPlugin(plugin, { password_file: 'passwd' }, { configDir: dir, broker });
    await writeFile(passwd, `${ALICE}\n`);
    await hooks.reload!();
    expect(matches).toHaveLength(1);
    const match = matches[0]!;
    expect(match(testClientInfo('bob'))).toBe(true);
    expect(match(testClientInfo('alice'))).toBe(false);
    expect(match(testClientInfo(undefined))).toBe(false);
  });

  it('does nothing when no user was removed, or when the option is false', async () => {
    const { broker, matches } = recordingBroker();
    const { hooks } = await setupPlugin(plugin, { password_file: 'passwd' }, { configDir: dir, broker });
    await hooks.reload!();
    expect(matches).toHaveLength(0);
    const off = recordingBroker();
    const second = await setupPlugin(
      plugin,
      { password_file: 'passwd', disconnect_removed_users: false },
      { configDir: dir, broker: off.broker },
    );
    await writeFile(passwd, `${ALICE}\n`);
    await second.hooks.reload!();
    expect(off.matches).toHaveLength(0);
  });

  describe('in a broker', () => {
    let tb: TestBroker | undefined;
    const clients: RawClient[] = [];
    afterEach(async () => {
      for (const c of clients.splice(0)) c.destroy();
      await tb?.close();
      tb = undefined;
    });

    async function connect(username: string, password: string, protocolVersion: 4 | 5): Promise<RawClient> {
      const c = await RawClient.connect(tb!.port);
      clients.push(c);
      const ack = await c.connect({
        clientId: `${username}-1`,
        username,
        password: Buffer.from(password),
        protocolVersion,
      });
      expect(ack.reasonCode).toBe(0);
      return c;
    }

    it('[MQTT-3.14.2-1] the removed user gets DISCONNECT 0x98 (v5) and is closed; the others stay', async () => {
      const config: FileAuthConfig = { password_file: passwd, disconnect_removed_users: true };
      const configured = definePlugin({
        name: 'auth-file-configured',
        apiVersion: 1,
        setup: (ctx) => plugin.setup(ctx, config),
      });
      tb = await createTestBroker({}, { plugins: [configured] });
      const alice = await connect('alice', 'secret', 4);
      const bob = await connect('bob', 'mosq-pw', 5);
      await writeFile(passwd, `${ALICE}\n`);
      await tb.broker.reload();
      expect(await bob.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x98 });
      await bob.closed();
      expect(alice.closedYet).toBe(false);
      alice.send({ type: 'pingreq' });
      await alice.expectPacket('pingresp');
    });
  });
});
