import { afterEach, describe, expect, it } from 'vitest';
import { allow, definePlugin, deny } from '../../src/plugin-api/index.js';
import type { AuthorizeTopicRequest, Decision } from '../../src/plugin-api/types.js';
import { barrier, gate, Harness, publish, subscribe, until } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

function acl(rule: (req: AuthorizeTopicRequest) => Decision | Promise<Decision>) {
  return definePlugin({ name: 'test-acl', apiVersion: 1, setup: () => ({ authorizeTopic: rule }) });
}

describe('topic authorization', () => {
  it('[MQTT-3.9.3-2] SUBACK carries 0x80 for an invalid filter and for a filter denied by authorizeTopic', async () => {
    await h.start(
      {},
      { plugins: [acl((r) => (r.action === 'subscribe' && r.topic.startsWith('secret') ? deny() : allow))] },
    );
    const c = await h.connected('c');
    c.send({
      type: 'subscribe',
      packetId: 3,
      subscriptions: [
        { topic: 'ok', qos: 1 },
        { topic: 'secret/#', qos: 1 },
        { topic: 'bad/#/x', qos: 0 },
      ],
    });
    expect(await c.expectPacket('suback')).toMatchObject({ reasonCodes: [1, 0x80, 0x80] });
  });

  it('a PUBLISH denied by authorizeTopic is dropped, still acknowledged, and counted', async () => {
    await h.start({}, { plugins: [acl((r) => (r.action === 'publish' && r.topic === 'ro' ? deny() : allow))] });
    const s = await h.subscriber('ro');
    const c = await h.connected('c');
    publish(c, 'ro', 'x', 1);
    await c.expectPacket('puback');
    publish(c, 'ro', 'y', 2);
    await c.expectPacket('pubrec');
    await barrier(s);
    expect(h.tb.broker.stats().dropped['denied']).toBe(2);
  });

  it("'receive' authorization is asked per delivery: live, retained and queued", async () => {
    const asked: string[] = [];
    await h.start(
      {},
      {
        plugins: [
          acl((r) => {
            if (r.action !== 'receive') return allow;
            asked.push(`${r.client.clientId}:${r.topic}`);
            return r.client.clientId === 'blocked' ? deny() : allow;
          }),
        ],
      },
    );
    const ok = await h.subscriber('t/#', 0, 'ok');
    const blocked = await h.subscriber('t/#', 0, 'blocked');
    const pub = await h.connected('p');
    publish(pub, 't/live', 'x');
    expect((await ok.expectPacket('publish')).topic).toBe('t/live');
    expect(asked).toContain('blocked:t/live'); // decided (synchronously) when routed
    await barrier(blocked);
    publish(pub, 't/kept', 'r', 0, true);
    await ok.expectPacket('publish');
    const late = await h.connected('blocked2');
    await subscribe(late, 't/kept');
    expect((await late.expectPacket('publish')).retain).toBe(true);
    const offline = await h.connected('queued', { clean: false });
    await subscribe(offline, 'q', 1);
    await offline.disconnect();
    publish(pub, 'q', 'later', 1);
    await pub.expectPacket('puback');
    await until(() => asked.includes('queued:q'));
    expect(asked).toEqual(expect.arrayContaining(['ok:t/live', 'blocked:t/live', 'blocked2:t/kept', 'queued:q']));
  });

  it('async decisions keep the packet order of a connection', async () => {
    // 'slow' is answered when the test says, once the broker waits for it; 'fast' at once.
    const slow = gate();
    const asked = gate();
    const rule = async (r: AuthorizeTopicRequest): Promise<Decision> => {
      if (r.topic !== 'slow') return allow;
      asked.open();
      await slow.opened;
      return allow;
    };
    await h.start({}, { plugins: [acl(rule)] });
    const s = await h.connected('s');
    await subscribe(s, '#', 0);
    const c = await h.connected('c');
    publish(c, 'slow', '1');
    publish(c, 'fast', '2');
    await asked.opened;
    slow.open();
    expect((await s.expectPacket('publish')).topic).toBe('slow');
    expect((await s.expectPacket('publish')).topic).toBe('fast');
  });

  it('a deny with disconnect closes the connection after answering', async () => {
    await h.start({}, { plugins: [acl((r) => (r.action === 'publish' ? deny('no', { disconnect: true }) : allow))] });
    const c = await h.connected('c');
    publish(c, 'x', 'y', 1);
    await c.expectPacket('puback');
    await c.closed();
  });
});
