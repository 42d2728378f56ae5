/**
 * The dashboard's live message tail: Server-Sent Events of the messages matching a filter the operator
 * typed, fed by the broker's `message:received` event (each accepted message once), listened to only
 * while a stream is open (`BrokerApi.listen`): without a tail the broker builds no event. Bounded: at most
 * MAX_TAILS streams, MAX_PER_SECOND messages per stream per second (the others are counted in `skipped`),
 * payloads cut as the retained list cuts them. A `#` or `+` first level never matches a `$` topic (MQTT's rule).
 */
import type { ServerResponse } from 'node:http';
import { topicMatchesFilter, type BrokerApi, type Message } from '@midge/mqtt-core';
import { retainedRow } from './retained.js';

export const MAX_TAILS = 8;
export const MAX_PER_SECOND = 20;

interface Stream {
  readonly filter: string;
  readonly res: ServerResponse;
  second: number;
  sentThisSecond: number;
  skipped: number;
}

export class TailHub {
  readonly #streams = new Set<Stream>();
  readonly #broker: Pick<BrokerApi, 'listen'>;
  #unlisten: (() => void) | undefined;

  constructor(broker: Pick<BrokerApi, 'listen'>) {
    this.#broker = broker;
  }

  get size(): number {
    return this.#streams.size;
  }

  /** Starts a stream on `res` (headers sent here); false when MAX_TAILS are open already. */
  open(filter: string, res: ServerResponse): boolean {
    if (this.#streams.size >= MAX_TAILS) return false;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    res.write(`event: ready\ndata: ${JSON.stringify({ filter })}\n\n`);
    const stream: Stream = { filter, res, second: 0, sentThisSecond: 0, skipped: 0 };
    this.#streams.add(stream);
    this.#unlisten ??= this.#broker.listen('message:received', ({ message }) => this.offer(message));
    res.on('close', () => {
      this.#streams.delete(stream);
      if (this.#streams.size > 0) return;
      this.#unlisten?.();
      this.#unlisten = undefined;
    });
    return true;
  }

  /** A message was accepted by the broker. */
  offer(message: Message): void {
    if (this.#streams.size === 0) return;
    const now = Math.floor(Date.now() / 1000);
    for (const s of this.#streams) {
      if (!topicMatchesFilter(s.filter, message.topic)) continue;
      if (s.second !== now) {
        s.second = now;
        s.sentThisSecond = 0;
      }
      if (s.sentThisSecond >= MAX_PER_SECOND) {
        s.skipped++;
        continue;
      }
      s.sentThisSecond++;
      const row = {
        ...retainedRow({ ...message }),
        retain: message.retain,
        at: new Date().toISOString(),
        skipped: s.skipped,
      };
      s.res.write(`data: ${JSON.stringify(row)}\n\n`);
    }
  }

  close(): void {
    for (const s of this.#streams) s.res.end();
    this.#streams.clear();
    this.#unlisten?.();
    this.#unlisten = undefined;
  }
}
