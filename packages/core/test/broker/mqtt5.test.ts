import { afterEach, describe, expect, it, vi } from 'vitest';
import { allow, definePlugin, deny } from '../../src/plugin-api/index.js';
import type { RawClient } from '../../src/testing/index.js';
import { barrier, disconnection, Harness, publishV5, subscribeV5, until } from './helpers.js';

const h = new Harness();
afterEach(async () => {
  vi.useRealTimers();
  await h.stop();
});

const v5 = (clientId: string, extra?: Parameters<Harness['v5']>[1]): Promise<RawClient> => h.v5(clientId, extra);
const sub5 = subscribeV5;
const pub5 = publishV5;

describe('MQTT 5', () => {
  it('[MQTT-3.2.2-16] CONNACK assigns a client id and advertises limits', async () => {
    await h.start({ max_packet_size: 4096 });
    const c = await h.client();
    const ack = await c.connect({ protocolVersion: 5, clientId: '' });
    expect(ack.reasonCode).toBe(0);
    expect(ack.properties?.assignedClientIdentifier).toMatch(/^midge-/);
    expect(ack.properties).toMatchObject({ maximumPacketSize: 4096 });
    // Absent means available: shared subscriptions are supported (test/broker/shared-subscriptions.test.ts).
    expect(ack.properties?.sharedSubscriptionAvailable).toBeUndefined();
  });

  it('[MQTT-3.1.2-23] session expiry 0 ends the session with the connection; a longer one keeps it, then expires', async () => {
    await h.start();
    const a = await v5('s', { clean: false });
    await a.disconnect(5);
    const b = await h.client();
    expect(
      await b.connect({ protocolVersion: 5, clientId: 's', clean: false, properties: { sessionExpiryInterval: 1 } }),
    ).toMatchObject({ sessionPresent: false });
    await b.disconnect(5);
    const c = await h.client();
    expect(
      await c.connect({ protocolVersion: 5, clientId: 's', clean: false, properties: { sessionExpiryInterval: 1 } }),
    ).toMatchObject({ sessionPresent: true });
    await c.disconnect(5);
    await until(() => h.tb.broker.sessionCount() === 0, 3000);
  });

  it('session_expiry_interval caps the requested expiry and CONNACK says so', async () => {
    await h.start({ session_expiry_interval: 60 });
    const c = await h.client();
    const ack = await c.connect({ protocolVersion: 5, clientId: 'c', properties: { sessionExpiryInterval: 3600 } });
    expect(ack.properties?.sessionExpiryInterval).toBe(60);
  });

  it('[MQTT-3.3.2-17] PUBLISH properties reach v5 subscribers unchanged; v3.1.1 subscribers get the message', async () => {
    await h.start();
    const s5 = await v5('s5');
    await sub5(s5, { topic: 'p' });
    const s4 = await h.subscriber('p');
    const p = await v5('p');
    const properties = {
      userProperties: [['k', 'v'] as const, ['k', 'w'] as const],
      contentType: 'text/plain',
      responseTopic: 'reply',
      correlationData: Buffer.from([1, 2]),
      payloadFormatIndicator: true,
    };
    pub5(p, 'p', 'props', 0, {
      properties: {
        ...properties,
        userProperties: [
          ['k', 'v'],
          ['k', 'w'],
        ],
      },
    });
    const got = await s5.expectPacket('publish');
    expect(got.properties).toEqual({
      ...properties,
      userProperties: [
        ['k', 'v'],
        ['k', 'w'],
      ],
    });
    expect((await s4.expectPacket('publish')).payload.toString()).toBe('props');
  });

  it('[MQTT-3.3.2-5] an expired queued message is not delivered; a live one has its expiry counted down', async () => {
    // The broker reads expiry off Date: a faked one moves past the 1 s expiry without waiting for it.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    await h.start();
    const a = await v5('q', { clean: false, properties: { sessionExpiryInterval: 60 } });
    await sub5(a, { topic: 'e', qos: 1 });
    await a.disconnect(5);
    const p = await v5('p');
    pub5(p, 'e', 'short', 1, { properties: { messageExpiryInterval: 1 } });
    pub5(p, 'e', 'long', 1, { properties: { messageExpiryInterval: 30 } });
    await p.expectPacket('puback');
    await p.expectPacket('puback');
    vi.setSystemTime(Date.now() + 1100);
    const b = await h.client();
    expect(
      await b.connect({ protocolVersion: 5, clientId: 'q', clean: false, properties: { sessionExpiryInterval: 60 } }),
    ).toMatchObject({ sessionPresent: true });
    const m = await b.expectPacket('publish');
    expect(m.payload.toString()).toBe('long');
    expect(m.properties?.messageExpiryInterval).toBeLessThan(30);
    expect(h.tb.broker.stats().dropped['expired']).toBe(1);
  });

  it('[MQTT-3.8.3-3] No Local: a client does not receive its own messages', async () => {
    await h.start();
    const c = await v5('c');
    await sub5(c, { topic: 'n', noLocal: true });
    const other = await v5('o');
    await sub5(other, { topic: 'n' });
    pub5(c, 'n', 'mine');
    expect((await other.expectPacket('publish')).payload.toString()).toBe('mine');
    // Routed to both subscriptions in one go: a copy for c would be queued before this PINGRESP.
    await barrier(c);
  });

  it('[MQTT-3.3.1-12] Retain As Published keeps RETAIN=1 on live deliveries', async () => {
    await h.start();
    const rap = await v5('rap');
    await sub5(rap, { topic: 'r', retainAsPublished: true });
    const plain = await v5('plain');
    await sub5(plain, { topic: 'r' });
    const p = await v5('p');
    pub5(p, 'r', 'x', 0, { retain: true });
    expect((await rap.expectPacket('publish')).retain).toBe(true);
    expect((await plain.expectPacket('publish')).retain).toBe(false);
  });

  it('[MQTT-3.3.1-10] [MQTT-3.3.1-11] Retain Handling 1 sends retained only for a new subscription, 2 never', async () => {
    await h.start();
    await h.tb.broker.publish({ topic: 'rh', payload: 'kept', retain: true }, { trusted: true });
    await h.tb.broker.publish({ topic: 'marker', payload: 'm', retain: true }, { trusted: true });
    // Retained messages go out in SUBSCRIBE order: one for 'rh' would come before the marker's.
    const nextRetainedIsMarker = async (c: RawClient): Promise<void> => {
      expect(await sub5(c, { topic: 'marker' })).toEqual([0]);
      expect((await c.expectPacket('publish')).topic).toBe('marker');
    };
    const c = await v5('c');
    await sub5(c, { topic: 'rh', retainHandling: 1 });
    expect((await c.expectPacket('publish')).retain).toBe(true);
    await sub5(c, { topic: 'rh', retainHandling: 1 });
    await nextRetainedIsMarker(c);
    const d = await v5('d');
    await sub5(d, { topic: 'rh', retainHandling: 2 });
    await nextRetainedIsMarker(d);
  });

  it('[MQTT-3.3.4-3] subscription identifiers of every matching subscription are sent with the message', async () => {
    await h.start();
    const c = await v5('c');
    await sub5(c, { topic: 'a/+' }, 7);
    await sub5(c, { topic: 'a/#' }, 9);
    await sub5(c, { topic: '#' });
    const p = await v5('p');
    pub5(p, 'a/b', 'x');
    const m = await c.expectPacket('publish');
    expect([...(m.properties?.subscriptionIdentifier ?? [])].sort()).toEqual([7, 9]);
    await barrier(c); // one PUBLISH for all three subscriptions, not one each
  });

  it('SUBACK reason codes: 0x8F invalid filter or malformed shared subscription, 0x87 denied', async () => {
    const acl = definePlugin({
      name: 'acl',
      apiVersion: 1,
      setup: () => ({ authorizeTopic: (r) => (r.topic === 'no' ? deny() : allow) }),
    });
    await h.start({}, { plugins: [acl] });
    const c = await v5('c');
    expect(await sub5(c, { topic: '$share/+/t' })).toEqual([0x8f]);
    expect(await sub5(c, { topic: 'a/#/b' })).toEqual([0x8f]);
    expect(await sub5(c, { topic: 'no' })).toEqual([0x87]);
    // A denied PUBLISH is answered PUBACK 0x87 in v5.
    const id = pub5(c, 'no', 'x', 1);
    expect(await c.expectPacket('puback')).toMatchObject({ packetId: id, reasonCode: 0x87 });
  });

  it('[MQTT-3.11.3-1] UNSUBACK carries a reason code per filter', async () => {
    await h.start();
    const c = await v5('c');
    await sub5(c, { topic: 'x' });
    c.send({ type: 'unsubscribe', packetId: 5, topics: ['x', 'y'] }, 5);
    expect(await c.expectPacket('unsuback')).toMatchObject({ reasonCodes: [0, 0x11] });
  });

  it('[MQTT-3.14.4-3] DISCONNECT with reason 0x04 publishes the will', async () => {
    await h.start();
    const w = await h.subscriber('will');
    const c = await v5('c', { will: { topic: 'will', payload: Buffer.from('asked'), qos: 0, retain: false } });
    c.send({ type: 'disconnect', reasonCode: 0x04 }, 5);
    expect((await w.expectPacket('publish')).payload.toString()).toBe('asked');
  });

  it('[MQTT-3.1.3-9] the will waits for its delay and is dropped if the client returns in time', async () => {
    // The delay is a broker timer: faked, so the test moves time on instead of waiting for it.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.now() });
    await h.start();
    const w = await h.subscriber('will/#');
    const will = (n: string) => ({
      topic: `will/${n}`,
      payload: Buffer.from(n),
      qos: 0 as const,
      retain: false,
      properties: { willDelayInterval: 1 },
    });
    const back = await v5('back', { clean: false, properties: { sessionExpiryInterval: 60 }, will: will('back') });
    const gone = await v5('gone', { clean: false, properties: { sessionExpiryInterval: 60 }, will: will('gone') });
    const bothGone = Promise.all([disconnection(h.tb.broker, 'back'), disconnection(h.tb.broker, 'gone')]);
    back.destroy();
    gone.destroy();
    await bothGone;
    vi.advanceTimersByTime(999);
    await barrier(w); // no will before its delay
    await v5('back', { clean: false, properties: { sessionExpiryInterval: 60 } });
    vi.advanceTimersByTime(1);
    expect((await w.expectPacket('publish')).topic).toBe('will/gone');
    await barrier(w); // the will of 'back', which came back in time, is not published
  });

  it('[MQTT-4.13.1-1] the server says why it closes: keepalive 0x8D, takeover 0x8E, topic alias 0x94', async () => {
    await h.start();
    const k = await v5('k', { keepalive: 1 });
    expect(await k.expectPacket('disconnect', 3000)).toMatchObject({ reasonCode: 0x8d });
    const old = await v5('t');
    await v5('t');
    expect(await old.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x8e });
    const a = await v5('a');
    pub5(a, 'x', 'y', 0, { properties: { topicAlias: 11 } }); // above the default Topic Alias Maximum of 10
    expect(await a.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x94 });
    await a.closed();
  });

  it('server shutdown sends DISCONNECT 0x8B to v5 clients', async () => {
    await h.start();
    const c = await v5('c');
    const closing = h.tb.close();
    expect(await c.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x8b });
    await closing;
  });

  it('[MQTT-3.3.4-9] the client Receive Maximum bounds the outbound inflight window', async () => {
    await h.start();
    const c = await v5('c', { properties: { receiveMaximum: 1 } });
    await sub5(c, { topic: 'w', qos: 1 });
    const p = await v5('p');
    pub5(p, 'w', 'a', 1);
    pub5(p, 'w', 'b', 1);
    const first = await c.expectPacket('publish');
    await p.expectPacket('puback');
    await p.expectPacket('puback'); // both routed: 'b' waits for room in the window
    await barrier(c);
    c.send({ type: 'puback', packetId: first.packetId! }, 5);
    expect((await c.expectPacket('publish')).payload.toString()).toBe('b');
  });

  it('[MQTT-3.1.2-25] a message over the client Maximum Packet Size is not sent to it', async () => {
    await h.start();
    const c = await v5('c', { properties: { maximumPacketSize: 100 } });
    await sub5(c, { topic: 'm' });
    const p = await v5('p');
    pub5(p, 'm', 'x'.repeat(200));
    pub5(p, 'm', 'small');
    expect((await c.expectPacket('publish')).payload.toString()).toBe('small');
    expect(h.tb.broker.stats().dropped['too-large']).toBe(1);
  });

  it('authentication: deny → CONNACK 0x87, reasonCode 4 → 0x86, an authentication method → 0x8C', async () => {
    const auth = definePlugin({
      name: 'auth',
      apiVersion: 1,
      setup: () => ({
        authenticate: ({ client }) => (client.username === 'bad' ? deny('bad', { reasonCode: 4 }) : deny('no')),
      }),
    });
    await h.start({}, { plugins: [auth] });
    const a = await h.client();
    expect(await a.connect({ protocolVersion: 5, clientId: 'a' })).toMatchObject({ reasonCode: 0x87 });
    const b = await h.client();
    expect(await b.connect({ protocolVersion: 5, clientId: 'b', username: 'bad' })).toMatchObject({ reasonCode: 0x86 });
    const c = await h.client();
    expect(
      await c.connect({ protocolVersion: 5, clientId: 'c', properties: { authenticationMethod: 'SCRAM-SHA-1' } }),
    ).toMatchObject({ reasonCode: 0x8c });
  });
});
