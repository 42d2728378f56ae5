// MQTT 5 enhanced authentication (section 4.12): AUTH exchanges run by a plugin, over real sockets.
import { createHmac, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { AuthPacket, ConnectPacket } from '../../src/codec/packets.js';
import { connect } from '../../src/client/index.js';
import { PluginError } from '../../src/errors.js';
import {
  allow,
  authenticated,
  challenge,
  definePlugin,
  deny,
  type EnhancedAuthRequest,
} from '../../src/plugin-api/index.js';
import type { RawClient } from '../../src/testing/index.js';
import { memoryLogger, type LogRecord } from '../plugin-host/helpers.js';
import { Harness, publishV5, subscribeV5 } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

const METHOD = 'TEST-HMAC-SHA256';
const SECRET = Buffer.from('shared secret');
const hmac = (nonce: Buffer): Buffer => createHmac('sha256', SECRET).update(nonce).digest();

/**
 * A challenge-response method: CONNECT data is the user name; the broker answers a random nonce; the
 * client proves it knows the secret with HMAC(secret, nonce); the broker's success data is "welcome <user>".
 */
function hmacPlugin(seen: EnhancedAuthRequest[] = [], opts: { async?: boolean; throwOnceAt?: number } = {}) {
  let thrown = false;
  return definePlugin({
    name: 'hmac-auth',
    apiVersion: 1,
    setup: () => ({
      // Never consulted for a CONNECT with the method; it denies everyone else to show that.
      authenticate: () => deny('password logins are off'),
      enhancedAuth: {
        methods: [METHOD],
        step(req) {
          seen.push(req);
          if (opts.throwOnceAt === req.step && !thrown) {
            thrown = true;
            throw new Error('plugin bug');
          }
          const answer = ():
            ReturnType<typeof challenge> | ReturnType<typeof authenticated> | ReturnType<typeof deny> => {
            if (req.step === 0) {
              const user = req.reauthenticating
                ? ((req.state as string | undefined) ?? req.client.clientId)
                : req.data?.toString();
              if (user === undefined || user === '') return deny('who are you?', { reasonCode: 0x86 });
              const nonce = randomBytes(16);
              return challenge(nonce, { user, nonce });
            }
            const { user, nonce } = req.state as { user: string; nonce: Buffer };
            if (req.data === undefined || !hmac(nonce).equals(req.data)) return deny('bad proof', { reasonCode: 0x86 });
            return authenticated(Buffer.from(`welcome ${user}`));
          };
          // async: answered in a later turn of the event loop, as a plugin waiting on I/O would.
          return opts.async ? new Promise<void>((resolve) => setImmediate(resolve)).then(answer) : answer();
        },
      },
    }),
  });
}

function connectWith(c: RawClient, extra: Partial<ConnectPacket> = {}): void {
  c.setProtocolVersion(5);
  c.send(
    {
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      clean: true,
      keepalive: 0,
      clientId: 'alice',
      properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('alice') },
      ...extra,
    },
    5,
  );
}
const answer = (c: RawClient, data: Buffer, method = METHOD, reasonCode = 0x18): void =>
  c.send({ type: 'auth', reasonCode, properties: { authenticationMethod: method, authenticationData: data } }, 5);

/** Runs the whole exchange; returns the CONNACK. */
async function authenticate(
  c: RawClient,
): Promise<{ challenge: AuthPacket; connack: Awaited<ReturnType<RawClient['expectPacket']>> }> {
  connectWith(c);
  const ch = await c.expectPacket('auth');
  answer(c, hmac(ch.properties!.authenticationData!));
  return { challenge: ch, connack: await c.expectPacket('connack') };
}

