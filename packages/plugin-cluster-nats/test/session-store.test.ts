/**
 * The persistent sessions' store on a real nats-server with JetStream, driven directly (a stub broker):
 * which messages it stores, what a rebuilt session gets back, and how `since` moves.
 */
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import type { ClientDetail, Message, SessionSummary } from '@midge/mqtt-core';
import { fakePluginContext } from '@midge/mqtt-core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTER_NATS_USER, CLUSTER_PASSWORD, CLUSTER_USER } from './cluster-node.js';
import { until } from './mqtt.js';
import { NatsFixture, hasNatsServer } from './nats-server.js';
import { clientIdKey } from '../src/registry-names.js';
import { decodeSessionRecord } from '../src/session-record.js';
import { ClusterSessions } from '../src/sessions.js';
import { encodeClusterMessage } from '../src/wire.js';

/** A stub broker holding one persistent session per `details` entry, with `queued` messages each. */
function brokerOf(details: Map<string, ClientDetail>) {
  const ctx = fakePluginContext();
  return {
    ctx,
    broker: {
      ...ctx.broker,
      clientDetail: (id: string) => details.get(id),
      sessions: (): SessionSummary[] => [...details.values()],
      effectiveConfig: () => ({ session_expiry_interval: 0 }),
    },
  };
}

function detailOf(clientId: string, filters: [string, 0 | 1 | 2][], queued = 0): ClientDetail {
  return {
    clientId,
    username: 'u',
    connected: false,
    persistent: true,
    clean: false,
    protocolVersion: 5,
    expiryInterval: 3600,
    subscriptions: filters.length,
    queued,
    inflight: 0,
    subscriptionList: filters.map(([filter, qos]) => ({
      filter,
      qos,
      noLocal: filter.startsWith('nl/'),
      retainAsPublished: false,
      subscriptionId: undefined,
    })),
  } as unknown as ClientDetail;
}

