/**
 * The conformance suite every `Persistence` implementation must pass. It takes the test framework's
 * functions as arguments so core never imports a test runner at runtime:
 *
 *   import { describe, it, expect } from 'vitest';
 *   let dir = '';
 *   persistenceConformanceSuite(
 *     'my store',
 *     async () => new MyStore((dir = mkdtempSync(join(tmpdir(), 'store-')))),
 *     { describe, it, expect },
 *     { reopen: async () => new MyStore(dir) }, // a store on disk: everything must survive close + reopen
 *   );
 *
 * Beyond single calls it checks what the broker relies on: writes of one client applied in the order issued
 * (even when not awaited one by one), a read seeing every write issued before it, inflight messages in send
 * order, any client id or topic MQTT allows, Buffers given back byte-exact and not shared.
 */
import type { PersistedDelivery, PersistedMessage, PersistedSession, PersistedWill, Persistence } from './types.js';

/** The assertions the suite uses (vitest's and jest's `expect` satisfy it). */
export interface ConformanceAssertion {
  toEqual(expected: unknown): void;
  toBe(expected: unknown): void;
  toBeUndefined(): void;
  toHaveLength(length: number): void;
}

export interface ConformanceTestApi {
  describe: (name: string, fn: () => void) => void;
  it: (name: string, fn: () => Promise<void>) => void;
  expect: (actual: unknown) => ConformanceAssertion;
}

function msg(topic: string, payload: string, qos: 0 | 1 | 2 = 1, retain = false): PersistedMessage {
  return { topic, payload: Buffer.from(payload), qos, retain };
}

function delivery(topic: string, payload: string, qos: 0 | 1 | 2 = 1): PersistedDelivery {
  return { message: msg(topic, payload, qos), qos, retain: false };
}

function session(clientId: string, extra: Partial<PersistedSession> = {}): PersistedSession {
  return { clientId, subscriptions: [], queue: [], inflight: [], inboundQos2: [], ...extra };
}

/** Normalizes buffers to strings so equality does not depend on Buffer subclassing or pooling. */
function plain(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (_k, v: unknown) => (Buffer.isBuffer(v) ? `buf:${v.toString('hex')}` : v)),
  ) as unknown;
}

/** What a store can do beyond the interface, for the cases that need it. */
export interface ConformanceOptions {
  /**
   * Opens the store `factory` last created again (same files) after it was closed: given, the suite checks
   * that everything written survives close and reopen. Omit it for a store that lives in memory only.
   */
  reopen?: () => Promise<Persistence>;
}

