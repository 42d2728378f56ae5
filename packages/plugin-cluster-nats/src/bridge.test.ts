import { describe, expect, it } from 'vitest';
import type { BrokerEvents, Message, PublishAuthority, PublishOptions } from '@midge/mqtt-core';
import { logText, recordingLogger, testClientInfo } from '@midge/mqtt-core/testing';
import { createClusterBridge } from './bridge.js';
import { MAX_SUBJECT_BYTES } from './subject.js';
import { decodeClusterMessage, encodeClusterMessage } from './wire.js';

/** A bridge for node `a` whose sends and broker publishes are recorded. */
function bridge(
  options: { sendWorks?: boolean; publish?: (m: PublishOptions) => Promise<void>; members?: boolean } = {},
) {
  const sent: { subject: string; frame: Uint8Array }[] = [];
  const published: { message: PublishOptions; authority: PublishAuthority }[] = [];
  const shared: { share: { group: string; filter: string }; message: Message }[] = [];
  const logger = recordingLogger();
  const b = createClusterBridge({
    node: 'a',
    root: 'midge.msg',
    logger,
    broker: {
      publish: (message, authority) => {
        published.push({ message, authority });
        return options.publish?.(message) ?? Promise.resolve();
      },
      deliverShared: (share, message) => {
        shared.push({ share, message });
        return options.members !== false;
      },
    },
    send: (subject, frame) => {
      if (options.sendWorks === false) return false;
      sent.push({ subject, frame });
      return true;
    },
  });
  return { b, sent, published, shared, logger };
}

const message = (topic: string, extra: Partial<Message> = {}): Message => ({
  topic,
  payload: Buffer.from('p'),
  qos: 1,
  retain: false,
  ...extra,
});
const routed = (
  m: Message,
  origin: BrokerEvents['message:broadcast']['origin'] = 'client',
): BrokerEvents['message:broadcast'] => ({ client: testClientInfo('u'), message: m, origin });

describe('ClusterBridge', () => {
  it('sends what a client, a will or the API published on the subject of its topic, with this node id', () => {
    const { b, sent } = bridge();
    b.onBroadcast(routed(message('t/1')));
    b.onBroadcast(routed(message('t/2'), 'will'));
    b.onBroadcast(routed(message('t/3'), 'api'));
    expect(sent.map((s) => s.subject)).toEqual(['midge.msg.t.1', 'midge.msg.t.2', 'midge.msg.t.3']);
    expect(decodeClusterMessage(Buffer.from(sent[0]?.frame ?? [])).node).toBe('a');
    expect(b.counts).toMatchObject({ sent: 3, notSent: 0 });
  });

  it('never sends back out what came from another node, nor $ topics', () => {
    const { b, sent } = bridge();
    b.onBroadcast(routed(message('t/1'), 'cluster:b'));
    b.onBroadcast(routed(message('$SYS/broker/version'), 'api'));
    expect(sent).toEqual([]);
  });

  it('counts what it could not send: NATS down, or a topic too long for a subject (warned)', () => {
    const down = bridge({ sendWorks: false });
    down.b.onBroadcast(routed(message('t/1')));
    expect(down.b.counts).toMatchObject({ sent: 0, notSent: 1 });
    const { b, sent, logger } = bridge();
    b.onBroadcast(routed(message('l'.repeat(MAX_SUBJECT_BYTES))));
    expect(sent).toEqual([]);
    expect(b.counts.notSent).toBe(1);
    expect(logText(logger.records, 'warn')).toMatch(/too long to cross nodes/);
  });

  it('routes a message from another node as trusted, with origin cluster:<node>, RETAIN as published, not stored', () => {
    const { b, published } = bridge();
    const properties = { contentType: 'text/plain', userProperties: [['k', 'v']] as [string, string][] };
    b.onClusterMessage(encodeClusterMessage(message('t/x', { retain: true, qos: 2, properties }), 'b'));
    expect(published).toEqual([
      {
        message: { topic: 't/x', payload: Buffer.from('p'), qos: 2, retain: true, properties },
        // The retained store follows the retained stream, not this path.
        authority: { trusted: true, origin: 'cluster:b', keepRetained: false },
      },
    ]);
    expect(b.counts.received).toBe(1);
  });

  it('drops $ topics and undecodable data from NATS, counted and warned, without throwing', () => {
    const { b, published, logger } = bridge();
    b.onClusterMessage(encodeClusterMessage(message('$SYS/broker/version'), 'b'));
    b.onClusterMessage(new Uint8Array([9, 9, 9]));
    expect(published).toEqual([]);
    expect(b.counts).toMatchObject({ received: 0, refused: 2 });
    expect(logText(logger.records, 'warn')).toMatch(/\$ topics never cross nodes[\s\S]*could not be decoded/);
  });

  it('counts a message this broker refuses as refused, not received', async () => {
    const { b, logger } = bridge({ publish: () => Promise.reject(new Error('topic too long')) });
    b.onClusterMessage(encodeClusterMessage(message('t/x'), 'b'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(b.counts).toMatchObject({ received: 0, refused: 1 });
    expect(logText(logger.records, 'warn')).toMatch(/not routed here/);
  });

  it('delivers a message NATS picked this node for to a member of the shared subscription, RETAIN as published', () => {
    const { b, shared, published } = bridge();
    const share = { group: 'g', filter: 't/#' };
    b.onSharedMessage(share, encodeClusterMessage(message('t/x', { retain: true }), 'b'));
    expect(shared).toEqual([{ share, message: { topic: 't/x', payload: Buffer.from('p'), qos: 1, retain: true } }]);
    expect(published).toEqual([]);
    expect(b.counts).toMatchObject({ sharedReceived: 1, sharedNoMember: 0, received: 0 });
  });

  it('counts a shared message that found no member here, and drops a $ topic before it reaches the broker', () => {
    const { b, shared } = bridge({ members: false });
    b.onSharedMessage({ group: 'g', filter: '#' }, encodeClusterMessage(message('t/x'), 'b'));
    b.onSharedMessage({ group: 'g', filter: '#' }, encodeClusterMessage(message('$SYS/x'), 'b'));
    expect(shared).toHaveLength(1);
    expect(b.counts).toMatchObject({ sharedReceived: 0, sharedNoMember: 1, refused: 1 });
  });

  it('warns once when another node uses this node name', () => {
    const { b, published, logger } = bridge();
    b.onClusterMessage(encodeClusterMessage(message('t/x'), 'a'));
    b.onClusterMessage(encodeClusterMessage(message('t/y'), 'a'));
    expect(published).toHaveLength(2);
    expect(logText(logger.records, 'warn').match(/uses this node name/g)).toHaveLength(1);
  });
});
