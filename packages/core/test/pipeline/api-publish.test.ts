// broker.publish and ctx.broker.publish go through the publish pipeline with the rights they name
// (issue 17): `{ as: client }` is authorized as that client's PUBLISH, `{ trusted: true }` is not
// authorized at all, and nothing is published without saying which.
import { afterEach, describe, expect, it } from 'vitest';
import { MidgeError } from '../../src/errors.js';
import { allow, definePlugin, deny } from '../../src/plugin-api/index.js';
import type {
  AuthorizeTopicRequest,
  BrokerApi,
  ClientInfo,
  Decision,
  PublishAuthority,
  PublishOptions,
} from '../../src/plugin-api/types.js';
import { Harness } from '../broker/helpers.js';

const h = new Harness();
afterEach(() => h.stop());

const client = (clientId: string, username: string | undefined): ClientInfo => ({
  clientId,
  username,
  protocolVersion: 5,
  listener: 'embedded',
  remoteAddress: '',
  remotePort: 0,
  secure: false,
});
const bob = client('app-bob', 'bob');

/** An ACL: only bob publishes under `bob/`; `publishes` records the publish requests it judged. */
function acl(answer: (d: Decision) => Decision | Promise<Decision> = (d) => d) {
  const publishes: AuthorizeTopicRequest[] = [];
  const plugin = definePlugin({
    name: 'api-acl',
    apiVersion: 1,
    setup: () => ({
      authorizeTopic: (req) => {
        if (req.action !== 'publish') return allow;
        publishes.push(req);
        return answer(req.topic.startsWith(`${req.client.username ?? '-'}/`) ? allow : deny('not your topic'));
      },
    }),
  });
  return { plugin, publishes };
}

/** The error a promise rejected with (fails the test if it resolved). */
async function rejection(p: Promise<unknown>): Promise<MidgeError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MidgeError);
  return err as MidgeError;
}

describe.each([
  ['synchronously', (d: Decision) => d],
  ['asynchronously', (d: Decision) => Promise.resolve(d)],
])('broker.publish({ as }) with an ACL deciding %s', (_how, answer) => {
  it('is authorized as that client: denied where it may not publish (rejects, not routed), routed where it may', async () => {
    const { plugin, publishes } = acl(answer);
    await h.start({}, { plugins: [plugin] });
    const watcher = await h.subscriber('#', 0, 'watcher');

    const err = await rejection(h.tb.broker.publish({ topic: 'alice/x', payload: 'no' }, { as: bob }));
    expect(err.code).toBe('BROKER_PUBLISH_DENIED');
    expect(err.message).toBe("publish to 'alice/x' as client 'app-bob' refused: not your topic");
    await h.tb.broker.publish({ topic: 'bob/x', payload: 'yes' }, { as: bob });

    // Had the denied message been routed, it would have reached the watcher first.
    const p = await watcher.expectPacket('publish');
    expect([p.topic, p.payload.toString()]).toEqual(['bob/x', 'yes']);
    expect(publishes.map((r) => [r.client, r.topic])).toEqual([
      [bob, 'alice/x'],
      [bob, 'bob/x'],
    ]);
    expect(h.tb.broker.stats().dropped['denied']).toBe(1);
  });
});

describe('broker.publish({ trusted: true })', () => {
  it('skips publish authorization: routed where no client may publish, the plugin is not asked', async () => {
    const { plugin, publishes } = acl();
    await h.start({}, { plugins: [plugin] });
    const watcher = await h.subscriber('#', 0, 'watcher');
    await h.tb.broker.publish({ topic: 'alice/x', payload: 'from the application' }, { trusted: true });
    expect((await watcher.expectPacket('publish')).topic).toBe('alice/x');
    expect(publishes).toEqual([]);
  });

  it('is refused at run time without an authority, with both, or with an origin the API may not claim', async () => {
    await h.start();
    const untyped = h.tb.broker.publish.bind(h.tb.broker) as (m: PublishOptions, a?: unknown) => Promise<void>;
    const message = { topic: 't', payload: 'x' };
    for (const authority of [
      undefined,
      {},
      { trusted: false },
      { trusted: true, as: bob },
      { trusted: true, origin: 'client' },
      { as: bob, origin: 'will' },
      { trusted: true, origin: 'cluster:' },
    ]) {
      expect((await rejection(untyped(message, authority))).code, JSON.stringify(authority)).toBe(
        'BROKER_PUBLISH_OPTIONS',
      );
    }
  });
});

describe('the $-topic rule for every origin', () => {
  it('a client PUBLISH or an { as } publish to $SYS is refused; a trusted API publish is not, a trusted cluster one is', async () => {
    await h.start();
    const watcher = await h.subscriber('$SYS/#', 1, 'watcher');
    const publisher = await h.v5('publisher');
    publisher.send(
      {
        type: 'publish',
        topic: '$SYS/from-client',
        payload: Buffer.from('x'),
        qos: 1,
        retain: false,
        dup: false,
        packetId: 7,
      },
      5,
    );
    expect(await publisher.expectPacket('puback')).toMatchObject({ packetId: 7, reasonCode: 0x87 });

    expect((await rejection(h.tb.broker.publish({ topic: '$SYS/as', payload: 'x' }, { as: bob }))).code).toBe(
      'BROKER_PUBLISH_DENIED',
    );
    const cluster: PublishAuthority = { trusted: true, origin: 'cluster:node-b' };
    const fromCluster = await rejection(h.tb.broker.publish({ topic: '$SYS/cluster', payload: 'x' }, cluster));
    expect(fromCluster.message).toBe(
      "publish to '$SYS/cluster' from cluster:node-b refused: $SYS and $share topics are reserved to the broker",
    );
    await h.tb.broker.publish({ topic: '$SYS/broker/own', payload: 'x' }, { trusted: true });

    // The broker's own message is the first one the watcher gets: none of the refused ones was routed.
    expect((await watcher.expectPacket('publish')).topic).toBe('$SYS/broker/own');
    expect(h.tb.broker.stats().dropped['sys-topic']).toBe(3);
  });
});

describe('ctx.broker.publish', () => {
  it('has the same rules for plugins: { as } is authorized, { trusted } and a bridge origin are not', async () => {
    const { plugin: aclPlugin, publishes } = acl();
    let api: BrokerApi | undefined;
    const probe = definePlugin({
      name: 'probe',
      apiVersion: 1,
      setup: (ctx) => {
        api = ctx.broker;
        return {};
      },
    });
    await h.start({}, { plugins: [aclPlugin, probe] });
    if (api === undefined) throw new Error('the probe plugin was not set up');
    const watcher = await h.subscriber('#', 0, 'watcher');
    expect((await rejection(api.publish({ topic: 'alice/x', payload: 'no' }, { as: bob }))).code).toBe(
      'BROKER_PUBLISH_DENIED',
    );
    await api.publish({ topic: 'bridged/x', payload: 'in' }, { trusted: true, origin: 'bridge:legacy' });
    expect((await watcher.expectPacket('publish')).topic).toBe('bridged/x');
    expect(publishes.map((r) => r.topic)).toEqual(['alice/x']);
  });
});
