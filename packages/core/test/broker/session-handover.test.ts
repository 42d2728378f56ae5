/**
 * The plugin API a cluster plugin moves sessions with, between two brokers in one process (the transport,
 * NATS in @midge/plugin-cluster-nats, is left out): `BrokerApi.handOverSession` on the broker the client
 * left, the `claimSession` hook on the one it connects to.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PersistedSession } from '../../src/persistence/types.js';
import { definePlugin } from '../../src/plugin-api/index.js';
import type { SessionClaimRequest } from '../../src/plugin-api/types.js';
import { Harness, barrier, gate, publish, until } from './helpers.js';

const harnesses: Harness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.splice(0).map((h) => h.stop()));
});

/** A broker whose cluster plugin answers every claim with `claim`. */
async function brokerClaimingWith(
  claim: (request: SessionClaimRequest) => Promise<PersistedSession | undefined> | undefined,
  config: Record<string, unknown> = {},
): Promise<Harness> {
  const h = new Harness();
  harnesses.push(h);
  const plugin = definePlugin({ name: 'test-cluster', apiVersion: 1, setup: () => ({ claimSession: claim }) });
  await h.start(config, { plugins: [plugin] });
  return h;
}

async function plainBroker(): Promise<Harness> {
  const h = new Harness();
  harnesses.push(h);
  await h.start();
  return h;
}

const persistent = { clean: false, properties: { sessionExpiryInterval: 3600 } } as const;

describe('handing a session over between brokers', () => {
  it('gives up a persistent session whole: subscriptions with their options, queued messages in order', async () => {
    const a = await plainBroker();
    const owner = await a.v5('mover', persistent);
    owner.send(
      {
        type: 'subscribe',
        packetId: 1,
        subscriptions: [{ topic: 'm/#', qos: 1, noLocal: true, retainAsPublished: true }],
        properties: { subscriptionIdentifier: [5] },
      },
      5,
    );
    await owner.expectPacket('suback');
    await owner.disconnect(5);
    const publisher = await a.connected('pub');
    for (let i = 0; i < 5; i++) publish(publisher, `m/${i}`, `p${i}`, 1);
    for (let i = 0; i < 5; i++) await publisher.expectPacket('puback');

    const handed = await a.tb.broker.api.handOverSession('mover');
    expect(handed?.subscriptions).toEqual([
      { topic: 'm/#', qos: 1, noLocal: true, retainAsPublished: true, subscriptionId: 5 },
    ]);
    expect(handed?.queue.map((q) => q.delivery.message.payload.toString())).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
    expect(handed?.username).toBeNull();
    // Gone from this broker: no session, no subscription, nothing stored.
    expect(a.tb.broker.sessionCount()).toBe(1);
    expect(a.tb.broker.api.subscriptionCount()).toBe(0);
    expect(await a.tb.broker.api.handOverSession('mover')).toBeUndefined();
  });

  it('closes the connected client with DISCONNECT 0x8E Session taken over [MQTT-3.1.4-3]', async () => {
    const a = await plainBroker();
    const owner = await a.v5('taken', persistent);
    const handed = a.tb.broker.api.handOverSession('taken');
    const disconnect = await owner.expectPacket('disconnect');
    expect(disconnect.reasonCode).toBe(0x8e);
    await owner.closed();
    expect((await handed)?.clientId).toBe('taken');
  });

  it('returns nothing for a clean session, which ends with its connection', async () => {
    const a = await plainBroker();
    const owner = await a.v5('clean-one');
    expect(await a.tb.broker.api.handOverSession('clean-one')).toBeUndefined();
    await owner.closed();
    expect(a.tb.broker.sessionCount()).toBe(0);
  });

  it('drops a will waiting for its delay: the client is back elsewhere [MQTT-3.1.3-9]', async () => {
    const a = await plainBroker();
    const watcher = await a.subscriber('wills/#', 1);
    const owner = await a.v5('late', {
      ...persistent,
      will: {
        topic: 'wills/late',
        payload: Buffer.from('gone'),
        qos: 1,
        retain: false,
        properties: { willDelayInterval: 1 },
      },
    });
    owner.destroy();
    await until(() => a.tb.broker.api.sessionCount() === 2 && owner.closedYet, 2000, 'the client to go');
    await a.tb.broker.api.handOverSession('late');
    // Past the will's deadline.
    await new Promise((resolve) => setTimeout(resolve, 1300));
    await barrier(watcher);
  });

  it('with cleanStart ends the session as a local clean start does: a delayed will is published', async () => {
    const a = await plainBroker();
    const watcher = await a.subscriber('wills/#', 0);
    const owner = await a.v5('restart', {
      ...persistent,
      will: {
        topic: 'wills/restart',
        payload: Buffer.from('w'),
        qos: 0,
        retain: false,
        properties: { willDelayInterval: 60 },
      },
    });
    owner.destroy();
    await until(() => owner.closedYet, 2000, 'the client to go');
    expect(await a.tb.broker.api.handOverSession('restart', { cleanStart: true })).toBeUndefined();
    const will = await watcher.expectPacket('publish');
    expect(will.topic).toBe('wills/restart');
  });

  it('adopts the session claimSession returns: session present, queued messages delivered, subscription live', async () => {
    const a = await plainBroker();
    const owner = await a.v5('wanderer', persistent);
    owner.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topic: 'w/#', qos: 1 }] }, 5);
    await owner.expectPacket('suback');
    await owner.disconnect(5);
    const publisher = await a.connected('pub-a');
    publish(publisher, 'w/1', 'queued', 1);
    await publisher.expectPacket('puback');

    const requests: SessionClaimRequest[] = [];
    const b = await brokerClaimingWith((request) => {
      requests.push(request);
      return a.tb.broker.api.handOverSession(request.client.clientId);
    });
    const client = await b.client();
    const ack = await client.connect({ protocolVersion: 5, clientId: 'wanderer', ...persistent });
    expect(ack.sessionPresent).toBe(true);
    expect(requests.map((r) => [r.client.clientId, r.cleanStart])).toEqual([['wanderer', false]]);
    const queued = await client.expectPacket('publish');
    expect([queued.topic, queued.payload.toString()]).toEqual(['w/1', 'queued']);
    if (queued.packetId !== undefined) client.send({ type: 'puback', packetId: queued.packetId }, 5);
    const local = await b.connected('pub-b');
    publish(local, 'w/2', 'live', 1);
    const live = await client.expectPacket('publish');
    expect(live.payload.toString()).toBe('live');
  });

  it('asks nothing for a client id the broker assigned (a new one), and waits for a slow claim before CONNACK', async () => {
    const slow = gate();
    let claims = 0;
    const b = await brokerClaimingWith(async () => {
      claims++;
      await slow.opened;
      return undefined;
    });
    const anonymous = await b.client();
    expect((await anonymous.connect({ protocolVersion: 5, clientId: '' })).reasonCode).toBe(0);
    expect(claims).toBe(0);
    const named = await b.client();
    let acked = false;
    const connack = named.connect({ protocolVersion: 5, clientId: 'named' }).then((ack) => {
      acked = true;
      return ack;
    });
    await until(() => claims === 1, 2000, 'the claim');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(acked).toBe(false);
    slow.open();
    expect((await connack).reasonCode).toBe(0);
  });

  it('admits the client with what this broker holds when the claim fails', async () => {
    const b = await brokerClaimingWith(() => Promise.reject(new Error('registry down')));
    const c = await b.client();
    const ack = await c.connect({ protocolVersion: 5, clientId: 'still-in' });
    expect(ack.reasonCode).toBe(0);
    expect(ack.sessionPresent).toBe(false);
  });
});
