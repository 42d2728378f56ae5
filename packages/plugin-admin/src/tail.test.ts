import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { BrokerApi } from '@midge/mqtt-core';
import { describe, expect, it } from 'vitest';
import { MAX_PER_SECOND, MAX_TAILS, TailHub } from './tail.js';

/** A response that records what is written to it. */
function response(): ServerResponse & { written: string[] } {
  const res = Object.assign(new EventEmitter(), {
    written: [] as string[],
    writeHead: () => res,
    write: (chunk: string) => res.written.push(chunk),
    end: () => res.emit('close'),
  });
  return res as unknown as ServerResponse & { written: string[] };
}

function broker() {
  const listeners = new Set<(p: { message: unknown }) => void>();
  const api = {
    listen: (_event: string, fn: (p: { message: unknown }) => void) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
  } as unknown as Pick<BrokerApi, 'listen'>;
  return { api, listeners };
}

const message = (topic: string) => ({ topic, payload: Buffer.from('p'), qos: 0 as const, retain: false });
const events = (res: { written: string[] }) => res.written.filter((w) => w.startsWith('data: '));
const topics = (res: { written: string[] }) =>
  events(res).map((e) => (JSON.parse(e.slice(6)) as { topic: string }).topic);

describe('TailHub', () => {
  it('listens to the broker only while a stream is open, and sends each stream what matches its filter', () => {
    const b = broker();
    const hub = new TailHub(b.api);
    expect(b.listeners.size).toBe(0);
    const home = response();
    const all = response();
    hub.open('home/#', home);
    hub.open('#', all);
    expect(b.listeners.size).toBe(1);
    for (const fn of b.listeners) {
      fn({ message: message('home/door') });
      fn({ message: message('other') });
      fn({ message: message('$SYS/x') });
    }
    expect(topics(home)).toEqual(['home/door']);
    // `#` never matches a `$` topic [MQTT-4.7.2-1].
    expect(topics(all)).toEqual(['home/door', 'other']);
    home.emit('close');
    expect(b.listeners.size).toBe(1);
    all.emit('close');
    expect(b.listeners.size).toBe(0);
  });

  it('sends at most MAX_PER_SECOND messages a second per stream, counting the rest, and opens at most MAX_TAILS', () => {
    const hub = new TailHub(broker().api);
    const res = response();
    hub.open('#', res);
    for (let i = 0; i < MAX_PER_SECOND + 5; i++) hub.offer(message(`t/${i}`));
    const sent = events(res);
    // Unless the second turned meanwhile, the last 5 were skipped.
    expect(sent.length).toBeGreaterThanOrEqual(MAX_PER_SECOND);
    expect(sent.length).toBeLessThan(MAX_PER_SECOND + 5);
    for (let i = 1; i < MAX_TAILS; i++) expect(hub.open('#', response())).toBe(true);
    expect(hub.open('#', response())).toBe(false);
    hub.close();
    expect(hub.size).toBe(0);
  });
});
