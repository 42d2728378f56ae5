// MQTT 5 Topic Aliases on inbound PUBLISH (section 3.3.2.3.4), over real sockets.
import { afterEach, describe, expect, it } from 'vitest';
import type { RawClient } from '../../src/testing/index.js';
import { barrier, Harness, publishV5, subscribe, subscribeV5 } from './helpers.js';

const h = new Harness();
afterEach(() => h.stop());

const v5 = (clientId: string): Promise<RawClient> => h.v5(clientId);

describe('topic aliases (client → broker)', () => {
  it('[MQTT-3.2.2-17] CONNACK carries topic_alias_maximum (default 10); 0 leaves it out', async () => {
    await h.start();
    const c = await h.client();
    expect((await c.connect({ protocolVersion: 5, clientId: 'c' })).properties?.topicAliasMaximum).toBe(10);
    await h.stop();
    await h.start({ topic_alias_maximum: 0 });
    const d = await h.client();
    expect((await d.connect({ protocolVersion: 5, clientId: 'd' })).properties?.topicAliasMaximum).toBeUndefined();
  });

  it('[MQTT-3.3.2-12] a topic name with an alias sets it; an empty topic name uses it; subscribers get the name, not the alias', async () => {
    await h.start();
    const s5 = await v5('s5');
    await subscribeV5(s5, { topic: 'sensors/#' });
    const s4 = await h.connected('s4');
    await subscribe(s4, 'sensors/#');
    const p = await v5('p');
    publishV5(p, 'sensors/a', 'one', 0, { properties: { topicAlias: 3, userProperties: [['k', 'v']] } });
    publishV5(p, '', 'two', 0, { properties: { topicAlias: 3 } });
    publishV5(p, 'sensors/b', 'three', 1, { properties: { topicAlias: 3 } }); // re-pointed
    expect((await p.expectPacket('puback')).reasonCode ?? 0).toBe(0);
    publishV5(p, '', 'four', 0, { properties: { topicAlias: 3 } });
    const got5 = [];
    for (let i = 0; i < 4; i++) got5.push(await s5.expectPacket('publish'));
    expect(got5.map((m) => [m.topic, m.payload.toString()])).toEqual([
      ['sensors/a', 'one'],
      ['sensors/a', 'two'],
      ['sensors/b', 'three'],
      ['sensors/b', 'four'],
    ]);
    // The alias is the publisher's, for its connection only: no subscriber sees it.
    expect(got5.map((m) => m.properties?.topicAlias)).toEqual([undefined, undefined, undefined, undefined]);
    expect(got5[0]!.properties?.userProperties).toEqual([['k', 'v']]);
    const got4 = [];
    for (let i = 0; i < 4; i++) got4.push((await s4.expectPacket('publish')).topic);
    expect(got4).toEqual(['sensors/a', 'sensors/a', 'sensors/b', 'sensors/b']);
  });

  it('[MQTT-3.3.2-7] aliases do not carry over to a new connection: an unknown alias is a Protocol Error (0x82)', async () => {
    await h.start();
    const a = await v5('a');
    publishV5(a, 't', 'x', 0, { properties: { topicAlias: 1 } });
    await a.disconnect(5);
    const b = await v5('a');
    publishV5(b, '', 'y', 0, { properties: { topicAlias: 1 } });
    expect(await b.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x82 });
    await b.closed();
  });

  it('[MQTT-3.3.2-12] an alias above the maximum is refused with DISCONNECT 0x94; with topic_alias_maximum 0 any alias is', async () => {
    await h.start({ topic_alias_maximum: 2 });
    const a = await v5('a');
    publishV5(a, 't', 'x', 0, { properties: { topicAlias: 2 } });
    publishV5(a, 't', 'x', 0, { properties: { topicAlias: 3 } });
    expect(await a.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x94 });
    await h.stop();
    await h.start({ topic_alias_maximum: 0 });
    const b = await v5('b');
    publishV5(b, 't', 'x', 0, { properties: { topicAlias: 1 } });
    expect(await b.expectPacket('disconnect')).toMatchObject({ reasonCode: 0x94 });
  });

  it('an aliased PUBLISH is authorized on its resolved topic', async () => {
    await h.start();
    const s = await v5('s');
    await subscribeV5(s, { topic: '#' });
    const p = await v5('p');
    publishV5(p, '$SYS/x', 'no', 1, { properties: { topicAlias: 1 } });
    expect(await p.expectPacket('puback')).toMatchObject({ reasonCode: 0x87 });
    publishV5(p, '', 'still no', 1, { properties: { topicAlias: 1 } });
    expect(await p.expectPacket('puback')).toMatchObject({ reasonCode: 0x87 });
    await barrier(s);
  });
});