describe('enhanced authentication', () => {
  it('[MQTT-4.12.0-2] [MQTT-4.12.0-3] [MQTT-4.12.0-5] challenge, response, then CONNACK with the method and the success data', async () => {
    const seen: EnhancedAuthRequest[] = [];
    await h.start({}, { plugins: [hmacPlugin(seen)] });
    const c = await h.client();
    const { challenge: ch, connack } = await authenticate(c);
    expect(ch).toMatchObject({ reasonCode: 0x18, properties: { authenticationMethod: METHOD } });
    expect(ch.properties!.authenticationData).toHaveLength(16);
    expect(connack).toMatchObject({ reasonCode: 0, properties: { authenticationMethod: METHOD } });
    expect(
      (connack as { properties?: { authenticationData?: Buffer } }).properties?.authenticationData?.toString(),
    ).toBe('welcome alice');
    expect(seen.map((r) => [r.step, r.reauthenticating, r.connect?.clientId])).toEqual([
      [0, false, 'alice'],
      [1, false, 'alice'],
    ]);
    // A normal session follows.
    await subscribeV5(c, { topic: 't' });
    publishV5(c, 't', 'hello');
    expect((await c.expectPacket('publish')).payload.toString()).toBe('hello');
  });

  it('works with asynchronous plugin steps', async () => {
    await h.start({}, { plugins: [hmacPlugin([], { async: true })] });
    const c = await h.client();
    expect((await authenticate(c)).connack).toMatchObject({ reasonCode: 0 });
  });

  it("[MQTT-4.12.0-4] a wrong response is refused with the plugin's CONNACK code and the connection closes", async () => {
    await h.start({}, { plugins: [hmacPlugin()] });
    const c = await h.client();
    connectWith(c);
    await c.expectPacket('auth');
    answer(c, Buffer.from('not the proof'));
    expect(await c.expectPacket('connack')).toMatchObject({
      reasonCode: 0x86,
      properties: { reasonString: 'bad proof' },
    });
    await c.closed();
  });

  it('[MQTT-4.12.0-1] an Authentication Method no plugin handles gets CONNACK 0x8C', async () => {
    await h.start({}, { plugins: [hmacPlugin()] });
    const c = await h.client();
    connectWith(c, { properties: { authenticationMethod: 'SCRAM-SHA-1' } });
    expect(await c.expectPacket('connack')).toMatchObject({ reasonCode: 0x8c });
    await c.closed();
  });

  it('without a method the authenticate hooks decide as before (this plugin denies them)', async () => {
    await h.start({}, { plugins: [hmacPlugin()] });
    const c = await h.client();
    expect(
      await c.connect({ protocolVersion: 5, clientId: 'bob', username: 'bob', password: Buffer.from('x') }),
    ).toMatchObject({ reasonCode: 0x87 });
  });

  it('[MQTT-3.1.2-30] a packet other than AUTH during the exchange closes the connection', async () => {
    await h.start({}, { plugins: [hmacPlugin()] });
    const c = await h.client();
    connectWith(c);
    await c.expectPacket('auth');
    publishV5(c, 't', 'too early');
    await c.closed();
    expect(h.tb.broker.stats().messagesReceived).toBe(0);
  });

  it('[MQTT-4.12.0-5] an AUTH with another method during the exchange gets CONNACK 0x82', async () => {
    await h.start({}, { plugins: [hmacPlugin()] });
    const c = await h.client();
    connectWith(c);
    const ch = await c.expectPacket('auth');
    answer(c, hmac(ch.properties!.authenticationData!), 'OTHER');
    expect(await c.expectPacket('connack')).toMatchObject({ reasonCode: 0x82 });
    await c.closed();
  });

  it('a client that never answers the challenge is closed after connect_timeout', async () => {
    await h.start({ connect_timeout: 0.3 }, { plugins: [hmacPlugin()] });
    const c = await h.client();
    connectWith(c);
    await c.expectPacket('auth');
    await c.closed(2000);
  });

  it("a plugin step that throws denies (0x87), is logged under the plugin's name, and the broker carries on", async () => {
    const records: LogRecord[] = [];
    await h.start(
      { log_level: 'error' },
      { plugins: [hmacPlugin([], { throwOnceAt: 1 })], logger: memoryLogger(records) },
    );
    const c = await h.client();
    connectWith(c);
    const ch = await c.expectPacket('auth');
    answer(c, hmac(ch.properties!.authenticationData!));
    expect(await c.expectPacket('connack')).toMatchObject({ reasonCode: 0x87 });
    expect(
      records.some(
        (r) => r.level === 'error' && r.bindings?.plugin === 'hmac-auth' && /enhancedAuth failed/.test(r.msg ?? ''),
      ),
    ).toBe(true);
    const d = await h.client();
    expect((await authenticate(d)).connack).toMatchObject({ reasonCode: 0 });
  });

  it('[MQTT-4.12.1-1] re-authentication: AUTH 0x19, a challenge, then AUTH 0x00; messages keep flowing meanwhile', async () => {
    const seen: EnhancedAuthRequest[] = [];
    await h.start({}, { plugins: [hmacPlugin(seen)] });
    const c = await h.client();
    await authenticate(c);
    await subscribeV5(c, { topic: 't' });
    answer(c, Buffer.from('alice'), METHOD, 0x19);
    const ch = await c.expectPacket('auth');
    expect(ch).toMatchObject({ reasonCode: 0x18, properties: { authenticationMethod: METHOD } });
    publishV5(c, 't', 'during');
    expect((await c.expectPacket('publish')).payload.toString()).toBe('during');
    answer(c, hmac(ch.properties!.authenticationData!));
    const done = await c.expectPacket('auth');
    expect(done).toMatchObject({ reasonCode: 0x00, properties: { authenticationMethod: METHOD } });
    expect(done.properties?.authenticationData?.toString()).toBe('welcome alice');
    expect(seen.slice(2).map((r) => [r.step, r.reauthenticating, r.connect])).toEqual([
      [0, true, undefined],
      [1, true, undefined],
    ]);
  });

  it("[MQTT-4.12.1-2] a failed re-authentication ends with DISCONNECT (0x87 where the plugin's code is CONNACK-only)", async () => {
    await h.start({}, { plugins: [hmacPlugin()] });
    const c = await h.client();
    await authenticate(c);
    answer(c, Buffer.from('alice'), METHOD, 0x19);
    await c.expectPacket('auth');
    answer(c, Buffer.from('wrong'));
    // The plugin said 0x86, which only CONNACK may carry.
    expect(await c.expectPacket('disconnect')).toMatchObject({
      reasonCode: 0x87,
      properties: { reasonString: 'bad proof' },
    });
    await c.closed();
  });

  it('[MQTT-4.12.1-1] re-authentication with another method is a Protocol Error (DISCONNECT 0x82)', async () => {
    await h.start({}, { plugins: [hmacPlugin()] });
    const c = await h.client();
    await authenticate(c);
    answer(c, Buffer.from('alice'), 'OTHER', 0x19);
    expect(await c.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x82 });
  });

  it('[MQTT-4.12.0-7] AUTH from a client that connected without a method is a Protocol Error (DISCONNECT 0x82)', async () => {
    await h.start(
      {},
      { plugins: [definePlugin({ name: 'open', apiVersion: 1, setup: () => ({ authenticate: () => allow }) })] },
    );
    const c = await h.v5('plain');
    answer(c, Buffer.from('x'), METHOD, 0x19);
    expect(await c.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x82 });
  });

  it('two plugins claiming the same method fail at start, naming both', async () => {
    const other = definePlugin({
      name: 'other-auth',
      apiVersion: 1,
      setup: () => ({ enhancedAuth: { methods: [METHOD], step: () => allow } }),
    });
    const err = await h.start({}, { plugins: [hmacPlugin(), other] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PluginError);
    expect((err as Error).message).toMatch(/'TEST-HMAC-SHA256' is already handled by plugin 'hmac-auth'/);
  });

  it('end to end with the Midge client: exchange at connect, re-authentication, and a refused proof', async () => {
    await h.start({}, { plugins: [hmacPlugin()] });
    const answers: boolean[] = [];
    const client = await connect(h.tb.url, {
      protocolVersion: 5,
      clientId: 'dev-1',
      properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('dev-1') },
      authenticate: ({ method, data, reauthenticating }) => {
        expect(method).toBe(METHOD);
        answers.push(reauthenticating);
        return hmac(data!);
      },
    });
    try {
      expect(client.connack?.properties?.authenticationData?.toString()).toBe('welcome dev-1');
      await client.reauthenticate(Buffer.from('dev-1'));
      expect(answers).toEqual([false, true]);
    } finally {
      await client.end();
    }
    await expect(
      connect(h.tb.url, {
        protocolVersion: 5,
        clientId: 'dev-2',
        autoReconnect: false,
        properties: { authenticationMethod: METHOD, authenticationData: Buffer.from('dev-2') },
        authenticate: () => Buffer.from('forged'),
      }),
    ).rejects.toMatchObject({ code: 'CLIENT_CONNECT_REFUSED', reasonCode: 0x86 });
  });
});
