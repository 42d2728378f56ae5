import { describe, expect, it } from 'vitest';
import { MAX_PENDING, MAX_UNCONFIRMED, ReliableOutbox } from './reliable-outbox.js';

/** A transport that records what it sends and answers flushes when told. */
function fakeTransport() {
  const sent: string[] = [];
  const flushes: { resolve: () => void; reject: (err: Error) => void }[] = [];
  return {
    sent,
    flushes,
    transport: {
      send: (subject: string, frame: Uint8Array) => {
        sent.push(`${subject}:${Buffer.from(frame).toString()}`);
        return true;
      },
      flush: () => new Promise<void>((resolve, reject) => flushes.push({ resolve, reject })),
      markCopy: (frame: Uint8Array) => Buffer.concat([Buffer.from('copy-'), frame]),
    },
  };
}

const frame = (s: string): Uint8Array => Buffer.from(s);
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ReliableOutbox', () => {
  it('forgets what the server confirmed, and sends again what it did not, marked, then what was queued', async () => {
    const { sent, flushes, transport } = fakeTransport();
    const outbox = new ReliableOutbox(transport);
    outbox.sent('s', frame('1'));
    outbox.sent('s', frame('2'));
    outbox.confirm();
    outbox.sent('s', frame('3'));
    flushes[0]?.resolve();
    await settle();
    // 1 and 2 confirmed; 3 went after the PING.
    expect(outbox.size).toBe(1);
    outbox.confirm();
    flushes[1]?.reject(new Error('connection disconnected'));
    await settle();
    outbox.queue('s', frame('4'));
    expect(outbox.resend()).toBe(2);
    expect(sent).toEqual(['s:copy-3', 's:4']);
    expect(outbox.counts).toEqual({ resent: 1, queued: 1, givenUp: 0, replayed: 0 });
    // Both unconfirmed now, on the new connection.
    expect(outbox.size).toBe(2);
  });

  it('sends again, as copies, what it published since a time, for a node that asks', () => {
    const { sent, transport } = fakeTransport();
    const outbox = new ReliableOutbox(transport);
    outbox.published('a', frame('1'));
    // The next millisecond: 'a' is older than `since`.
    const since = Date.now() + 1;
    while (Date.now() < since);
    outbox.published('b', frame('2'));
    // Sent, not published: not kept for others.
    outbox.sent('c', frame('3'));
    expect(outbox.replayRecent(since)).toBe(1);
    expect(sent).toEqual(['b:copy-2']);
    expect(outbox.replayRecent(0)).toBe(2);
    expect(outbox.counts.replayed).toBe(3);
  });

  it('ignores a confirmation that comes after a reconnection replaced what it covered', async () => {
    const { flushes, transport } = fakeTransport();
    const outbox = new ReliableOutbox(transport);
    outbox.sent('s', frame('1'));
    outbox.confirm();
    outbox.resend();
    flushes[0]?.resolve();
    await settle();
    expect(outbox.size).toBe(1);
  });

  it('gives up the oldest unconfirmed and refuses to queue past its bounds, counted', () => {
    const { transport } = fakeTransport();
    const outbox = new ReliableOutbox(transport);
    for (let i = 0; i < MAX_UNCONFIRMED + 2; i++) outbox.sent('s', frame('x'));
    expect(outbox.counts.givenUp).toBe(2);
    for (let i = 0; i < MAX_PENDING; i++) expect(outbox.queue('s', frame('y'))).toBe(true);
    expect(outbox.queue('s', frame('z'))).toBe(false);
    expect(outbox.counts.givenUp).toBe(3);
  });
});
