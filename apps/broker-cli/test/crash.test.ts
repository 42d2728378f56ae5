/**
 * kill -9 the real `midge` at seeded random points while a publisher streams QoS 1 and QoS 2 messages, then
 * restart it on the same data directory, again and again: every message the broker acknowledged reaches each
 * persistent subscriber (QoS 1 at least once, QoS 2 exactly once), in publish order; the retained message and
 * expiry (session and message) hold across the restarts. Issue 12's crash test.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Packet } from '@midge/mqtt-core/codec';
import { RawClient } from '@midge/mqtt-core/testing';
import { BrokerProcess, withTempDir } from './cli-process.js';

const KILLS = 20;

/** A small seeded generator (mulberry32): the kill points are random, and the same in every run. */
function seeded(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * What a subscriber received: the sequence numbers of each stream (q1, q2), in arrival order, and, as an MQTT
 * client keeps across reconnects of its session, the QoS 2 packet ids received and not yet released by
 * PUBREL: a PUBLISH resent with such an id is the same message, acknowledged again but not delivered twice.
 */
interface Received {
  q1: number[];
  q2: number[];
  qos2Ids: Set<number>;
}

const nothingYet = (): Received => ({ q1: [], q2: [], qos2Ids: new Set() });

/**
 * Keeps a subscriber's connection answering (PUBACK, PUBREC, PUBCOMP) and records the payloads until the
 * connection closes (the broker was killed) or `stop` is set.
 */
async function consume(c: RawClient, into: Received, idleMs = 60_000): Promise<void> {
  for (;;) {
    let p: Packet;
    try {
      p = await c.next(idleMs);
    } catch {
      return;
    }
    if (p.type === 'publish') {
      const seq = Number(p.payload.toString());
      const id = p.packetId;
      const resent = p.qos === 2 && id !== undefined && into.qos2Ids.has(id);
      if (!resent && p.topic === 'crash/q1') into.q1.push(seq);
      if (!resent && p.topic === 'crash/q2') into.q2.push(seq);
      if (p.qos === 1 && id !== undefined) c.send({ type: 'puback', packetId: id });
      if (p.qos === 2 && id !== undefined) {
        into.qos2Ids.add(id);
        c.send({ type: 'pubrec', packetId: id });
      }
    } else if (p.type === 'pubrel') {
      into.qos2Ids.delete(p.packetId);
      c.send({ type: 'pubcomp', packetId: p.packetId });
    }
  }
}

async function start(dir: string, config: string): Promise<{ broker: BrokerProcess; port: number }> {
  const broker = new BrokerProcess(['-c', config], dir, undefined, { detached: true });
  return { broker, port: await broker.port() };
}

/** kill -9 of the whole process group: the broker and its young-generation supervisor, no shutdown of any kind. */
async function crash(broker: BrokerProcess): Promise<void> {
  broker.signalGroup('SIGKILL');
  await broker.exited;
}

async function connected(port: number, clientId: string, extra: Record<string, unknown> = {}): Promise<RawClient> {
  const c = await RawClient.connect(port);
  const ack = await c.connect({ clientId, clean: false, ...extra });
  if (ack.reasonCode !== 0) throw new Error(`CONNACK ${ack.reasonCode} for ${clientId}`);
  return c;
}

describe('kill -9 at random points, restart on the same directory', () => {
  it(
    `loses no acknowledged QoS 1/2 message over ${KILLS} kills; retained and expiry survive`,
    { timeout: 180_000 },
    async () => {
      await withTempDir(async (dir) => {
        const config = join(dir, 'broker.yaml');
        await writeFile(
          config,
          'listeners:\n  default:\n    bind: 127.0.0.1:0\nplugins: {}\n' +
            'max_queued_messages: 100000\npersistence:\n  path: data\n  sync: batch\n',
        );
        const random = seeded(12);
        let { broker, port } = await start(dir, config);

        // Two persistent subscribers: one offline all along, one online until each crash.
        const offline = await connected(port, 'offline-sub');
        offline.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'crash/#', qos: 2 }] });
        await offline.expectPacket('suback');
        await offline.disconnect();
        // v5 session that expires 1 s after it disconnects (wall-clock, broker down or not).
        const shortLived = await RawClient.connect(port);
        await shortLived.connect({
          protocolVersion: 5,
          clientId: 'short-lived',
          clean: false,
          properties: { sessionExpiryInterval: 1 },
        });
        shortLived.send(
          {
            type: 'subscribe',
            packetId: 1,
            subscriptions: [{ topic: 'crash/#', qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }],
          },
          5,
        );
        await shortLived.expectPacket('suback');
        await shortLived.disconnect(5);
        // A retained message that expires after 1 s: gone after the restarts.
        const v5pub = await RawClient.connect(port);
        await v5pub.connect({ protocolVersion: 5, clientId: 'expiring-pub' });
        v5pub.send(
          {
            type: 'publish',
            topic: 'crash/expiring',
            payload: Buffer.from('old'),
            qos: 1,
            retain: true,
            dup: false,
            packetId: 1,
            properties: { messageExpiryInterval: 1 },
          },
          5,
        );
        await v5pub.expectPacket('puback');
        v5pub.destroy();

        const online = nothingYet();
        const acked = { q1: [] as number[], q2: [] as number[] };
        let lastRetainedAck = -1;
        let seq = 0;
        for (let kill = 0; kill < KILLS; kill++) {
          const sub = await connected(port, 'online-sub');
          if (kill === 0) {
            sub.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'crash/#', qos: 2 }] });
          }
          const consuming = consume(sub, online);
          const pub = await connected(port, `pub-${kill}`, { clean: true });
          // Acknowledgements, by packet id: which sequence number and stream each id carried.
          const pending = new Map<number, { stream: 'q1' | 'q2' | 'retained'; seq: number }>();
          const reading = (async () => {
            for (;;) {
              let p: Packet;
              try {
                p = await pub.next(60_000);
              } catch {
                return;
              }
              const id = p.type === 'puback' || p.type === 'pubrec' ? p.packetId : undefined;
              if (id === undefined) continue;
              const sent = pending.get(id);
              pending.delete(id);
              if (sent === undefined) continue;
              if (sent.stream === 'retained') lastRetainedAck = Math.max(lastRetainedAck, sent.seq);
              else acked[sent.stream].push(sent.seq);
              if (p.type === 'pubrec') pub.send({ type: 'pubrel', packetId: id });
            }
          })();
          // Stream for a random while, then kill: the kill lands mid-stream, at a different point each time.
          const until = Date.now() + 30 + random() * 250;
          let packetId = 1;
          while (Date.now() < until) {
            // At most 100 unacknowledged, as a client with a send window: acknowledgements keep coming.
            for (let i = 0; i < 20 && pending.size < 100; i++) {
              const n = seq++;
              const stream = n % 10 === 0 ? 'retained' : n % 2 === 0 ? 'q1' : 'q2';
              const id = packetId++;
              pending.set(id, { stream, seq: n });
              pub.send({
                type: 'publish',
                topic: stream === 'retained' ? 'crash/retained' : `crash/${stream}`,
                payload: Buffer.from(String(n)),
                qos: stream === 'q2' ? 2 : 1,
                retain: stream === 'retained',
                dup: false,
                packetId: id,
              });
            }
            await new Promise((r) => setImmediate(r));
          }
          await crash(broker);
          await Promise.all([reading, consuming]);
          pub.destroy();
          sub.destroy();
          ({ broker, port } = await start(dir, config));
        }
        expect(acked.q1.length + acked.q2.length).toBeGreaterThan(KILLS * 10);

        // After the last restart: drain both persistent subscribers.
        const drain = async (clientId: string, into: Received): Promise<void> => {
          const c = await connected(port, clientId);
          await consume(c, into, 1500);
          c.destroy();
        };
        const offlineGot = nothingYet();
        await drain('offline-sub', offlineGot);
        await drain('online-sub', online);

        for (const [name, got] of [
          ['offline-sub', offlineGot],
          ['online-sub', online],
        ] as const) {
          const q1 = new Set(got.q1);
          const q2 = new Set(got.q2);
          expect(
            acked.q1.filter((n) => !q1.has(n)),
            `${name}: acknowledged QoS 1 messages missing`,
          ).toEqual([]);
          expect(
            acked.q2.filter((n) => !q2.has(n)),
            `${name}: acknowledged QoS 2 messages missing`,
          ).toEqual([]);
          // Exactly once: no QoS 2 message twice (the publisher never resends).
          expect(got.q2.length, `${name}: a QoS 2 message delivered twice`).toBe(q2.size);
          // In publish order: first arrivals of each stream increase (redeliveries come back in order too).
          for (const stream of [got.q1, got.q2]) {
            const firsts = stream.filter((n, i) => stream.indexOf(n) === i);
            expect(firsts, `${name}: out of order`).toEqual([...firsts].sort((a, b) => a - b));
          }
        }

        // The retained value is the last acknowledged one or a later one; the expiring one is gone; so is the
        // short-lived session (it expired while the broker was down or restarting).
        const probe = await RawClient.connect(port);
        await probe.connect({ clientId: 'probe' });
        probe.send({
          type: 'subscribe',
          packetId: 1,
          subscriptions: [
            { topic: 'crash/retained', qos: 0 },
            { topic: 'crash/expiring', qos: 0 },
          ],
        });
        await probe.expectPacket('suback');
        const retained = await probe.expectPacket('publish');
        expect(retained.topic).toBe('crash/retained');
        expect(Number(retained.payload.toString())).toBeGreaterThanOrEqual(lastRetainedAck);
        await probe.expectNothingBeforePingresp();
        const again = await RawClient.connect(port);
        expect(await again.connect({ protocolVersion: 5, clientId: 'short-lived', clean: false })).toMatchObject({
          sessionPresent: false,
        });
        again.destroy();
        probe.destroy();
        await broker.stop();
      });
    },
  );
});
