/**
 * Issue 11, finding 2: on every resume (sessionPresent = 1) the inherited subscriptions are authorized
 * again ('subscribe') and the queued and inflight messages too ('receive'), for the client that connects.
 * Denied subscriptions are removed, denied messages dropped (stats.dropped.denied); nothing is delivered
 * before the (possibly async) checks are done, and the order of what is delivered is kept.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { allow, definePlugin, deny } from '../../src/plugin-api/index.js';
import type { AuthorizeTopicRequest, Decision } from '../../src/plugin-api/types.js';
import { barrier, gate, Harness, publish, subscribe, until } from '../broker/helpers.js';

const h = new Harness();
afterEach(() => h.stop());

function rules(rule: (req: AuthorizeTopicRequest) => Decision | Promise<Decision>) {
  return definePlugin({ name: 'rules', apiVersion: 1, setup: () => ({ authorizeTopic: rule }) });
}

/** Publishes at QoS 1 and waits for the PUBACK. */
async function published(topic: string, payload = topic): Promise<void> {
  const pub = await h.connected('');
  publish(pub, topic, payload, 1);
  await pub.expectPacket('puback');
  pub.destroy();
}

describe('re-authorization on resume', () => {
  it("session_owner 'off': alice resuming bob's session inherits neither his subscriptions nor his queued messages", async () => {
    const own = rules((r) =>
      r.client.username === undefined || r.topic.startsWith(`${r.client.username}/`) ? allow : deny(),
    );
    await h.start({ session_owner: 'off' }, { plugins: [own] });
    const bob = await h.connected('bob-phone', { username: 'bob', clean: false });
    expect(await subscribe(bob, 'bob/#', 1)).toEqual([1]);
    await bob.disconnect();
    await published('bob/queued');
    await until(() => h.tb.broker.stats().messagesStored === 1);

    const alice = await h.client();
    expect(await alice.connect({ clientId: 'bob-phone', username: 'alice', clean: false })).toMatchObject({
      reasonCode: 0,
      sessionPresent: true,
    });
    await until(() => h.tb.broker.stats().dropped['denied'] === 1, 2000, 'the queued message to be denied');
    await barrier(alice);
    expect(h.tb.broker.stats().subscriptionCount).toBe(0);
    await published('bob/live'); // PUBACKed: routed, with no subscription left to deliver it to
    await barrier(alice);
  });

  it('[MQTT-4.4.0-1] same user, rules changed while away: denied subscription removed, denied queued and inflight messages dropped, the rest resent in order', async () => {
    let denyA = false;
    const plugin = rules((r) => (denyA && r.topic.startsWith('a/') ? deny() : allow));
    await h.start({}, { plugins: [plugin] });
    const bob = await h.connected('bob', { username: 'bob', clean: false });
    await subscribe(bob, 'a/#', 1);
    await subscribe(bob, 'b/#', 1);
    await published('a/inflight');
    expect((await bob.expectPacket('publish')).topic).toBe('a/inflight'); // never acknowledged
    await published('b/inflight');
    expect((await bob.expectPacket('publish')).topic).toBe('b/inflight');
    bob.destroy();
    await until(() => h.tb.broker.stats().clientsConnected === 0);
    await published('a/queued');
    await published('b/queued');
    denyA = true;

    const back = await h.client();
    expect(await back.connect({ clientId: 'bob', username: 'bob', clean: false })).toMatchObject({
      reasonCode: 0,
      sessionPresent: true,
    });
    const resent = await back.expectPacket('publish');
    expect(resent).toMatchObject({ topic: 'b/inflight', dup: true });
    expect((await back.expectPacket('publish')).topic).toBe('b/queued');
    await until(() => h.tb.broker.stats().dropped['denied'] === 2, 2000, 'both a/ messages to be denied');
    await barrier(back);
    const stats = h.tb.broker.stats();
    expect(stats.dropped['denied']).toBe(2);
    expect(stats.subscriptionCount).toBe(1);
    expect(stats.inflightOut).toBe(2); // b/inflight and b/queued, both unacknowledged
    await published('a/live');
    await published('b/live');
    expect((await back.expectPacket('publish')).topic).toBe('b/live');
  });

  it('async decisions: nothing is delivered before the checks are done, and order is kept', async () => {
    let slow = false;
    // The re-authorization of the queued messages is answered when the test says.
    const checks = gate();
    const asked: string[] = [];
    const plugin = rules(async (r) => {
      if (!slow || r.action !== 'receive' || r.topic === 'q/live') return allow;
      asked.push(r.topic);
      await checks.opened;
      return r.topic === 'q/2' ? deny() : allow;
    });
    await h.start({}, { plugins: [plugin] });
    const bob = await h.connected('bob', { clean: false });
    await subscribe(bob, 'q/#', 1);
    await bob.disconnect();
    for (const t of ['q/1', 'q/2', 'q/3']) await published(t);
    await until(() => h.tb.broker.stats().messagesStored === 3);
    slow = true;

    const pub = await h.connected('pub');
    const back = await h.client();
    expect(await back.connect({ clientId: 'bob', clean: false })).toMatchObject({
      reasonCode: 0,
      sessionPresent: true,
    });
    await until(() => asked.includes('q/1'), 2000, 'the re-authorization to start');
    // Decided at once, while the queued messages are still being re-authorized: it must wait its turn.
    publish(pub, 'q/live', 'live', 1);
    await pub.expectPacket('puback');
    checks.open();
    const topics: string[] = [];
    for (let i = 0; i < 3; i++) topics.push((await back.expectPacket('publish')).topic);
    expect(topics).toEqual(['q/1', 'q/3', 'q/live']);
    expect(h.tb.broker.stats().dropped['denied']).toBe(1);
  });

  it('a resumed session is not re-authorized when no plugin authorizes topics', async () => {
    await h.start({ session_owner: 'off' });
    const bob = await h.connected('bob', { username: 'bob', clean: false });
    await subscribe(bob, 'x', 1);
    await bob.disconnect();
    await published('x');
    const other = await h.client();
    expect(await other.connect({ clientId: 'bob', username: 'alice', clean: false })).toMatchObject({
      sessionPresent: true,
    });
    expect((await other.expectPacket('publish')).topic).toBe('x');
  });
});
