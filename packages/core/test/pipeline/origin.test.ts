// Every message carries where it entered the broker (issue 17): `message:received` and
// `message:broadcast` say `origin` and whose rights it was published with (`client`).
import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerEvents, ClientInfo } from '../../src/plugin-api/types.js';
import { Harness, publish, until } from '../broker/helpers.js';

const h = new Harness();
afterEach(() => h.stop());

type Seen = [event: string, origin: string, clientId: string | undefined, topic: string];

describe('message origin', () => {
  it('message:received and message:broadcast carry client, will, api and cluster origins with the publishing client', async () => {
    await h.start();
    const seen: Seen[] = [];
    const record = (event: string) => (e: BrokerEvents['message:broadcast']) =>
      void seen.push([event, e.origin, e.client?.clientId, e.message.topic]);
    h.tb.broker.on('message:received', record('received'));
    h.tb.broker.on('message:broadcast', record('broadcast'));

    const publisher = await h.connected('publisher');
    publish(publisher, 'from/client', 'x');
    await until(() => seen.length === 2);

    const owner = await h.connected('owner', {
      will: { topic: 'from/will', payload: Buffer.from('bye'), qos: 0, retain: false },
    });
    owner.destroy();
    await until(() => seen.length === 4);

    const as: ClientInfo = {
      clientId: 'app-user',
      username: 'u',
      protocolVersion: 5,
      listener: 'embedded',
      remoteAddress: '',
      remotePort: 0,
      secure: false,
    };
    await h.tb.broker.publish({ topic: 'from/api', payload: 'x' }, { trusted: true });
    await h.tb.broker.publish({ topic: 'from/api-as', payload: 'x' }, { as });
    await h.tb.broker.publish({ topic: 'from/cluster', payload: 'x' }, { trusted: true, origin: 'cluster:node-b' });

    expect(seen).toEqual([
      ['received', 'client', 'publisher', 'from/client'],
      ['broadcast', 'client', 'publisher', 'from/client'],
      ['received', 'will', 'owner', 'from/will'],
      ['broadcast', 'will', 'owner', 'from/will'],
      ['received', 'api', undefined, 'from/api'],
      ['broadcast', 'api', undefined, 'from/api'],
      ['received', 'api', 'app-user', 'from/api-as'],
      ['broadcast', 'api', 'app-user', 'from/api-as'],
      ['received', 'cluster:node-b', undefined, 'from/cluster'],
      ['broadcast', 'cluster:node-b', undefined, 'from/cluster'],
    ]);
  });
});