describe.skipIf(!hasNatsServer && process.env.CI === undefined)("the persistent sessions' store", () => {
  let nats: NatsFixture;
  let nc: NatsConnection;
  const opened: ClusterSessions[] = [];

  beforeAll(async () => {
    nats = await NatsFixture.single({ users: [CLUSTER_NATS_USER] });
    nc = await connect({ servers: nats.first.url, user: CLUSTER_USER, pass: CLUSTER_PASSWORD });
  }, 30_000);
  afterAll(async () => {
    for (const s of opened) s.close();
    await nc?.close();
    await nats?.stop();
  });

  async function open(
    node: string,
    details: Map<string, ClientDetail>,
    extra: { down?: () => boolean; checkpoint?: { intervalMs: number; ageMs: number } } = {},
  ): Promise<ClusterSessions> {
    const { broker, ctx } = brokerOf(details);
    const sessions = await ClusterSessions.open({
      node,
      prefix: 'midge',
      connection: nc,
      down: extra.down ?? (() => false),
      broker,
      logger: ctx.logger,
      replicas: 1,
      maxAgeSeconds: 3600,
      openWithinMs: 5000,
      holds: () => true,
      frameOf: (message: Message) => encodeClusterMessage(message, node),
      ...(extra.checkpoint === undefined ? {} : { checkpoint: extra.checkpoint }),
    });
    opened.push(sessions);
    return sessions;
  }

  const msg = (topic: string, payload: string, qos: 0 | 1 | 2 = 1, expiry?: number): Message => ({
    topic,
    payload: Buffer.from(payload),
    qos,
    retain: false,
    ...(expiry === undefined ? {} : { properties: { messageExpiryInterval: expiry } }),
  });

  it('stores only what a persistent session of the cluster matches, and gives it back to a rebuilt session', async () => {
    const details = new Map([
      [
        'dev-a',
        detailOf('dev-a', [
          ['st/#', 1],
          ['nl/#', 1],
          ['q0/#', 0],
        ]),
      ],
    ]);
    const holder = await open('x', details);
    const other = await open('y', new Map());
    // Nothing matches yet on y: nothing to wait for.
    expect(other.storeMessage({ message: msg('st/0', 'early'), origin: 'client', client: undefined })).toBeUndefined();
    holder.touch('dev-a');
    await until(() => other.storedFilters === 2, 5000, "y following x's record");
    const stores = [
      other.storeMessage({ message: msg('st/1', 'one'), origin: 'client', client: undefined }),
      other.storeMessage({ message: msg('st/2', 'gone', 1, 1), origin: 'api', client: undefined }),
      other.storeMessage({
        message: msg('nl/1', 'own'),
        origin: 'client',
        client: { clientId: 'dev-a' } as never,
      }),
      other.storeMessage({ message: msg('nl/2', 'theirs'), origin: 'client', client: { clientId: 'b' } as never }),
    ];
    expect(stores.every((p) => p !== undefined)).toBe(true);
    await Promise.all(stores.filter((p): p is Promise<void> => p !== undefined));
    // A QoS 0 subscription's topic and a topic nobody wants are not stored.
    expect(other.storeMessage({ message: msg('q0/1', 'x'), origin: 'client', client: undefined })).toBeUndefined();
    expect(other.storeMessage({ message: msg('else', 'x'), origin: 'client', client: undefined })).toBeUndefined();
    expect(other.counts.stored).toBe(4);

    const record = await other.read('dev-a');
    expect(record).toMatchObject({ node: 'x', clientId: 'dev-a', username: 'u', expiryInterval: 3600 });
    // The message with a 1 s expiry has expired by the time the session is rebuilt.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const rebuilt = await other.recover(record!, 5000);
    expect(rebuilt?.queue.map((q) => q.delivery.message.payload.toString())).toEqual(['one', 'theirs']);
    expect(rebuilt?.queue.map((q) => q.seq)).toEqual([1, 2]);
    expect(rebuilt).toMatchObject({ clientId: 'dev-a', username: 'u', protocolVersion: 5, inflight: [] });
    expect(rebuilt?.subscriptions.map((s) => s.topic)).toEqual(['st/#', 'nl/#', 'q0/#']);
  });

  it('does not wait for JetStream while NATS is down (counted), and fails the store when JetStream refuses', async () => {
    const details = new Map([['dev-b', detailOf('dev-b', [['down/#', 1]])]]);
    let down = false;
    const sessions = await open('z', details, { down: () => down });
    const before = sessions.storedFilters;
    sessions.touch('dev-b');
    await until(() => sessions.storedFilters > before, 5000, 'the record followed');
    down = true;
    expect(sessions.storeMessage({ message: msg('down/1', 'x'), origin: 'client', client: undefined })).toBeUndefined();
    expect(sessions.counts.notStored).toBe(1);
    down = false;
    // A frame JetStream refuses (over the server's max_payload): the publisher is not acknowledged.
    const huge = msg('down/2', 'x'.repeat(2 * 1024 * 1024));
    await expect(sessions.storeMessage({ message: huge, origin: 'client', client: undefined })).rejects.toThrow(
      /JetStream did not store the message/,
    );
    expect(sessions.counts.storeFailed).toBe(1);
  });

  it("gives a dead node's connected sessions its time of death, and deletes the records once they expired", async () => {
    const connected = { ...detailOf('ghost-1', [['g/#', 1]]), connected: true, expiryInterval: 1 } as ClientDetail;
    const ghost = await open('ghost', new Map([['ghost-1', connected]]));
    ghost.touch('ghost-1');
    const survivor = await open('survivor', new Map(), { checkpoint: { intervalMs: 100, ageMs: 300 } });
    await until(() => survivor.nodesWithRecords().has('ghost'), 5000, "the ghost's record followed");
    expect(await survivor.read('ghost-1')).not.toHaveProperty('disconnectedAt');
    ghost.close();
    const diedAt = Date.now();
    await survivor.sweep('ghost', diedAt);
    expect((await survivor.read('ghost-1'))?.disconnectedAt).toBe(diedAt);
    // Expired one second after the death: the janitor deletes it, and its filter no longer stores anything.
    await until(async () => (await survivor.read('ghost-1')) === undefined, 5000, 'the expired record deleted');
    await until(
      () => survivor.storeMessage({ message: msg('g/1', 'x'), origin: 'api', client: undefined }) === undefined,
      5000,
      'g/# no longer stored',
    );
  });

  it("writes a record at most every 100 ms, the session's last state, however often it changes", async () => {
    const details = new Map<string, ClientDetail>();
    const sessions = await open('t', details);
    const filters: [string, 1][] = [];
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      filters.push([`many/${i}`, 1]);
      details.set('many', detailOf('many', [...filters]));
      sessions.touch('many');
      // As a SUBACK does: each waits for the record that holds its subscription.
      const confirmed = sessions.confirmRecords();
      if (confirmed !== undefined) writes.push(confirmed);
    }
    await Promise.all(writes);
    expect(sessions.counts.recordsWritten).toBeLessThanOrEqual(2);
    expect((await sessions.read('many'))?.subscriptions.map((s) => s.topic)).toEqual(filters.map(([f]) => f));
    // A clean session: looked at once, then left alone.
    details.set('clean-one', { ...detailOf('clean-one', [['c/#', 1]]), clean: true, connected: true });
    sessions.touch('clean-one');
    expect(sessions.confirmRecords()).toBeUndefined();
    details.delete('clean-one');
    sessions.touch('clean-one');
    expect(sessions.confirmRecords()).toBeUndefined();
  });

  it('moves since forward while the session has nothing queued, and not while it has', async () => {
    const details = new Map([
      ['idle', detailOf('idle', [['i/#', 1]])],
      ['busy', detailOf('busy', [['b/#', 1]], 3)],
    ]);
    const sessions = await open('w', details, { checkpoint: { intervalMs: 100, ageMs: 300 } });
    sessions.touch('idle');
    sessions.touch('busy');
    const kv = await new Kvm(nc).open('midge_sessions');
    const sinceOf = async (id: string): Promise<number> =>
      decodeSessionRecord((await kv.get(clientIdKey(id) ?? ''))!.value).since;
    await until(async () => (await kv.get(clientIdKey('busy') ?? '')) !== null, 5000, 'the records written');
    const idle0 = await sinceOf('idle');
    const busy0 = await sinceOf('busy');
    await until(async () => (await sinceOf('idle')) > idle0, 5000, "the idle session's since moved");
    expect(await sinceOf('busy')).toBe(busy0);
  });
});
