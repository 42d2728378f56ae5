// Wills go through the publish pipeline with their owner's rights (issue 17): the `$`-topic rule and the
// plugins' publish authorization apply to them as to the client's own PUBLISH.
import { afterEach, describe, expect, it } from 'vitest';
import { allow, definePlugin, deny } from '../../src/plugin-api/index.js';
import type { AuthorizeTopicRequest, Decision } from '../../src/plugin-api/types.js';
import { Harness, until } from '../broker/helpers.js';

const h = new Harness();
afterEach(() => h.stop());

const will = (topic: string, payload: string) => ({
  topic,
  payload: Buffer.from(payload),
  qos: 0 as const,
  retain: false,
});

/** An ACL: nobody publishes under `forbidden/`; `asked` records the publish requests it judged. */
function acl(answer: (d: Decision) => Decision | Promise<Decision>) {
  const asked: AuthorizeTopicRequest[] = [];
  const plugin = definePlugin({
    name: 'will-acl',
    apiVersion: 1,
    setup: () => ({
      authorizeTopic: (req) => {
        if (req.action !== 'publish') return allow;
        asked.push(req);
        return answer(req.topic.startsWith('forbidden/') ? deny('forbidden') : allow);
      },
    }),
  });
  return { plugin, asked };
}

describe.each([
  ['synchronously', (d: Decision) => d],
  ['asynchronously', (d: Decision) => Promise.resolve(d)],
])('a will, with an ACL deciding %s', (_how, answer) => {
  it('[MQTT-3.1.2-8] a will to a topic the ACL forbids is not published; one it allows is', async () => {
    const { plugin, asked } = acl(answer);
    await h.start({}, { plugins: [plugin] });
    const watcher = await h.subscriber('#', 0, 'watcher');
    const denied = await h.connected('denied-owner', {
      will: will('forbidden/x', 'must not arrive'),
      username: 'dora',
    });
    const allowed = await h.connected('allowed-owner', { will: will('open/y', 'bye'), username: 'alan' });

    denied.destroy();
    await until(() => h.tb.broker.stats().dropped['denied'] === 1);
    allowed.destroy();
    // Had the forbidden will been routed, it would have reached the watcher first.
    const p = await watcher.expectPacket('publish');
    expect(p.topic).toBe('open/y');
    expect(p.payload.toString()).toBe('bye');
    // Judged with the will owner's identity, as a PUBLISH of that client.
    expect(asked.map((r) => [r.client.clientId, r.client.username, r.topic])).toEqual([
      ['denied-owner', 'dora', 'forbidden/x'],
      ['allowed-owner', 'alan', 'open/y'],
    ]);
  });
});

describe('the $-topic rule for wills', () => {
  it('a will to a $SYS topic is not published', async () => {
    await h.start();
    const watcher = await h.subscriber('$SYS/#', 0, 'watcher');
    const marker = await h.subscriber('after', 0, 'marker');
    const sys = await h.connected('sys-owner', { will: will('$SYS/fake', 'spoofed') });
    const other = await h.connected('other-owner', { will: will('after', 'ok') });
    sys.destroy();
    await until(() => h.tb.broker.stats().dropped['sys-topic'] === 1);
    other.destroy();
    expect((await marker.expectPacket('publish')).topic).toBe('after');
    // Broker-side `$SYS` messages would still reach this subscriber: check nothing came before one.
    await h.tb.broker.publish({ topic: '$SYS/real', payload: 'x' }, { trusted: true });
    expect((await watcher.expectPacket('publish')).topic).toBe('$SYS/real');
  });
});
