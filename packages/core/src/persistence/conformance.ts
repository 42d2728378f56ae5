/**
 * The conformance suite every `Persistence` implementation must pass. It takes the test framework's
 * functions as arguments so core never imports a test runner at runtime:
 *
 *   import { describe, it, expect } from 'vitest';
 *   persistenceConformanceSuite('my store', async () => new MyStore(tmpdir()), { describe, it, expect });
 */
import type { PersistedDelivery, PersistedMessage, PersistedSession, Persistence } from './types.js';

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

export function persistenceConformanceSuite(
  name: string,
  factory: () => Promise<Persistence>,
  { describe, it, expect }: ConformanceTestApi,
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
            delivery('a/b', 'q1'),
            {
              message: {
                ...msg('a/e', 'v5', 1),
                properties: { contentType: 'text/plain', userProperties: [['k', 'v']] },
                expiresAt: 99,
              },
              qos: 1,
              retain: false,
              subscriptionIds: [12],
            },
          ],
          inflight: [{ packetId: 7, delivery: delivery('a/c', 'i1', 2), state: 'pubrel' }],
          inboundQos2: [3, 9],
          disconnectedAt: 1234,
          expiryInterval: 3600,
          username: 'bob',
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
      'queues deliveries first in, first out',
      withStore(async (p) => {
        await p.saveSession(session('c'));
        for (let i = 0; i < 5; i++) await p.pushQueued('c', delivery('t', `m${i}`));
        const first = await p.takeQueued('c', 2);
        expect(first.map((d) => d.message.payload.toString())).toEqual(['m0', 'm1']);
        const rest = await p.takeQueued('c', 10);
        expect(rest.map((d) => d.message.payload.toString())).toEqual(['m2', 'm3', 'm4']);
        expect(await p.takeQueued('c', 10)).toHaveLength(0);
        expect(await p.takeQueued('ghost', 10)).toHaveLength(0);
      }),
    );

    it(
      'keeps inflight messages by packet id',
      withStore(async (p) => {
        await p.saveSession(session('c'));
        await p.setInflight('c', { packetId: 1, delivery: delivery('t', 'a'), state: 'publish' });
        await p.setInflight('c', { packetId: 2, delivery: delivery('t', 'b', 2), state: 'publish' });
        await p.setInflight('c', { packetId: 2, delivery: delivery('t', 'b', 2), state: 'pubrel' });
        await p.deleteInflight('c', 1);
        const s = await p.getSession('c');
        expect(s?.inflight.map((i) => [i.packetId, i.state])).toEqual([[2, 'pubrel']]);
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
  });
}