export function persistenceConformanceSuite(
  name: string,
  factory: () => Promise<Persistence>,
  { describe, it, expect }: ConformanceTestApi,
  options: ConformanceOptions = {},
): void {
  const withStore = (fn: (p: Persistence) => Promise<void>) => async (): Promise<void> => {
    const p = await factory();
    await p.open?.();
    try {
      await fn(p);
    } finally {
      await p.close();
    }
  };

  describe(`persistence conformance: ${name}`, () => {
    it(
      'saves, reads, lists and deletes sessions',
      withStore(async (p) => {
        const s = session('c1', {
          subscriptions: [
            { topic: 'a/+', qos: 1 },
            { topic: 'b', qos: 2, noLocal: true, retainAsPublished: true, subscriptionId: 12 },
          ],
          queue: [
            { seq: 3, delivery: delivery('a/b', 'q1') },
            {
              seq: 5,
              delivery: {
                message: {
                  ...msg('a/e', 'v5', 1),
                  properties: { contentType: 'text/plain', userProperties: [['k', 'v']] },
                  expiresAt: 99,
                },
                qos: 1,
                retain: false,
                subscriptionIds: [12],
              },
            },
          ],
          inflight: [{ packetId: 7, delivery: delivery('a/c', 'i1', 2), state: 'pubrel', seq: 2 }],
          inboundQos2: [3, 9],
          disconnectedAt: 1234,
          expiryInterval: 3600,
          username: 'bob',
          protocolVersion: 5,
        });
        await p.saveSession(s);
        await p.saveSession(session('c2'));
        expect(plain(await p.getSession('c1'))).toEqual(plain(s));
        expect(await p.getSession('nope')).toBeUndefined();
        const ids = (await p.listSessions()).map((x) => x.clientId).sort();
        expect(ids).toEqual(['c1', 'c2']);
        await p.deleteSession('c1');
        expect(await p.getSession('c1')).toBeUndefined();
        expect(await p.listSessions()).toHaveLength(1);
      }),
    );

    it(
      'keeps the owner of a session: a username, null (anonymous) or none (older records)',
      withStore(async (p) => {
        await p.saveSession(session('named', { username: 'bob' }));
        await p.saveSession(session('anonymous', { username: null }));
        await p.saveSession(session('legacy'));
        expect((await p.getSession('named'))?.username).toBe('bob');
        expect((await p.getSession('anonymous'))?.username).toBe(null);
        expect((await p.getSession('legacy'))?.username).toBeUndefined();
        const listed = new Map((await p.listSessions()).map((x) => [x.clientId, x.username]));
        expect(listed.get('named')).toBe('bob');
        expect(listed.get('anonymous')).toBe(null);
      }),
    );

    it(
      'replaces a session saved twice',
      withStore(async (p) => {
        await p.saveSession(session('c', { subscriptions: [{ topic: 'x', qos: 0 }] }));
        await p.saveSession(session('c', { subscriptions: [{ topic: 'y', qos: 2 }] }));
        expect(plain((await p.getSession('c'))?.subscriptions)).toEqual([{ topic: 'y', qos: 2 }]);
      }),
    );

    it(
      'adds, replaces and removes subscriptions of a stored session',
      withStore(async (p) => {
        await p.saveSession(session('c'));
        await p.setSubscription('c', { topic: 'a/#', qos: 1 });
        await p.setSubscription('c', { topic: 'b', qos: 0 });
        await p.setSubscription('c', { topic: 'a/#', qos: 2 });
        await p.deleteSubscription('c', 'b');
        expect(plain((await p.getSession('c'))?.subscriptions)).toEqual([{ topic: 'a/#', qos: 2 }]);
        // Unknown sessions are ignored, not created.
        await p.setSubscription('ghost', { topic: 'z', qos: 0 });
        expect(await p.getSession('ghost')).toBeUndefined();
      }),
    );

    it(
      'queues deliveries by sequence number: pages, counts and deletes without taking',
      withStore(async (p) => {
        await p.saveSession(session('c'));
        for (let i = 0; i < 5; i++) await p.pushQueued('c', { seq: i, delivery: delivery('t', `m${i}`) });
        const payloads = (entries: readonly { delivery: PersistedDelivery }[]): string[] =>
          entries.map((e) => e.delivery.message.payload.toString());
        expect(payloads(await p.listQueued('c', -1, 2))).toEqual(['m0', 'm1']);
        expect(payloads(await p.listQueued('c', 1, 10))).toEqual(['m2', 'm3', 'm4']);
        expect((await p.listQueued('c', -1, 10)).map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
        expect(await p.countQueued('c')).toBe(5);
        await p.deleteQueued('c', 0);
        await p.deleteQueued('c', 3);
        expect(payloads(await p.listQueued('c', -1, 10))).toEqual(['m1', 'm2', 'm4']);
        expect(await p.countQueued('c')).toBe(3);
        expect(payloads((await p.getSession('c'))?.queue ?? [])).toEqual(['m1', 'm2', 'm4']);
        expect(payloads((await p.listSessions(2))[0]?.queue ?? [])).toEqual(['m1', 'm2']);
        expect(await p.listQueued('ghost', -1, 10)).toHaveLength(0);
        expect(await p.countQueued('ghost')).toBe(0);
        // Unknown sessions are ignored, not created.
        await p.pushQueued('ghost', { seq: 0, delivery: delivery('t', 'x') });
        expect(await p.getSession('ghost')).toBeUndefined();
      }),
    );

    it(
      "applies one client's writes in the order they were issued, even when not awaited one by one",
      withStore(async (p) => {
        await p.saveSession(session('c'));
        const writes: Promise<void>[] = [];
        for (let i = 0; i < 50; i++) writes.push(p.pushQueued('c', { seq: i, delivery: delivery('t', `m${i}`) }));
        for (let i = 0; i < 50; i += 2) writes.push(p.deleteQueued('c', i));
        writes.push(p.setSubscription('c', { topic: 'a', qos: 0 }));
        writes.push(p.setSubscription('c', { topic: 'a', qos: 2 }));
        writes.push(p.updateSession('c', { disconnectedAt: 1 }));
        writes.push(p.updateSession('c', { disconnectedAt: null, expiryInterval: 60 }));
        await Promise.all(writes);
        expect((await p.listQueued('c', -1, 100)).map((e) => e.seq)).toEqual(
          Array.from({ length: 25 }, (_, i) => 2 * i + 1),
        );
        const s = await p.getSession('c');
        expect(plain(s?.subscriptions)).toEqual([{ topic: 'a', qos: 2 }]);
        expect(s?.disconnectedAt).toBeUndefined();
        expect(s?.expiryInterval).toBe(60);
      }),
    );

    it(
      'updates the header of a stored session: disconnect time, expiry, owner, protocol version',
      withStore(async (p) => {
        await p.saveSession(session('c', { username: 'ann', protocolVersion: 4, disconnectedAt: 5 }));
        await p.updateSession('c', { disconnectedAt: null, protocolVersion: 5 });
        let s = await p.getSession('c');
        expect(s?.disconnectedAt).toBeUndefined();
        expect(s?.protocolVersion).toBe(5);
        expect(s?.username).toBe('ann');
        await p.updateSession('c', { disconnectedAt: 1234, expiryInterval: 30, username: null });
        s = await p.getSession('c');
        expect(s?.disconnectedAt).toBe(1234);
        expect(s?.expiryInterval).toBe(30);
        expect(s?.username).toBe(null);
        await p.updateSession('ghost', { disconnectedAt: 1 });
        expect(await p.getSession('ghost')).toBeUndefined();
      }),
    );

    it(
      'keeps inbound QoS 2 ids until released',
      withStore(async (p) => {
        await p.saveSession(session('c'));
        await p.addInboundQos2('c', 9);
        await p.addInboundQos2('c', 3);
        await p.addInboundQos2('c', 9);
        await p.deleteInboundQos2('c', 3);
        expect((await p.getSession('c'))?.inboundQos2).toEqual([9]);
      }),
    );

    it(
      'keeps wills by client id, with their deadline, apart from sessions',
      withStore(async (p) => {
        const will: PersistedWill = {
          message: msg('w/a', 'gone', 1, true),
          delay: 0,
          username: null,
          protocolVersion: 4,
        };
        await p.setWill('a', will);
        await p.setWill('b', { ...will, delay: 30, publishAt: 99_000, username: 'bob', protocolVersion: 5 });
        await p.setWill('a', { ...will, message: msg('w/a', 'replaced', 0) });
        await p.saveSession(session('b'));
        await p.deleteSession('b');
        const wills = await p.listWills();
        expect([...wills.keys()].sort()).toEqual(['a', 'b']);
        expect(wills.get('a')?.message.payload.toString()).toBe('replaced');
        expect(plain(wills.get('b'))).toEqual(
          plain({ ...will, delay: 30, publishAt: 99_000, username: 'bob', protocolVersion: 5 }),
        );
        await p.deleteWill('a');
        expect([...(await p.listWills()).keys()]).toEqual(['b']);
      }),
    );

    it(
      'removes everything of a deleted session: subscriptions, queue, inflight, ids',
      withStore(async (p) => {
        await p.saveSession(session('c', { subscriptions: [{ topic: 'x', qos: 1 }] }));
        await p.pushQueued('c', { seq: 0, delivery: delivery('t', 'q') });
        await p.setInflight('c', { packetId: 1, delivery: delivery('t', 'i'), state: 'publish' });
        await p.addInboundQos2('c', 4);
        await p.deleteSession('c');
        await p.saveSession(session('c'));
        expect(plain(await p.getSession('c'))).toEqual(plain(session('c')));
        expect(await p.countQueued('c')).toBe(0);
      }),
    );

    it(
      'keeps inflight messages by packet id',
      withStore(async (p) => {
        await p.saveSession(session('c'));
        await p.setInflight('c', { packetId: 1, delivery: delivery('t', 'a'), state: 'publish' });
        await p.setInflight('c', { packetId: 2, delivery: delivery('t', 'b', 2), state: 'publish', seq: 8 });
        await p.setInflight('c', { packetId: 2, delivery: delivery('t', 'b', 2), state: 'pubrel' });
        await p.deleteInflight('c', 1);
        const s = await p.getSession('c');
        expect(s?.inflight.map((i) => [i.packetId, i.state, i.seq])).toEqual([[2, 'pubrel', undefined]]);
      }),
    );

    it(
      'stores, replaces, lists and deletes retained messages',
      withStore(async (p) => {
        await p.setRetained(msg('a', 'one', 1, true));
        await p.setRetained(msg('b', 'two', 0, true));
        await p.setRetained(msg('a', 'uno', 2, true));
        expect(plain(await p.getRetained('a'))).toEqual(plain(msg('a', 'uno', 2, true)));
        expect((await p.listRetained()).map((m) => m.topic).sort()).toEqual(['a', 'b']);
        await p.deleteRetained('a');
        expect(await p.getRetained('a')).toBeUndefined();
        expect(await p.listRetained()).toHaveLength(1);
      }),
    );

    it(
      'does not share buffers with callers',
      withStore(async (p) => {
        const m = msg('t', 'abc', 1, true);
        await p.setRetained(m);
        m.payload[0] = 0x7a; // mutate after storing
        const got = await p.getRetained('t');
        expect(got?.payload.toString()).toBe('abc');
        if (got === undefined) throw new Error('the retained message is gone');
        got.payload[0] = 0x79; // mutate what was returned
        expect((await p.getRetained('t'))?.payload.toString()).toBe('abc');
      }),
    );

    it(
      'keeps binary payloads intact',
      withStore(async (p) => {
        const payload = Buffer.from([0, 255, 1, 128, 0]);
        await p.setRetained({ topic: 'bin', payload, qos: 0, retain: true });
        expect((await p.getRetained('bin'))?.payload.equals(payload)).toBe(true);
      }),
    );

    it(
      'keeps retained messages with their v5 properties and expiry',
      withStore(async (p) => {
        const m: PersistedMessage = {
          ...msg('v5/r', 'x', 1, true),
          properties: { contentType: 'a/b', userProperties: [['k', 'v']], correlationData: Buffer.from([1, 2]) },
          expiresAt: 1_700_000_000_000,
        };
        await p.setRetained(m);
        expect(plain(await p.getRetained('v5/r'))).toEqual(plain(m));
      }),
    );

    it(
      'applies writes of every kind in the order issued within one turn: a save or delete cuts what came before',
      withStore(async (p) => {
        await p.saveSession(session('c', { subscriptions: [{ topic: 'old', qos: 0 }] }));
        const writes = [
          p.pushQueued('c', { seq: 1, delivery: delivery('t', 'before') }),
          p.setInflight('c', { packetId: 1, delivery: delivery('t', 'i'), state: 'publish' }),
          p.addInboundQos2('c', 5),
          p.setSubscription('c', { topic: 'more', qos: 1 }),
          p.saveSession(session('c', { username: 'fresh' })),
          p.pushQueued('c', { seq: 2, delivery: delivery('t', 'after') }),
        ];
        await Promise.all(writes);
        const s = await p.getSession('c');
        expect(s?.username).toBe('fresh');
        expect(s?.queue.map((e) => e.seq)).toEqual([2]);
        expect(s?.subscriptions).toHaveLength(0);
        expect(s?.inflight).toHaveLength(0);
        expect(s?.inboundQos2).toHaveLength(0);
        // Deleted, then written to (a no-op: no session), then saved again: nothing of the old one is left.
        await Promise.all([
          p.pushQueued('c', { seq: 3, delivery: delivery('t', 'x') }),
          p.deleteSession('c'),
          p.pushQueued('c', { seq: 4, delivery: delivery('t', 'y') }),
          p.setInflight('c', { packetId: 2, delivery: delivery('t', 'y'), state: 'publish' }),
        ]);
        expect(await p.getSession('c')).toBeUndefined();
        await p.saveSession(session('c'));
        expect(plain(await p.getSession('c'))).toEqual(plain(session('c')));
      }),
    );

    it(
      "keeps clients apart: one client's writes, reads and deletion do not touch another's",
      withStore(async (p) => {
        const ids = ['c', 'c2', 'c/', 'cc', 'd'];
        for (const id of ids) await p.saveSession(session(id, { subscriptions: [{ topic: `${id}/t`, qos: 1 }] }));
        const writes: Promise<void>[] = [];
        for (let i = 0; i < 10; i++)
          for (const id of ids) writes.push(p.pushQueued(id, { seq: i, delivery: delivery(id, `${id}:${i}`) }));
        for (const id of ids)
          writes.push(p.setInflight(id, { packetId: 1, delivery: delivery(id, id), state: 'publish' }));
        for (const id of ids) writes.push(p.addInboundQos2(id, 7));
        await Promise.all(writes);
        await p.deleteSession('c');
        for (const id of ids.slice(1)) {
          const s = await p.getSession(id);
          expect(s?.queue.map((e) => e.delivery.message.payload.toString())).toEqual(
            Array.from({ length: 10 }, (_, i) => `${id}:${i}`),
          );
          expect(s?.subscriptions.map((x) => x.topic)).toEqual([`${id}/t`]);
          expect(s?.inflight.map((i) => i.delivery.message.topic)).toEqual([id]);
          expect(s?.inboundQos2).toEqual([7]);
          expect(await p.countQueued(id)).toBe(10);
        }
      }),
    );

    it(
      'a read sees every write issued before it, awaited or not',
      withStore(async (p) => {
        void p.saveSession(session('c'));
        void p.pushQueued('c', { seq: 0, delivery: delivery('t', 'q') });
        void p.updateSession('c', { disconnectedAt: 77 });
        void p.setRetained(msg('r', 'v', 1, true));
        void p.setWill('c', { message: msg('w', 'x'), delay: 0, username: null, protocolVersion: 4 });
        expect((await p.listQueued('c', -1, 10)).map((e) => e.seq)).toEqual([0]);
        expect(await p.countQueued('c')).toBe(1);
        expect((await p.getSession('c'))?.disconnectedAt).toBe(77);
        expect((await p.getRetained('r'))?.payload.toString()).toBe('v');
        expect([...(await p.listWills()).keys()]).toEqual(['c']);
        void p.deleteQueued('c', 0);
        void p.deleteRetained('r');
        expect(await p.countQueued('c')).toBe(0);
        expect(await p.listRetained()).toHaveLength(0);
      }),
    );

    it(
      'gives inflight messages back in send order: packet ids wrap around, a state change keeps the place',
      withStore(async (p) => {
        await p.saveSession(session('c'));
        for (const packetId of [65534, 65535, 1, 2])
          await p.setInflight('c', { packetId, delivery: delivery('t', `p${packetId}`, 2), state: 'publish' });
        await p.setInflight('c', { packetId: 65535, delivery: delivery('t', 'p65535', 2), state: 'pubrel' });
        await p.deleteInflight('c', 65534);
        await p.setInflight('c', { packetId: 3, delivery: delivery('t', 'p3', 2), state: 'publish', seq: 40 });
        const s = await p.getSession('c');
        expect(s?.inflight.map((i) => [i.packetId, i.state, i.seq])).toEqual([
          [65535, 'pubrel', undefined],
          [1, 'publish', undefined],
          [2, 'publish', undefined],
          [3, 'publish', 40],
        ]);
      }),
    );

    it(
      'puts a message sent under a packet id freed in the same turn last in the send order, replacing the old one',
      withStore(async (p) => {
        await p.saveSession(session('c'));
        for (const packetId of [1, 2, 3])
          await p.setInflight('c', { packetId, delivery: delivery('t', `p${packetId}`), state: 'publish' });
        // Packet 1 acknowledged: the next message sent takes id 1, with no deleteInflight before it.
        await p.setInflight('c', { packetId: 1, delivery: delivery('t', 'next', 1), state: 'publish', seq: 9 });
        const s = await p.getSession('c');
        expect(s?.inflight.map((i) => [i.packetId, i.delivery.message.payload.toString(), i.seq])).toEqual([
          [2, 'p2', undefined],
          [3, 'p3', undefined],
          [1, 'next', 9],
        ]);
      }),
    );

    it(
      'pages a queue with afterSeq and max; listSessions(maxQueued) caps the queue it returns, not the store',
      withStore(async (p) => {
        await p.saveSession(session('c'));
        for (let seq = 10; seq < 110; seq += 10) await p.pushQueued('c', { seq, delivery: delivery('t', `${seq}`) });
        const seqs = async (after: number, max: number): Promise<number[]> =>
          (await p.listQueued('c', after, max)).map((e) => e.seq);
        expect(await seqs(-1, 3)).toEqual([10, 20, 30]);
        expect(await seqs(30, 3)).toEqual([40, 50, 60]);
        expect(await seqs(35, 2)).toEqual([40, 50]);
        expect(await seqs(90, 5)).toEqual([100]);
        expect(await seqs(100, 5)).toEqual([]);
        expect(await seqs(-1, 0)).toEqual([]);
        // Paging through the whole queue, as a reconnecting client is fed.
        const all: number[] = [];
        for (let page = await seqs(-1, 4); page.length > 0; page = await seqs(all[all.length - 1] ?? -1, 4))
          all.push(...page);
        expect(all).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
        expect((await p.listSessions(2))[0]?.queue.map((e) => e.seq)).toEqual([10, 20]);
        expect((await p.listSessions(0))[0]?.queue).toHaveLength(0);
        expect(await p.countQueued('c')).toBe(10);
        expect((await p.listSessions())[0]?.queue).toHaveLength(10);
      }),
    );

    it(
      'gives back Buffers of their own: payloads, correlation data, in every kind of record',
      withStore(async (p) => {
        const payload = Buffer.from([0, 1, 2, 255, 254, 0]);
        const correlationData = Buffer.from([9, 0, 9]);
        const m: PersistedMessage = { topic: 'b', payload, qos: 1, retain: true, properties: { correlationData } };
        await p.saveSession(session('c'));
        await p.pushQueued('c', { seq: 0, delivery: { message: m, qos: 1, retain: false } });
        await p.setInflight('c', { packetId: 1, delivery: { message: m, qos: 1, retain: false }, state: 'publish' });
        await p.setWill('c', { message: m, delay: 0, username: null, protocolVersion: 5 });
        await p.setRetained(m);
        await p.setRetained({ ...m, topic: 'other', payload: Buffer.from('other') });
        const s = await p.getSession('c');
        const messages = [
          s?.queue[0]?.delivery.message,
          s?.inflight[0]?.delivery.message,
          (await p.listWills()).get('c')?.message,
          await p.getRetained('b'),
        ];
        for (const got of messages) {
          expect(Buffer.isBuffer(got?.payload)).toBe(true);
          expect(got?.payload.equals(payload)).toBe(true);
          expect(Buffer.isBuffer(got?.properties?.correlationData)).toBe(true);
          expect(got?.properties?.correlationData?.equals(correlationData)).toBe(true);
        }
        // What one read returned is not changed by the next read.
        const first = await p.getRetained('b');
        await p.getRetained('other');
        await p.listRetained();
        expect(first?.payload.equals(payload)).toBe(true);
      }),
    );

    it(
      'keeps large binary payloads byte-exact',
      withStore(async (p) => {
        const payload = Buffer.alloc(300_000);
        for (let i = 0; i < payload.length; i++) payload[i] = (i * 7919) & 0xff;
        await p.saveSession(session('c'));
        await p.pushQueued('c', { seq: 0, delivery: { message: msg('big', ''), qos: 1, retain: false } });
        await p.pushQueued('c', {
          seq: 1,
          delivery: { message: { ...msg('big', ''), payload }, qos: 1, retain: false },
        });
        await p.setRetained({ ...msg('big', '', 0, true), payload });
        const [empty, big] = await p.listQueued('c', -1, 2);
        expect(empty?.delivery.message.payload.length).toBe(0);
        expect(big?.delivery.message.payload.equals(payload)).toBe(true);
        expect((await p.getRetained('big'))?.payload.equals(payload)).toBe(true);
      }),
    );

    it(
      'takes any client id and topic MQTT allows: long ones (up to 64 KiB), non-ASCII ones',
      withStore(async (p) => {
        const longId = `id-${'x'.repeat(20_000)}`;
        const longTopic = `t/${'é'.repeat(30_000)}`;
        const odd = ['a/😀', 'a/\uffff', 'a/中文/#', 'a/ '];
        await p.saveSession(
          session(longId, { subscriptions: [longTopic, ...odd].map((topic) => ({ topic, qos: 1 as const })) }),
        );
        await p.pushQueued(longId, { seq: 0, delivery: delivery(longTopic, 'q') });
        await p.setSubscription(longId, { topic: 'a/😀', qos: 2 });
        await p.deleteSubscription(longId, 'a/\uffff');
        await p.setWill(longId, { message: msg(longTopic, 'w'), delay: 0, username: null, protocolVersion: 5 });
        await p.setRetained(msg(longTopic, 'r', 1, true));
        await p.setRetained(msg('a/😀', 'smile', 1, true));
        const s = (await p.listSessions()).find((x) => x.clientId === longId);
        expect(s?.clientId).toBe(longId);
        expect(s?.subscriptions.map((x) => [x.topic, x.qos]).sort()).toEqual(
          [
            [longTopic, 1],
            ['a/😀', 2],
            ['a/中文/#', 1],
            ['a/ ', 1],
          ].sort(),
        );
        expect(s?.queue[0]?.delivery.message.topic).toBe(longTopic);
        expect([...(await p.listWills()).keys()]).toEqual([longId]);
        expect((await p.getRetained(longTopic))?.topic).toBe(longTopic);
        expect((await p.listRetained()).map((m) => m.topic).sort()).toEqual([longTopic, 'a/😀'].sort());
        await p.deleteRetained(longTopic);
        await p.deleteSession(longId);
        expect(await p.getSession(longId)).toBeUndefined();
        expect((await p.listRetained()).map((m) => m.topic)).toEqual(['a/😀']);
      }),
    );

    it(
      'updates a session by expiry interval and disconnect time, each clearable with null',
      withStore(async (p) => {
        await p.saveSession(session('c', { expiryInterval: 10 }));
        await p.updateSession('c', { disconnectedAt: 1_700_000_000_123 });
        let s = await p.getSession('c');
        expect([s?.disconnectedAt, s?.expiryInterval]).toEqual([1_700_000_000_123, 10]);
        await p.updateSession('c', { expiryInterval: 4_294_967_295 });
        s = await p.getSession('c');
        expect([s?.disconnectedAt, s?.expiryInterval]).toEqual([1_700_000_000_123, 4_294_967_295]);
        await p.updateSession('c', { expiryInterval: null, disconnectedAt: null });
        s = await p.getSession('c');
        expect([s?.disconnectedAt, s?.expiryInterval]).toEqual([undefined, undefined]);
        // An empty update changes nothing.
        await p.updateSession('c', {});
        expect(plain(await p.getSession('c'))).toEqual(plain(session('c')));
      }),
    );

    const reopen = options.reopen;
    if (reopen !== undefined)
      it('keeps everything over close and reopen, writes not awaited before close() included', async () => {
        const p = await factory();
        await p.open?.();
        const will: PersistedWill = {
          message: { ...msg('w', 'bye', 1, true), properties: { userProperties: [['k', 'v']] }, expiresAt: 5 },
          delay: 5,
          publishAt: 1,
          username: 'u',
          protocolVersion: 5,
        };
        const longId = 'L'.repeat(3000);
        await p.saveSession(
          session('c', {
            subscriptions: [{ topic: 's/#', qos: 2, subscriptionId: 4, noLocal: true, retainAsPublished: true }],
            username: 'u',
            protocolVersion: 5,
          }),
        );
        await p.saveSession(session(longId, { username: null }));
        await p.pushQueued('c', { seq: 7, delivery: delivery('t', 'queued') });
        for (const packetId of [65535, 1])
          await p.setInflight('c', { packetId, delivery: delivery('t', `i${packetId}`, 2), state: 'publish' });
        await p.setInflight('c', { packetId: 65535, delivery: delivery('t', 'i65535', 2), state: 'pubrel', seq: 6 });
        await p.addInboundQos2('c', 11);
        await p.updateSession('c', { disconnectedAt: 42, expiryInterval: 3600 });
        await p.setWill('c', will);
        await p.setRetained({ ...msg('r', 'kept', 1, true), properties: { contentType: 'text/plain' } });
        // Issued and not awaited: close() must still store them.
        void p.pushQueued(longId, { seq: 0, delivery: delivery('t', 'last') });
        void p.setRetained(msg('late', 'also kept', 0, true));
        const before = plain(await p.getSession('c'));
        await p.close();
        const q = await reopen();
        await q.open?.();
        try {
          expect(plain(await q.getSession('c'))).toEqual(before);
          expect((await q.getSession('c'))?.inflight.map((i) => i.packetId)).toEqual([65535, 1]);
          expect((await q.getSession(longId))?.username).toBe(null);
          expect((await q.listQueued(longId, -1, 5)).map((e) => e.delivery.message.payload.toString())).toEqual([
            'last',
          ]);
          expect(plain((await q.listWills()).get('c'))).toEqual(plain(will));
          expect(plain(await q.getRetained('r'))).toEqual(
            plain({ ...msg('r', 'kept', 1, true), properties: { contentType: 'text/plain' } }),
          );
          expect((await q.getRetained('late'))?.payload.toString()).toBe('also kept');
          // Writes go on after a reopen, for sessions stored before it; a state change keeps its place.
          await q.pushQueued('c', { seq: 8, delivery: delivery('t', 'after') });
          expect(await q.countQueued('c')).toBe(2);
          await q.setInflight('c', { packetId: 1, delivery: delivery('t', 'i1', 2), state: 'pubrel' });
          await q.setInflight('c', { packetId: 2, delivery: delivery('t', 'i2', 2), state: 'publish' });
          expect((await q.getSession('c'))?.inflight.map((i) => i.packetId)).toEqual([65535, 1, 2]);
        } finally {
          await q.close();
        }
      });
  });
}
