// Conformance hardening (issue 11): control characters, will delay, $-topics, Server Keep Alive,
// Topic Alias 0, deep topic filters. Over real sockets unless a rule needs a clock of days.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConnectPacket } from '../../src/codec/packets.js';
import type { Pipeline } from '../../src/broker/pipeline.js';
import type { Router } from '../../src/broker/router.js';
import type { BrokerServices } from '../../src/broker/services.js';
import { Journal } from '../../src/broker/journal.js';
import { MemoryPersistence } from '../../src/persistence/memory.js';
import { nullLogger } from '../../src/log.js';
import { Session } from '../../src/broker/session.js';
import { SessionStore } from '../../src/broker/session-store.js';
import { TopicTrie } from '../../src/broker/topic-trie.js';
import { RetainedStore } from '../../src/broker/retained-store.js';
import { barrier, Harness, publish, publishV5, subscribe, subscribeV5 } from '../broker/helpers.js';

const h = new Harness();
afterEach(async () => {
  vi.useRealTimers();
  await h.stop();
});

const connectV5 = async (clientId: string, extra: Partial<Omit<ConnectPacket, 'type'>> = {}) => {
  const c = await h.client();
  return { c, ack: await c.connect({ protocolVersion: 5, clientId, ...extra }) };
};
const connectV4 = async (clientId: string, extra: Partial<Omit<ConnectPacket, 'type'>> = {}) => {
  const c = await h.client();
  return { c, ack: await c.connect({ protocolVersion: 4, clientId, ...extra }) };
};

describe('control characters (control_characters: reject by default) [MQTT-1.5.4]', () => {
  it('[MQTT-1.5.4] a v5 PUBLISH topic with U+0001..U+001F is refused like any invalid topic name: DISCONNECT 0x90', async () => {
    await h.start();
    const s = await h.subscriber('#');
    const { c } = await connectV5('p');
    publishV5(c, 'log\ninjected', 'x');
    expect(await c.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x90 });
    await c.closed();
    await barrier(s);
  });

  it('[MQTT-1.5.4] a 3.1.1 PUBLISH topic with DEL or a C1 character (U+007F..U+009F) closes the connection', async () => {
    await h.start();
    for (const topic of ['a\u007fb', 'a\u0085b', 'a\u009fb']) {
      const c = await h.connected('');
      publish(c, topic, 'x');
      await c.closed();
    }
  });

  it('[MQTT-1.5.4] a SUBSCRIBE filter with a control character gets 0x8F (v5) / 0x80 (3.1.1)', async () => {
    await h.start();
    const { c } = await connectV5('s5');
    expect(await subscribeV5(c, { topic: 'a/\u001b[31m/#' })).toEqual([0x8f]);
    const c4 = await h.connected('s4');
    expect(await subscribe(c4, 'a/\tb')).toEqual([0x80]);
    // The characters around the ranges stay valid: space, '~' (U+007E) and U+00A0.
    expect(await subscribe(c4, 'a b/~/\u00a0')).toEqual([0]);
  });

  it('[MQTT-1.5.4] a client id with a control character is refused: CONNACK 0x85 (v5) / 0x02 (3.1.1)', async () => {
    await h.start();
    expect((await connectV5('evil\r\nINFO fake line')).ack.reasonCode).toBe(0x85);
    expect((await connectV4('evil\u0007')).ack.reasonCode).toBe(0x02);
  });

  it('[MQTT-1.5.4] a username with a control character is refused: CONNACK 0x86 (v5) / 0x04 (3.1.1), bad user name or password', async () => {
    await h.start();
    expect((await connectV5('u5', { username: 'alice\n' })).ack.reasonCode).toBe(0x86);
    expect((await connectV4('u4', { username: 'alice\u0085' })).ack.reasonCode).toBe(0x04);
  });

  it('[MQTT-1.5.4] a will topic with a control character is refused at CONNECT (v5: 0x90)', async () => {
    await h.start();
    const { ack } = await connectV5('w', {
      will: { topic: 'will/\u0001', payload: Buffer.from('x'), qos: 0, retain: false },
    });
    expect(ack.reasonCode).toBe(0x90);
  });

  it('[MQTT-1.5.4] control_characters: allow accepts them everywhere, as MQTT does', async () => {
    await h.start({ control_characters: 'allow' });
    const { c: s, ack } = await connectV5('id\u0001', { username: 'user\u0002' });
    expect(ack.reasonCode).toBe(0);
    expect(await subscribeV5(s, { topic: 'a\u0003/#' })).toEqual([0]);
    const { c: p } = await connectV5('p');
    publishV5(p, 'a\u0003/\u0085', 'ok');
    const got = await s.expectPacket('publish');
    expect(got.topic).toBe('a\u0003/\u0085');
  });
});

