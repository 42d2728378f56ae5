import { afterEach, describe, expect, it } from 'vitest';
import { encodePacket } from '../../src/codec/index.js';
import { allow, definePlugin, deny } from '../../src/plugin-api/index.js';
import { disconnection, gate, Harness, publish, subscribe, until } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

describe('CONNECT', () => {
  it('[MQTT-3.1.0-1] a PUBLISH before CONNECT closes the connection', async () => {
    await h.start();
    const c = await h.client();
    publish(c, 'a', 'x');
    await c.closed();
  });

  it('[MQTT-3.1.0-1] a connection that sends no CONNECT within connect_timeout is closed', async () => {
    await h.start({ connect_timeout: 1 });
    const c = await h.client();
    const t0 = Date.now();
    await c.closed(3000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('[MQTT-3.1.0-2] a second CONNECT closes the connection', async () => {
    await h.start();
    const c = await h.connected('c');
    c.send({ type: 'connect', protocolName: 'MQTT', protocolVersion: 4, clean: true, keepalive: 0, clientId: 'c' });
    await c.closed();
  });

  it('[MQTT-3.1.2-2] an unsupported protocol level gets CONNACK 0x84 (v5 format above level 5), then the connection closes', async () => {
    await h.start();
    const c = await h.client();
    c.setProtocolVersion(5);
    // CONNECT "MQTT" level 6
    c.send(Buffer.from('100c00044d5154540602000000 00'.replace(/ /g, ''), 'hex'));
    expect(await c.expectPacket('connack')).toMatchObject({ reasonCode: 0x84, sessionPresent: false });
    await c.closed();
  });

  it('[MQTT-3.1.3-6] an empty client id with clean session is assigned an id', async () => {
    await h.start();
    const events: string[] = [];
    h.tb.broker.on('client:connected', (e) => events.push(e.client.clientId));
    const c = await h.client();
    expect(await c.connect({ clientId: '', clean: true })).toMatchObject({ reasonCode: 0 });
    expect(events[0]).toMatch(/^midge-/);
  });

  it('[MQTT-3.1.3-8] an empty client id without clean session gets CONNACK 0x02 and is closed', async () => {
    await h.start();
    const c = await h.client();
    expect(await c.connect({ clientId: '', clean: false })).toMatchObject({ reasonCode: 2 });
    await c.closed();
  });

  it('MQTT 3.1 (MQIsdp) clients connect, ids longer than 23 characters too (as Mosquitto)', async () => {
    await h.start();
    const ok = await h.client();
    expect(await ok.connect({ protocolVersion: 3, clientId: 'x'.repeat(23) })).toMatchObject({ reasonCode: 0 });
    await subscribe(ok, 't');
    const long = await h.client();
    expect(await long.connect({ protocolVersion: 3, clientId: 'x'.repeat(24) })).toMatchObject({ reasonCode: 0 });
    const pub = await h.connected('p');
    publish(pub, 't', 'v31');
    expect((await ok.expectPacket('publish')).payload.toString()).toBe('v31');
  });

  it('[MQTT-3.1.4-2] a new connection with the same client id closes the old one, and its will fires', async () => {
    await h.start();
    const watcher = await h.subscriber('will/+');
    const will = { topic: 'will/old', payload: Buffer.from('gone'), qos: 0 as const, retain: false };
    for (const clean of [true, false]) {
      const old = await h.connected('dup', { clean, will });
      const fresh = await h.connected('dup', { clean });
      await old.closed();
      expect((await watcher.expectPacket('publish')).payload.toString()).toBe('gone');
      fresh.send({ type: 'pingreq' });
      await fresh.expectPacket('pingresp');
      await fresh.disconnect();
    }
  });

  it('[MQTT-3.2.0-1] CONNACK is the first packet the server sends, even with queued messages waiting', async () => {
    await h.start();
    const pub = await h.connected('p');
    await subscribe(pub, 'x');
    // A persistent session with a queued message: on reconnect CONNACK must still come first.
    const c1 = await h.connected('s', { clean: false });
    await subscribe(c1, 'q', 1);
    const gone = disconnection(h.tb.broker, 's');
    c1.destroy();
    await gone; // so the message is queued for the session, not written to the closing socket
    publish(pub, 'q', 'queued', 1);
    await pub.expectPacket('puback');
    const c2 = await h.client();
    c2.send({ type: 'connect', protocolName: 'MQTT', protocolVersion: 4, clean: false, keepalive: 0, clientId: 's' });
    expect((await c2.next()).type).toBe('connack');
    expect((await c2.expectPacket('publish')).payload.toString()).toBe('queued');
  });
});

describe('authentication through plugins', () => {
  const auth = (
    decide: (username: string | undefined) => ReturnType<typeof deny> | typeof allow | Promise<typeof allow>,
  ) =>
    definePlugin({
      name: 'test-auth',
      apiVersion: 1,
      setup: () => ({ authenticate: ({ client }) => decide(client.username) }),
    });

  it('a denied CONNECT gets CONNACK 0x05 (not authorized) and is closed', async () => {
    await h.start({}, { plugins: [auth(() => deny('nope'))] });
    const c = await h.client();
    expect(await c.connect({ clientId: 'c' })).toMatchObject({ reasonCode: 5 });
    await c.closed();
  });

  it('a deny with reasonCode 4 gets CONNACK 0x04 (bad user name or password)', async () => {
    await h.start({}, { plugins: [auth(() => deny('bad password', { reasonCode: 4 }))] });
    const c = await h.client();
    expect(await c.connect({ clientId: 'c', username: 'u', password: Buffer.from('p') })).toMatchObject({
      reasonCode: 4,
    });
    await c.closed();
  });

  it('an async allow connects, and packets sent before CONNACK are handled after it, in order', async () => {
    const decided = gate();
    await h.start(
      {},
      {
        plugins: [
          auth(async () => {
            await decided.opened;
            return allow;
          }),
        ],
      },
    );
    const c = await h.client();
    const frames = [
      encodePacket({
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 0,
        clientId: 'c',
      }),
      encodePacket({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 't', qos: 0 }] }),
      encodePacket({ type: 'pingreq' }),
    ];
    for (const frame of frames) c.send(frame);
    // Authentication answers once the broker has read all three packets: two of them wait for CONNACK.
    const sent = frames.reduce((n, f) => n + f.length, 0);
    await until(() => h.tb.broker.stats().bytesReceived >= sent, 2000, 'the broker to read every packet');
    decided.open();
    expect(await c.expectPacket('connack')).toMatchObject({ reasonCode: 0 });
    await c.expectPacket('suback');
    await c.expectPacket('pingresp');
  });

  it('bytes sent while authentication is pending are bounded by max_buffered_before_connack', async () => {
    // Authentication answers only after the test: every byte arrives while it is pending.
    const decided = gate();
    await h.start(
      { max_buffered_before_connack: 1024 },
      {
        plugins: [
          auth(async () => {
            await decided.opened;
            return allow;
          }),
        ],
      },
    );
    const c = await h.client();
    const frames = [
      encodePacket({
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 4,
        clean: true,
        keepalive: 0,
        clientId: 'c',
      }),
    ];
    for (let i = 0; i < 20; i++)
      frames.push(
        encodePacket({ type: 'publish', topic: 't', payload: Buffer.alloc(200), qos: 0, retain: false, dup: false }),
      );
    c.send(Buffer.concat(frames));
    await c.closed();
    decided.open();
  });

  it('a large CONNECT (will payload over max_buffered_before_connack) is still accepted', async () => {
    await h.start({ max_buffered_before_connack: 1024 }, { plugins: [auth(() => Promise.resolve(allow))] });
    const c = await h.client();
    const ack = await c.connect({
      clientId: 'big',
      will: { topic: 'w', payload: Buffer.alloc(60_000), qos: 0, retain: false },
    });
    expect(ack.reasonCode).toBe(0);
  });
});
