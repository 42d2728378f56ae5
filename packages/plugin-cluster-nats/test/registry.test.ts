/**
 * The client-id registry of two nodes in one process, on a real nats-server with JetStream, with stand-in
 * brokers: claims that really race (both read the registry before either writes), which separate broker
 * processes cannot be made to do on demand.
 */
import { usernamePasswordAuthenticator } from '@nats-io/transport-node';
import type { BrokerApi, ClientInfo, PersistedSession } from '@midge/mqtt-core';
import { nullLogger } from '@midge/mqtt-core';
import { Kvm } from '@nats-io/kv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsLink } from '../src/nats-link.js';
import { ClientRegistry } from '../src/registry.js';
import { clientIdKey } from '../src/registry-names.js';
import { NatsFixture, hasNatsServer } from './nats-server.js';

const AUTH = { users: [{ user: 'midge', password: 'registry-secret' }] };

/** A stand-in broker: records what it was asked to hand over, and hands over `held`'s sessions. */
class StandInBroker implements Pick<BrokerApi, 'handOverSession'> {
  readonly asked: { clientId: string; cleanStart: boolean }[] = [];
  readonly held = new Map<string, PersistedSession>();
  handOverSession(clientId: string, options?: { cleanStart?: boolean }): Promise<PersistedSession | undefined> {
    this.asked.push({ clientId, cleanStart: options?.cleanStart === true });
    const session = this.held.get(clientId);
    this.held.delete(clientId);
    return Promise.resolve(options?.cleanStart === true ? undefined : session);
  }
}

const client = (clientId: string): ClientInfo => ({
  clientId,
  username: undefined,
  protocolVersion: 5,
  listener: 'default',
  remoteAddress: '127.0.0.1',
  remotePort: 1,
  secure: false,
});

describe.skipIf(!hasNatsServer && process.env.CI === undefined)('the client-id registry of two nodes', () => {
  let nats: NatsFixture;
  const links: NatsLink[] = [];
  const nodes: { name: string; broker: StandInBroker; registry: ClientRegistry }[] = [];

  beforeAll(async () => {
    nats = await NatsFixture.single(AUTH);
    for (const name of ['n1', 'n2']) {
      const link = await NatsLink.open({
        servers: [nats.first.url],
        name: `midge:${name}`,
        authenticator: usernamePasswordAuthenticator('midge', 'registry-secret'),
        connectTimeoutMs: 3000,
        logger: nullLogger,
      });
      links.push(link);
      const broker = new StandInBroker();
      const registry = await ClientRegistry.open({
        node: name,
        prefix: 'midge',
        link,
        broker,
        logger: nullLogger,
        replicas: 1,
        handoverTimeoutMs: 2000,
        openWithinMs: 5000,
      });
      nodes.push({ name, broker, registry });
    }
  }, 30_000);
  afterAll(async () => {
    for (const n of nodes) n.registry.close();
    await Promise.all(links.map((l) => l.close()));
    await nats?.stop();
  });

  const holderOf = async (clientId: string): Promise<string | undefined> => {
    const kv = await new Kvm(links[0]?.connection ?? (undefined as never)).open('midge_clients');
    const entry = await kv.get(clientIdKey(clientId) ?? '');
    return entry?.operation === 'PUT' ? entry.json<{ node: string }>().node : undefined;
  };

  it('leaves the id with one node when two claim it at once: the later writer takes it from the first', async () => {
    const [n1, n2] = nodes;
    if (n1 === undefined || n2 === undefined) throw new Error('nodes not started');
    for (let i = 0; i < 5; i++) {
      const id = `race-${i}`;
      n1.broker.asked.length = n2.broker.asked.length = 0;
      // Issued in one turn: both read the registry before either writes.
      await Promise.all([
        n1.registry.claim({ client: client(id), cleanStart: false }),
        n2.registry.claim({ client: client(id), cleanStart: false }),
      ]);
      const holder = await holderOf(id);
      expect(['n1', 'n2']).toContain(holder);
      // The node that lost was asked to give the id up: now (a handover request) or right after its claim.
      const loser = holder === 'n1' ? n2 : n1;
      await expect.poll(() => loser.broker.asked.map((a) => a.clientId)).toEqual([id]);
      expect((holder === 'n1' ? n1 : n2).broker.asked).toEqual([]);
    }
  });

  it('hands a held session to the node that claims its id, and names that node', async () => {
    const [n1, n2] = nodes;
    if (n1 === undefined || n2 === undefined) throw new Error('nodes not started');
    const session: PersistedSession = {
      clientId: 'held',
      subscriptions: [{ topic: 'h/#', qos: 1 }],
      queue: [
        {
          seq: 0,
          delivery: {
            message: { topic: 'h/1', payload: Buffer.alloc(300_000, 7), qos: 1, retain: false },
            qos: 1,
            retain: false,
          },
        },
      ],
      inflight: [],
      inboundQos2: [],
      username: null,
    };
    await n1.registry.claim({ client: client('held'), cleanStart: false });
    n1.broker.held.set('held', session);
    const handed = await n2.registry.claim({ client: client('held'), cleanStart: false });
    expect(handed).toEqual(session);
    expect(await holderOf('held')).toBe('n2');
    // A clean start takes the id without the session.
    n2.broker.held.set('held', session);
    expect(await n1.registry.claim({ client: client('held'), cleanStart: true })).toBeUndefined();
    expect(n2.broker.asked.at(-1)).toEqual({ clientId: 'held', cleanStart: true });
    expect(await holderOf('held')).toBe('n1');
  });

  it('forgets the entry of a session that ended on the node the registry names', async () => {
    const [n1] = nodes;
    if (n1 === undefined) throw new Error('nodes not started');
    await n1.registry.claim({ client: client('ends'), cleanStart: false });
    expect(await holderOf('ends')).toBe('n1');
    n1.registry.forget('ends');
    await expect.poll(() => holderOf('ends')).toBeUndefined();
  });
});