describe('v5 Will Delay Interval [MQTT-3.1.3-9]', () => {
  const will = (topic: string, willDelayInterval: number) => ({
    topic,
    payload: Buffer.from(topic),
    qos: 0 as const,
    retain: false,
    properties: { willDelayInterval },
  });

  it('[MQTT-3.1.3-9] the will waits for its delay when the session outlives the connection, then is published', async () => {
    await h.start();
    const w = await h.subscriber('will/#');
    const { c } = await connectV5('late', {
      clean: false,
      properties: { sessionExpiryInterval: 60 },
      will: will('will/late', 1),
    });
    const closedAt = Date.now();
    c.destroy();
    const p = await w.expectPacket('publish', 3000);
    expect(p.topic).toBe('will/late');
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(900);
  });

  it('[MQTT-3.1.3-9] a session that ends before the will delay (session expiry 1 s < delay 60 s) publishes the will at session end', async () => {
    await h.start();
    const w = await h.subscriber('will/#');
    const { c } = await connectV5('short', {
      clean: false,
      properties: { sessionExpiryInterval: 1 },
      will: will('will/short', 60),
    });
    const closedAt = Date.now();
    c.destroy();
    expect((await w.expectPacket('publish', 3000)).topic).toBe('will/short');
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(900);
    expect(Date.now() - closedAt).toBeLessThan(3000);
  });

  it('[MQTT-3.1.2-8] session expiry 0 ends the session with the connection: the will is published at once whatever its delay', async () => {
    await h.start();
    const w = await h.subscriber('will/#');
    const { c } = await connectV5('now', { will: will('will/now', 60) });
    c.destroy();
    expect((await w.expectPacket('publish', 500)).topic).toBe('will/now');
  });

  it("[MQTT-3.1.3-9] takeover with Clean Start 0 continues the session: the old connection's delayed will is not published", async () => {
    await h.start();
    const w = await h.subscriber('will/#');
    const { c: old } = await connectV5('t', {
      clean: false,
      properties: { sessionExpiryInterval: 60 },
      will: will('will/t', 1),
    });
    const { ack } = await connectV5('t', { clean: false, properties: { sessionExpiryInterval: 60 } });
    expect(ack.sessionPresent).toBe(true);
    expect(await old.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x8e });
    // A marker will with the same delay, started after the takeover: a wrongly kept will/t timer would fire first.
    const { c: marker } = await connectV5('marker', {
      clean: false,
      properties: { sessionExpiryInterval: 60 },
      will: will('will/marker', 1),
    });
    marker.destroy();
    expect((await w.expectPacket('publish', 3000)).topic).toBe('will/marker');
  });

  it('[MQTT-3.1.4-3] takeover with Clean Start 1 ends the old session: its will is published at once, delay or not', async () => {
    await h.start();
    const w = await h.subscriber('will/#');
    await connectV5('t', { clean: false, properties: { sessionExpiryInterval: 60 }, will: will('will/t', 60) });
    const { ack } = await connectV5('t', { clean: true });
    expect(ack.sessionPresent).toBe(false);
    expect((await w.expectPacket('publish', 500)).topic).toBe('will/t');
  });

  it('[MQTT-3.1.2-8] takeover with Will Delay 0: the delay has passed when the old connection closes, so the will is published (Mosquitto drops it)', async () => {
    await h.start();
    const w = await h.subscriber('will/#');
    await connectV5('t', { clean: false, properties: { sessionExpiryInterval: 60 }, will: will('will/t', 0) });
    await connectV5('t', { clean: false, properties: { sessionExpiryInterval: 60 } });
    expect((await w.expectPacket('publish', 500)).topic).toBe('will/t');
  });

  it('[MQTT-3.1.3-9] a will delay longer than a Node timer (24.8 days) is not published early', () => {
    vi.useFakeTimers();
    const published: string[] = [];
    const stored = { log: nullLogger, persistence: new MemoryPersistence() };
    const services = {
      host: undefined,
      stats: { drop: () => undefined },
      config: { session_expiry_interval: 0 },
      debug: false,
      ...stored,
      journal: new Journal(stored),
    } as unknown as BrokerServices;
    const router = { unsubscribeAll: () => undefined } as Pick<Router, 'unsubscribeAll'>;
    const pipeline: Pick<Pipeline, 'publishFrom'> = {
      publishFrom: (_origin, _publisher, m) => published.push(m.topic),
    };
    const store = new SessionStore(services, router, pipeline);
    const client = {
      clientId: 'x',
      username: undefined,
      protocolVersion: 5,
      listener: 'l',
      remoteAddress: '',
      remotePort: 0,
      secure: false,
    } as const;
    const session = new Session('x', false, client);
    session.willDelay = 30 * 24 * 3600; // 30 days, past setTimeout's 2^31-1 ms
    store.scheduleWill(session, client, { topic: 'will/x', payload: Buffer.alloc(0), qos: 0, retain: false });
    vi.advanceTimersByTime(25 * 24 * 3600 * 1000);
    expect(published).toEqual([]);
    vi.advanceTimersByTime(5 * 24 * 3600 * 1000);
    expect(published).toEqual(['will/x']);
  });
});

