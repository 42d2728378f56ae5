/**
 * Spec rules from the broker issue not covered elsewhere, several of them points where aMQTT differs
 * (docs/compatibility.md, "Protocol: where aMQTT strays from MQTT 3.1.1").
 */
import { connect as netConnect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { RetainedStore } from '../../src/broker/retained-store.js';
import { TopicTrie } from '../../src/broker/topic-trie.js';
import { barrier, Harness, publish, subscribe, until } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

describe('wills', () => {
  it('[MQTT-3.1.2-14] [MQTT-3.8.4-6] the will keeps its QoS (capped by the granted QoS), QoS 0 included', async () => {
    await h.start();
    const high = await h.subscriber('will/#', 2, 'high');
    const low = await h.subscriber('will/#', 1, 'low');
    for (const qos of [0, 1, 2] as const) {
      const c = await h.connected(`dies-${qos}`, {
        will: { topic: `will/${qos}`, payload: Buffer.from('x'), qos, retain: false },
      });
      c.destroy();
      expect(await high.expectPacket('publish')).toMatchObject({ topic: `will/${qos}`, qos });
      expect(await low.expectPacket('publish')).toMatchObject({ topic: `will/${qos}`, qos: Math.min(qos, 1) });
    }
  });

  it('[MQTT-3.1.2-8] a socket error (connection reset) publishes the will', async () => {
    await h.start();
    const w = await h.subscriber('will/#');
    const c = await h.connected('reset', {
      will: { topic: 'will/reset', payload: Buffer.from('rst'), qos: 0, retain: false },
    });
    // An RST instead of a FIN: the broker sees ECONNRESET.
    (c.socket as Socket & { resetAndDestroy(): void }).resetAndDestroy();
    expect((await w.expectPacket('publish')).payload.toString()).toBe('rst');
  });
});

describe('CONNECT', () => {
  for (const [rule, what, hex, answer] of [
    [
      '[MQTT-3.1.2-1]',
      'a protocol name other than MQTT / MQIsdp ("MQTX")',
      '100d00044d5154580402003c000161',
      '20020001',
    ],
    [
      '[MQTT-3.1.2-2]',
      'protocol level 3 under the name MQTT (3.1 is "MQIsdp")',
      '100d00044d5154540302003c000161',
      '20020001',
    ],
    // A level above 5 comes from a client newer than MQTT 5: answered in MQTT 5's format, 0x84.
    ['[MQTT-3.1.2-2]', 'protocol level 6', '100d00044d5154540602003c000161', '2003008400'],
  ] as const) {
    it(`${rule} ${what} gets CONNACK ${answer}, then the connection closes`, async () => {
      await h.start();
      const c = await h.client();
      const bytes: Buffer[] = [];
      c.socket.on('data', (b: Buffer) => bytes.push(b));
      c.send(Buffer.from(hex, 'hex'));
      await c.closed();
      expect(Buffer.concat(bytes).toString('hex')).toBe(answer);
    });
  }

  it('connect_timeout defaults to 10 s', async () => {
    await h.start();
    expect(h.tb.broker.config.connect_timeout).toBe(10);
  });
});

describe('QoS', () => {
  it('[MQTT-4.4.0-1] an unacknowledged QoS 1 message is not resent on the same connection, only after reconnecting', async () => {
    await h.start();
    const s = await h.connected('slow', { clean: false });
    await subscribe(s, 'r', 1);
    const pub = await h.connected('p');
    publish(pub, 'r', 'once', 1);
    const first = await s.expectPacket('publish');
    expect(first.dup).toBe(false);
    await barrier(s);
    s.destroy();
    await until(() => h.tb.broker.stats().clientsConnected === 1);
    const again = await h.client();
    expect(await again.connect({ clientId: 'slow', clean: false })).toMatchObject({ sessionPresent: true });
    expect(await again.expectPacket('publish')).toMatchObject({ dup: true, packetId: first.packetId, topic: 'r' });
  });

  it('max_inflight_messages defaults to 20: the 21st message waits for an acknowledgement', async () => {
    await h.start();
    const s = await h.subscriber('w', 1, 'window');
    const pub = await h.connected('p');
    for (let i = 0; i < 21; i++) publish(pub, 'w', String(i), 1);
    const got = [];
    for (let i = 0; i < 20; i++) got.push(await s.expectPacket('publish'));
    for (let i = 0; i < 21; i++) await pub.expectPacket('puback'); // the 21st is routed: held, not sent
    await barrier(s);
    s.send({ type: 'puback', packetId: got[0]!.packetId! });
    expect((await s.expectPacket('publish')).payload.toString()).toBe('20');
  });

  it('max_queued_messages defaults to 1000 per offline session; the excess is dropped and counted', async () => {
    await h.start();
    const s = await h.connected('away', { clean: false });
    await subscribe(s, 'q', 1);
    await s.disconnect();
    const pub = await h.connected('p');
    for (let i = 0; i < 1001; i++) publish(pub, 'q', String(i), 1, false, (i % 60000) + 1);
    await until(() => h.tb.broker.stats().dropped['queue-full'] === 1, 5000);
    expect(h.tb.broker.stats().messagesStored).toBe(1000);
  });
});

describe('listeners', () => {
  it('max_connections from config refuses the excess connection and keeps serving the others', async () => {
    await h.start({ listeners: { default: { type: 'tcp', bind: '127.0.0.1:0', max_connections: 1 } } });
    const first = await h.connected('first');
    const refused = await new Promise<boolean>((resolve) => {
      const s = netConnect({ host: '127.0.0.1', port: h.tb.port });
      s.on('error', () => undefined);
      s.on('close', () => resolve(true));
      s.on('connect', () => s.write(Buffer.from('100d00044d5154540402003c000162', 'hex')));
      s.on('data', () => resolve(false));
    });
    expect(refused).toBe(true);
    first.send({ type: 'pingreq' });
    await first.expectPacket('pingresp');
  });
});

describe('topic tries: no linear scans', () => {
  /** Median time of `fn` over a few runs, in ms. */
  const time = (fn: () => void): number => {
    const runs: number[] = [];
    for (let r = 0; r < 5; r++) {
      const t0 = performance.now();
      fn();
      runs.push(performance.now() - t0);
    }
    return runs.sort((a, b) => a - b)[2]!;
  };

  it('matching a topic costs the same with 100 or 100,000 unrelated subscriptions and retained messages', () => {
    const build = (n: number) => {
      const subs = new TopicTrie<number>();
      const retained = new RetainedStore<number>();
      for (let i = 0; i < n; i++) {
        subs.set(`site/${i}/+/temp`, `c${i}`, i);
        retained.set(`site/${i}/room/temp`, i);
      }
      subs.set('home/+/temp', 'me', -1);
      retained.set('home/kitchen/temp', -1);
      return { subs, retained };
    };
    const small = build(100);
    const large = build(100_000);
    const work =
      ({ subs, retained }: ReturnType<typeof build>) =>
      () => {
        let hits = 0;
        const count = (): void => void hits++;
        for (let i = 0; i < 20_000; i++) {
          subs.match('home/kitchen/temp', count, undefined);
          retained.match('home/+/temp', count, undefined);
        }
        if (hits !== 40_000) throw new Error(`expected 40000 matches, got ${hits}`);
      };
    const tSmall = time(work(small));
    const tLarge = time(work(large));
    // A scan over all entries would make the large case ~1000x slower; a trie walk does not care.
    expect(tLarge).toBeLessThan(Math.max(tSmall, 2) * 10);
  });
});
