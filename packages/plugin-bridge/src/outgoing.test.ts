import { nullLogger } from '@midge/mqtt-core';
import type { ClientMessage, ClientPublishOptions } from '@midge/mqtt-core/client';
import { describe, expect, it } from 'vitest';
import { BridgeCounters } from './counters.js';
import { Outgoing, type RemoteSide } from './outgoing.js';
import { TopicMap } from './topic-map.js';

/** A remote link whose publishes the test settles one by one. */
class FakeRemote implements RemoteSide {
  generation = 0;
  connected = false;
  readonly sent: { topic: string; payload: string; generation: number; settle: (ok: boolean) => void }[] = [];

  publish(topic: string, payload: Buffer, _options: ClientPublishOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      this.sent.push({
        topic,
        payload: payload.toString(),
        generation: this.generation,
        settle: (ok) => (ok ? resolve() : reject(new Error('client ended'))),
      });
    });
  }
}

const map = new TopicMap([{ filter: 'd/#', direction: 'out', qos: 1, local_prefix: '', remote_prefix: 'r/' }]);
const flush = () => new Promise((r) => setImmediate(r));

function message(topic: string, payload: string, qos: 0 | 1, acked: string[]): ClientMessage {
  return { topic, payload: Buffer.from(payload), qos, retain: false, dup: false, ack: () => acked.push(payload) };
}

describe('Outgoing', () => {
  it('holds messages until a remote client connected, sends them in order, acknowledges each once the remote did', async () => {
    const remote = new FakeRemote();
    const counters = new BridgeCounters();
    const out = new Outgoing(remote, map, counters, nullLogger);
    const acked: string[] = [];
    for (const p of ['a', 'b', 'c']) out.onLocalMessage(message('d/x', p, 1, acked));
    expect(remote.sent).toEqual([]);
    expect(out.pending).toBe(3);
    remote.generation = 1;
    remote.connected = true;
    out.onRemoteFresh();
    expect(remote.sent.map((s) => `${s.topic}=${s.payload}`)).toEqual(['r/d/x=a', 'r/d/x=b', 'r/d/x=c']);
    remote.sent[1]?.settle(true);
    await flush();
    expect(acked).toEqual(['b']);
    expect(out.pending).toBe(2);
    expect(counters.sent[1]).toBe(1);
  });

  it('sends what an ended client had in flight to the next one, once, and acknowledges it then', async () => {
    const remote = new FakeRemote();
    const out = new Outgoing(remote, map, new BridgeCounters(), nullLogger);
    const acked: string[] = [];
    remote.generation = 1;
    remote.connected = true;
    out.onLocalMessage(message('d/x', 'a', 1, acked));
    out.onLocalMessage(message('d/x', 'b', 1, acked));
    // The client gives up: its publishes fail; nothing is acknowledged locally.
    remote.connected = false;
    for (const s of remote.sent) s.settle(false);
    await flush();
    expect(acked).toEqual([]);
    expect(remote.sent.length).toBe(2);
    remote.generation = 2;
    remote.connected = true;
    out.onRemoteFresh();
    const second = remote.sent.filter((s) => s.generation === 2);
    expect(second.map((s) => s.payload)).toEqual(['a', 'b']);
    for (const s of second) s.settle(true);
    await flush();
    expect(acked).toEqual(['a', 'b']);
    expect(out.pending).toBe(0);
  });

  it('a failure reported after the next client took the message over does not send it a third time', async () => {
    const remote = new FakeRemote();
    const out = new Outgoing(remote, map, new BridgeCounters(), nullLogger);
    remote.generation = 1;
    remote.connected = true;
    out.onLocalMessage(message('d/x', 'a', 1, []));
    remote.generation = 2;
    out.onRemoteFresh();
    remote.sent[0]?.settle(false);
    await flush();
    expect(remote.sent.map((s) => s.generation)).toEqual([1, 2]);
  });

  it('drops QoS 0 while the remote is down (counted), and acknowledges at once what no topic line carries', () => {
    const remote = new FakeRemote();
    const counters = new BridgeCounters();
    const out = new Outgoing(remote, map, counters, nullLogger);
    const acked: string[] = [];
    out.onLocalMessage(message('d/x', 'q0', 0, acked));
    out.onLocalMessage(message('other/x', 'stale', 1, acked));
    expect(counters.dropped['remote-down']).toBe(1);
    expect(acked).toEqual(['stale']);
    expect(remote.sent).toEqual([]);
    expect(out.pending).toBe(0);
  });
});