describe('$ topics other than $SYS', () => {
  it('[MQTT-4.7.2-1] a client may publish to a $ topic other than $SYS; only subscribers naming it get it, not # or +', async () => {
    await h.start();
    const dollar = await h.subscriber('$app/#', 1, 'dollar');
    const hash = await h.subscriber('#', 1, 'hash');
    const plus = await h.subscriber('+/x', 1, 'plus');
    const { c: p } = await connectV5('p');
    const id = publishV5(p, '$app/x', 'hello', 1);
    expect(await p.expectPacket('puback')).toMatchObject({ packetId: id, reasonCode: 0 });
    expect(await dollar.expectPacket('publish')).toMatchObject({ topic: '$app/x' });
    await barrier(hash);
    await barrier(plus);
  });

  it('[MQTT-4.7.2-1] a 3.1.1 client may publish to a $ topic too', async () => {
    await h.start();
    const s = await h.subscriber('$app/+', 0, 's');
    const p = await h.connected('p');
    publish(p, '$app/y', 'v4');
    expect((await s.expectPacket('publish')).payload.toString()).toBe('v4');
  });

  it('v5 PUBACK/PUBREC 0x10 (No matching subscribers) when nobody subscribes, as Mosquitto answers', async () => {
    await h.start();
    const { c: p } = await connectV5('p');
    const one = publishV5(p, '$nobody/x', 'a', 1);
    expect(await p.expectPacket('puback')).toMatchObject({ packetId: one, reasonCode: 0x10 });
    const two = publishV5(p, 'plain/nobody', 'b', 2);
    expect(await p.expectPacket('pubrec')).toMatchObject({ packetId: two, reasonCode: 0x10 });
    // 0x10 is a success code: the QoS 2 exchange goes on to PUBCOMP.
    p.send({ type: 'pubrel', packetId: two! }, 5);
    expect(await p.expectPacket('pubcomp')).toMatchObject({ packetId: two, reasonCode: 0 });
  });

  it('a client PUBLISH to $SYS (or $share) is still dropped: v5 PUBACK 0x87, subscribers get nothing', async () => {
    await h.start();
    const s = await h.subscriber('$SYS/#', 1, 's');
    const { c: p } = await connectV5('p');
    const id = publishV5(p, '$SYS/broker/uptime', 'forged', 1);
    expect(await p.expectPacket('puback')).toMatchObject({ packetId: id, reasonCode: 0x87 });
    const shared = publishV5(p, '$share/g/x', 'no', 1);
    expect(await p.expectPacket('puback')).toMatchObject({ packetId: shared, reasonCode: 0x87 });
    await barrier(s);
    // `$SYSTEM` is not `$SYS`: it is an ordinary $ topic.
    const other = publishV5(p, '$SYSTEM/x', 'fine', 1);
    expect(await p.expectPacket('puback')).toMatchObject({ packetId: other, reasonCode: 0x10 });
  });
});

describe('Server Keep Alive (max_keepalive)', () => {
  it('[MQTT-3.2.2-21] a v5 keepalive above max_keepalive gets Server Keep Alive in CONNACK, and the broker holds the client to it', async () => {
    await h.start({ max_keepalive: 1 });
    const { c, ack } = await connectV5('k', { keepalive: 600 });
    expect(ack.properties?.serverKeepAlive).toBe(1);
    const start = Date.now();
    expect(await c.expectPacket('disconnect', 4000)).toMatchObject({ reasonCode: 0x8d });
    expect(Date.now() - start).toBeLessThan(3000);
  });

  it('[MQTT-3.2.2-21] a v5 keepalive of 0 (none) gets Server Keep Alive when max_keepalive is set', async () => {
    await h.start({ max_keepalive: 30 });
    expect((await connectV5('z', { keepalive: 0 })).ack.properties?.serverKeepAlive).toBe(30);
    expect((await connectV5('ok', { keepalive: 30 })).ack.properties?.serverKeepAlive).toBeUndefined();
  });

  it('[MQTT-3.2.2-22] by default (65535 = no cap) CONNACK has no Server Keep Alive and keepalive 0 is accepted', async () => {
    await h.start();
    expect((await connectV5('z', { keepalive: 0 })).ack.properties?.serverKeepAlive).toBeUndefined();
    expect((await connectV4('z4', { keepalive: 0 })).ack.reasonCode).toBe(0);
  });

  it('a 3.1.1 keepalive above max_keepalive (or 0) is refused with CONNACK 0x02, as Mosquitto does (3.1.1 cannot be told another keepalive)', async () => {
    await h.start({ max_keepalive: 30 });
    expect((await connectV4('a', { keepalive: 31 })).ack.reasonCode).toBe(0x02);
    expect((await connectV4('b', { keepalive: 0 })).ack.reasonCode).toBe(0x02);
    expect((await connectV4('c', { keepalive: 30 })).ack.reasonCode).toBe(0);
  });
});

describe('Topic Alias 0', () => {
  it('[MQTT-3.3.2-8] a PUBLISH with Topic Alias 0 is answered with DISCONNECT 0x94 (Topic Alias invalid)', async () => {
    await h.start();
    const { c } = await connectV5('a');
    c.send(Buffer.from('30070001740323' + '0000', 'hex'));
    expect(await c.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x94 });
    await c.closed();
  });
});

describe('deep topic filters', () => {
  it('[MQTT-4.7.1-1] a 300-level filter is granted by default and matches a 300-level topic', async () => {
    await h.start();
    const filter = `${Array.from({ length: 299 }, (_, i) => `l${i}`).join('/')}/#`;
    const topic = `${Array.from({ length: 299 }, (_, i) => `l${i}`).join('/')}/end`;
    const s = await h.connected('s');
    expect(await subscribe(s, filter)).toEqual([0]);
    expect(await subscribe(s, `+/${'+/'.repeat(298)}end`)).toEqual([0]);
    const p = await h.connected('p');
    publish(p, topic, 'deep');
    expect((await s.expectPacket('publish')).topic).toBe(topic);
  });

  it('the trie and the retained store match 65,535-level topics without running out of stack', () => {
    const deep = '/'.repeat(65_534); // 65,535 empty levels, the longest topic MQTT allows
    const trie = new TopicTrie<number>();
    trie.set(deep, 'exact', 1);
    trie.set(`${'+/'.repeat(65_533)}#`, 'wild', 2);
    const hits: string[] = [];
    trie.match(deep, (_v, key) => hits.push(key), undefined);
    expect(hits.sort()).toEqual(['exact', 'wild']);
    const retained = new RetainedStore<string>();
    retained.set(deep, 'm');
    const found: string[] = [];
    retained.match('#', (m) => found.push(m), undefined);
    retained.match(`${'+/'.repeat(65_534)}+`, (m) => found.push(m), undefined);
    retained.match(deep, (m) => found.push(m), undefined);
    expect(found).toEqual(['m', 'm', 'm']);
  });

  it('a 65,535-level filter and topic over sockets, with max_topic_levels raised, are delivered (no stack overflow)', async () => {
    await h.start({ max_topic_levels: 65_535, max_packet_size: 1_048_576 });
    const deep = '/'.repeat(65_534);
    const s = await h.connected('s');
    expect(await subscribe(s, deep)).toEqual([0]);
    const p = await h.connected('p');
    publish(p, deep, 'bottom', 0, true);
    const got = await s.expectPacket('publish', 5000);
    expect(got.topic.length).toBe(65_534);
    // The retained copy is found by a wildcard walk of the same depth.
    const r = await h.connected('r');
    expect(await subscribe(r, '#')).toEqual([0]);
    expect((await r.expectPacket('publish', 5000)).retain).toBe(true);
  });
});
